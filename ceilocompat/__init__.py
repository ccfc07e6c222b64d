"""ceilocompat: versioned, additive-only codecs for Ceilometer's message bus.

>>> import ceilocompat as cc
>>> s = cc.Sample.from_wire({"counter_name": "cpu", "counter_type": "gauge",
...     "counter_unit": "ns", "counter_volume": 1, "resource_id": "r",
...     "timestamp": "2024-06-20T09:32:36"})
>>> wire = s.to_wire(secret="s3cret")
>>> cc.verify_signature(wire, "s3cret")
True
"""

from ceilocompat.errors import DecodeError
from ceilocompat.models import Event, ModelVersion, Sample, Trait, TraitType, wire_field
from ceilocompat.signing import DEFAULT_SECRET, compute_legacy_signature, compute_signature, verify_signature

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_SECRET",
    "DecodeError",
    "Event",
    "ModelVersion",
    "Sample",
    "Trait",
    "TraitType",
    "compute_legacy_signature",
    "compute_signature",
    "verify_signature",
    "wire_field",
]

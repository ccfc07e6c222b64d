"""ceilocompat: versioned, additive-only codecs for Ceilometer's message bus.

Everything a Ceilometer service or a third-party consumer needs is imported
from here; the modules behind these names are private. The models, errors,
signatures and payload functions load with the package; the names that need
oslo.messaging (routes, consumers, publisher) load it the first time one of
them is used, so decoding alone never pays for the bus.

>>> import ceilocompat as cc
>>> s = cc.Sample.from_wire({"counter_name": "cpu", "counter_type": "gauge",
...     "counter_unit": "ns", "counter_volume": 1, "resource_id": "r",
...     "timestamp": "2024-06-20T09:32:36"})
>>> wire = s.to_wire(secret="s3cret")
>>> cc.verify_signature(wire, "s3cret")
True
>>> cc.SAMPLE_ROUTE.routing_key
'metering.sample'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ceilocompat._documents import decode_document, documents
from ceilocompat._envelope import MAX_BODY_BYTES, Notification, frame, is_envelope, loads, unwrap, wrap
from ceilocompat._errors import DecodeError
from ceilocompat._payload import Batch, Rejected, decode_batch, events_from_payload, payload_items, samples_from_payload
from ceilocompat._signing import DEFAULT_SECRET, compute_legacy_signature, compute_signature, verify_signature
from ceilocompat.models import Event, ModelVersion, Sample, Trait, TraitType, wire_field, wire_model

if TYPE_CHECKING:  # pragma: no cover - what the lazy names below resolve to, for type checkers
    from ceilocompat._consumers import (
        CompatBatchEndpoint,
        CompatEndpoint,
        ConsumerCounters,
        ConsumerPolicy,
        DeadLetter,
        DeadLetterPublisher,
        Delivery,
        OnBadInput,
        RecentMessageIds,
        ShadowDecode,
        Signatures,
        compat_listener,
    )
    from ceilocompat._publisher import Publisher, Relay
    from ceilocompat._sending import PublishFailed
    from ceilocompat.routing import (
        EVENT_ROUTE,
        POLLING_ROUTE,
        SAMPLE_ROUTE,
        Route,
        notification_listener,
        notification_transport,
        notifier_for,
        register_route,
    )

__version__ = "0.1.0"

#: Names loaded on first use, by the module that defines them (they need oslo.messaging).
_LAZY = {
    **dict.fromkeys(
        (
            "CompatBatchEndpoint",
            "CompatEndpoint",
            "ConsumerCounters",
            "ConsumerPolicy",
            "DeadLetter",
            "DeadLetterPublisher",
            "Delivery",
            "OnBadInput",
            "RecentMessageIds",
            "ShadowDecode",
            "Signatures",
            "compat_listener",
        ),
        "ceilocompat._consumers",
    ),
    **dict.fromkeys(("Publisher", "Relay"), "ceilocompat._publisher"),
    "PublishFailed": "ceilocompat._sending",
    **dict.fromkeys(
        (
            "EVENT_ROUTE",
            "POLLING_ROUTE",
            "SAMPLE_ROUTE",
            "Route",
            "notification_listener",
            "notification_transport",
            "notifier_for",
            "register_route",
        ),
        "ceilocompat.routing",
    ),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ceilocompat' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "DEFAULT_SECRET",
    "EVENT_ROUTE",
    "MAX_BODY_BYTES",
    "POLLING_ROUTE",
    "SAMPLE_ROUTE",
    "Batch",
    "CompatBatchEndpoint",
    "CompatEndpoint",
    "ConsumerCounters",
    "ConsumerPolicy",
    "DeadLetter",
    "DeadLetterPublisher",
    "DecodeError",
    "Delivery",
    "Event",
    "ModelVersion",
    "Notification",
    "OnBadInput",
    "PublishFailed",
    "Publisher",
    "RecentMessageIds",
    "Rejected",
    "Relay",
    "Route",
    "Sample",
    "ShadowDecode",
    "Signatures",
    "Trait",
    "TraitType",
    "compat_listener",
    "compute_legacy_signature",
    "compute_signature",
    "decode_batch",
    "decode_document",
    "documents",
    "events_from_payload",
    "frame",
    "is_envelope",
    "loads",
    "notification_listener",
    "notification_transport",
    "notifier_for",
    "payload_items",
    "register_route",
    "samples_from_payload",
    "unwrap",
    "verify_signature",
    "wire_field",
    "wire_model",
    "wrap",
]

"""Wire models: one attrs definition per model drives everything else.

:class:`Sample`, :class:`Event` and :class:`Trait` are Ceilometer's models;
:func:`wire_model`, :func:`wire_field`, :class:`ModelVersion` and the field
kinds (:data:`STRING`, :data:`VOLUME`...) declare a model of your own;
:data:`BUILTIN_MODELS` is the one registry of the built-in models and
:func:`model_version` says which version of a model a Ceilometer release
sends.

>>> from ceilocompat.models import BUILTIN_MODELS, model_version
>>> sorted(BUILTIN_MODELS), model_version(BUILTIN_MODELS["sample"], "19.1.0")
(['event', 'sample'], '1.2')
"""

from ceilocompat._signing import SIGNATURE_KEY
from ceilocompat.models._event import TRAITS, Event, Trait, TraitType
from ceilocompat.models._fields import FieldSpec, ModelVersion, version_key, wire_field
from ceilocompat.models._history import model_keys, model_version
from ceilocompat.models._kinds import (
    MAPPING,
    OPTIONAL_NUMBER,
    OPTIONAL_STRING,
    STRING,
    STRING_OR_NULL_ON_READ,
    TIMESTAMP,
    VOLUME,
    Kind,
    same_value,
)
from ceilocompat.models._registry import BUILTIN_MODELS, model_named
from ceilocompat.models._sample import Sample
from ceilocompat.models._wiremodel import ModelSchema, ModelView, WireField, WireModel, wire_model

__all__ = [
    "BUILTIN_MODELS",
    "MAPPING",
    "OPTIONAL_NUMBER",
    "OPTIONAL_STRING",
    "SIGNATURE_KEY",
    "STRING",
    "STRING_OR_NULL_ON_READ",
    "TIMESTAMP",
    "TRAITS",
    "VOLUME",
    "Event",
    "FieldSpec",
    "Kind",
    "ModelSchema",
    "ModelVersion",
    "ModelView",
    "Sample",
    "Trait",
    "TraitType",
    "WireField",
    "WireModel",
    "model_keys",
    "model_named",
    "model_version",
    "same_value",
    "version_key",
    "wire_field",
    "wire_model",
]

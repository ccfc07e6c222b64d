"""The one registry of ceilocompat's built-in wire models.

Consumers, the additive-only checker, inventories and rehearsals all look
built-in models up here, by the name a :class:`~ceilocompat.routing.Route`
carries (``Route.model_name``).

>>> model_named("event").__name__
'Event'
>>> model_named("instance_health")  # doctest: +NORMALIZE_WHITESPACE
Traceback (most recent call last):
...
LookupError: no built-in wire model 'instance_health' (built-in: sample, event);
pass your own model class, e.g. model=InstanceHealth
"""

from __future__ import annotations

from typing import Any

from ceilocompat.models._event import Event
from ceilocompat.models._sample import Sample

__all__ = ["BUILTIN_MODELS", "model_named"]

#: ceilocompat's own wire models, by wire name, in the order they are checked.
BUILTIN_MODELS: dict[str, Any] = {model.__wire__.name: model for model in (Sample, Event)}


def model_named(name: str) -> Any:
    """The built-in model called *name*; :class:`LookupError` naming the fix if none."""
    try:
        return BUILTIN_MODELS[name]
    except (KeyError, TypeError):
        known = ", ".join(BUILTIN_MODELS)
        camel = "".join(part.capitalize() for part in str(name).split("_")) or "YourModel"
        raise LookupError(
            f"no built-in wire model {name!r} (built-in: {known}); pass your own model class, e.g. model={camel}"
        ) from None

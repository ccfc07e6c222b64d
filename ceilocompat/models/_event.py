"""The event model: one notification turned into typed traits.

Events travel as ``{message_id, event_type, generated, traits, raw,
message_signature}``; traits are positional ``[name, dtype, value]`` arrays.

>>> e = Event.from_wire({"message_id": "m1", "event_type": "image.delete",
...                      "generated": "2016-11-04T04:25:56.493820",
...                      "traits": [["name", 1, "cirros"], ["size", 2, 13287936]]})
>>> e.traits[1]
Trait(name='size', dtype=<TraitType.INT: 2>, value=13287936)
>>> e.to_wire()["traits"]
[['name', 1, 'cirros'], ['size', 2, 13287936]]

Decoding checks every trait, and a bad one is a DecodeError naming it, but
the :class:`Trait` objects are built on the first read of ``traits``
(:mod:`ceilocompat.models._deferred`); an event passed on unread is
encoded without building them.
"""

from __future__ import annotations

import datetime
import enum
from typing import Any

import attrs

from ceilocompat._errors import DecodeError
from ceilocompat._timestamps import format_timestamp, parse_timestamp
from ceilocompat.models._fields import ModelVersion, wire_field
from ceilocompat.models._kinds import MAPPING, OPTIONAL_STRING, STRING, TIMESTAMP, Kind
from ceilocompat.models._wiremodel import WireModel, wire_model


class TraitType(enum.IntEnum):
    """Trait dtype codes, as Ceilometer numbers them."""

    NONE = 0
    TEXT = 1
    INT = 2
    FLOAT = 3
    DATETIME = 4


_TRAIT_TYPES = {int(t): t for t in TraitType}


def _dtype(code: Any) -> TraitType:
    return _trait_type(code, "dtype")


@attrs.frozen
class Trait:
    """One typed value of an event: ``[name, dtype, value]`` on the wire."""

    name: str
    dtype: TraitType = attrs.field(converter=_dtype)
    value: Any

    def to_wire(self) -> list[Any]:
        """``[name, dtype, value]`` with a datetime value in ISO format."""
        value = self.value
        if isinstance(value, datetime.datetime):
            value = format_timestamp(value)
        return [self.name, int(self.dtype), value]


def _trait_type(code: Any, path: str) -> TraitType:
    if code.__class__ is TraitType:
        return code
    if code.__class__ is int and code in _TRAIT_TYPES:
        return _TRAIT_TYPES[code]
    raise DecodeError(path, code, "trait dtype must be an integer from 0 to 4")


def _trait(item: Any, path: str) -> Trait:
    if item.__class__ is Trait:
        return item
    if not isinstance(item, (list, tuple)) or len(item) != 3:
        raise DecodeError(path, item, "a trait must be a [name, dtype, value] triple")
    name, code, value = item
    if not isinstance(name, str):
        raise DecodeError(path + "[0]", name, "trait name must be a string")
    return Trait(str(name), _trait_type(code, path + "[1]"), value)


def _traits_one_by_one(value: Any, path: str) -> tuple[Trait, ...]:
    """Each trait checked and built on its own: any form given (tuples, :class:`Trait`, enum codes)."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise DecodeError(path, value, "traits must be a list of [name, dtype, value] triples")
    return tuple([_trait(item, f"{path}[{i}]") for i, item in enumerate(value)])


#: The dtype codes as the interpreter's own small ints: ``_CODES[code] is code``
#: holds for exactly the int codes 0 to 4 (not for True, 1.0, "1" or -1; 5 raises).
_CODES = tuple(range(len(TraitType)))


def _plain_traits(value: Any) -> bool:
    """True for a list of ``[str, code, value]`` lists, the form JSON gives, which :func:`_traits_one_by_one` accepts.

    One pass, no object built; False for anything else (which is then converted at once).

    >>> _plain_traits([["name", 1, "cirros"], ["size", 2, 13287936]]), _plain_traits([["size", True, 1]])
    (True, False)
    """
    if value.__class__ is not list:
        return False
    try:
        for item in value:
            if item.__class__ is not list:
                return False
            name, code, _ = item
            if name.__class__ is not str or _CODES[code] is not code:
                return False
    except (ValueError, TypeError, IndexError):  # not three items, or a code that is no int from 0 to 4
        return False
    return True


_new = object.__new__
_set = object.__setattr__  # as attrs' own __init__ sets a frozen instance's attributes


def _built_traits(value: list[list[Any]]) -> tuple[Trait, ...]:
    """The traits of a list :func:`_plain_traits` passed, built without checking each again."""
    traits = []
    for name, code, trait_value in value:
        trait = _new(Trait)
        _set(trait, "name", name)
        _set(trait, "dtype", _TRAIT_TYPES[code])
        _set(trait, "value", trait_value)
        traits.append(trait)
    return tuple(traits)


def _traits(value: Any, path: str) -> tuple[Trait, ...]:
    """Traits from any accepted form (raises DecodeError naming the first bad trait).

    >>> _traits([["size", 2, 13287936]], "traits") == _traits((("size", TraitType.INT, 13287936),), "traits")
    True
    """
    if _plain_traits(value):
        return _built_traits(value)
    return _traits_one_by_one(value, path)


def _encode_traits(traits: tuple[Trait, ...]) -> list[list[Any]]:
    return [trait.to_wire() for trait in traits]


#: Decoded from a plain dict, traits are checked by :func:`_plain_traits` and built on first read.
TRAITS = Kind("list of [string, 0..4, value]", (), _traits, _encode_traits, deferrable=_plain_traits)

EVENT_VERSIONS = (ModelVersion("1.0", release="2015.1.0", series="kilo", note="the event keys of Kilo"),)


@wire_model("event", EVENT_VERSIONS)
@attrs.define(kw_only=True, on_setattr=attrs.setters.NO_OP)
class Event(WireModel):
    """An event. Attribute names are the wire keys; traits are :class:`Trait`."""

    message_id: str = wire_field(STRING, since="1.0", required=True, doc="Id of the source notification.")
    event_type: str = wire_field(STRING, since="1.0", required=True, doc="Notification event type.")
    generated: str = wire_field(
        TIMESTAMP, since="1.0", required=True, doc="When generated (naive UTC), exactly as received."
    )
    traits: tuple[Trait, ...] = wire_field(TRAITS, since="1.0", default_factory=tuple, doc="Typed values, in order.")
    raw: dict[str, Any] = wire_field(
        MAPPING,
        since="1.0",
        default_factory=dict,
        doc="The source notification, when the pipeline keeps it.",
        meaning="9.0.0 changed it from the flattened notification to the oslo.messaging message dict.",
    )
    message_signature: str | None = wire_field(
        OPTIONAL_STRING, since="1.0", doc="HMAC-SHA256 over every other key (see ceilocompat.verify_signature)."
    )

    @property
    def generated_utc(self) -> datetime.datetime:
        """``generated`` as an aware UTC datetime (raises DecodeError if unparsable)."""
        return parse_timestamp(self.generated, "generated")

    def trait(self, name: str, default: Any = None) -> Any:
        """The value of the first trait called *name*, or *default*."""
        for t in self.traits:
            if t.name == name:
                return t.value
        return default

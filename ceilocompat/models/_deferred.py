"""Attributes converted on first read: decoding checks, reading builds.

Some wire values are cheap to check and costly to convert: an event's traits
become one :class:`~ceilocompat.Trait` each. For a field whose kind has a
``deferrable`` test, the generated decoder of a plain dict runs only that
test and stores :data:`UNREAD` in the slot. The test is True only for values
the kind's converter accepts; anything else is converted at once, so a bad
value is still a :class:`~ceilocompat.DecodeError` at decode time. The first
read of the attribute converts the received value (the model keeps the
received dict) with the kind's converter, as decoding would have, and keeps
the result. Equality, repr, pickling, ``attrs.evolve`` and ``attrs.asdict``
all read the attribute, so none of them can tell.

>>> from ceilocompat import Event
>>> e = Event.from_wire({"message_id": "m1", "event_type": "image.delete",
...                      "generated": "2016-11-04T04:25:56", "traits": [["size", 2, 13287936]]})
>>> is_unread(e, "traits")
True
>>> e.traits
(Trait(name='size', dtype=<TraitType.INT: 2>, value=13287936),)
>>> is_unread(e, "traits")
False
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

__all__ = ["UNREAD", "DeferredAttribute", "defer_conversion", "is_unread", "slot_of"]


class _Unread:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNREAD"


#: What a decoder stores in place of a value it checked but did not convert.
UNREAD: Any = _Unread()

_Slot = types.MemberDescriptorType


class DeferredAttribute(property):
    """The attribute of a slot whose received value is converted on its first read.

    Assigning stores the value as the bare slot would.
    """

    def __init__(self, slot: _Slot, key: str, convert: Callable[[Any, str], Any], doc: str = "") -> None:
        read, store = slot.__get__, slot.__set__

        def converted(obj: Any) -> Any:
            value = read(obj)
            if value is UNREAD:
                value = convert(obj.received[key], key)
                store(obj, value)
            return value

        doc = f"{doc} Converted from the received value on first read.".lstrip()
        super().__init__(converted, store, slot.__delete__, doc)
        self.slot = slot


def slot_of(model: type, key: str) -> _Slot | None:
    """The member descriptor that holds attribute *key* of *model*'s objects, or None when it is not a slot."""
    for cls in model.__mro__:
        found = cls.__dict__.get(key)
        if isinstance(found, DeferredAttribute):
            return found.slot
        if found is not None:
            return found if isinstance(found, types.MemberDescriptorType) else None
    return None


def defer_conversion(model: type, key: str, convert: Callable[[Any, str], Any], doc: str = "") -> bool:
    """Make attribute *key* of *model* convert its received value on first read (documented as *doc*).

    False, and nothing changed, when *key* is not a slot (a model declared
    with ``slots=False``): its decoder then converts at once.
    """
    slot = slot_of(model, key)
    if slot is None:
        return False
    setattr(model, key, DeferredAttribute(slot, key, convert, doc))
    return True


def is_unread(obj: Any, key: str) -> bool:
    """True while attribute *key* of *obj* holds a received value not yet converted."""
    attribute = getattr(type(obj), key, None)
    return isinstance(attribute, DeferredAttribute) and attribute.slot.__get__(obj) is UNREAD

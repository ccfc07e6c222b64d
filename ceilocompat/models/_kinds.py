"""Value kinds: what one wire field may hold, and how it decodes and encodes.

A kind is the type half of a field definition. Decoding has a fast path, an
exact class check done inline by the generated decoder (``fast_classes``),
and a slow path, :meth:`Kind.convert`, that accepts the other valid spellings
or raises :class:`~ceilocompat.DecodeError`.

>>> VOLUME.convert("2", "counter_volume")
2.0
>>> VOLUME.convert([], "counter_volume")
Traceback (most recent call last):
ceilocompat.DecodeError: counter_volume: must be a number, a numeric string or null (got [])
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable
from typing import Any

import attrs

from ceilocompat._errors import DecodeError
from ceilocompat._timestamps import format_timestamp

NoneType = type(None)


@attrs.frozen
class Kind:
    """How one field's value travels.

    :param name: the wire type as documented (``"string"``, ``"string|null"``).
    :param fast_classes: exact classes taken as they are, without a call.
    :param convert: ``convert(value, path) -> decoded`` for everything else.
    :param encode: ``encode(decoded) -> wire value`` for models built in Python.
    :param accept: ``accept(value, path)`` checks a value given in Python
        (constructor, assignment); defaults to *convert*.
    :param coercions: ``(exact class, builtin)`` pairs where *convert* gives
        ``builtin(value)`` (an int volume becomes ``float(value)``); the
        generated decoder calls the builtin inline and falls back to
        *convert* if it raises.
    :param widens: a narrower kind this one widens **for readers only**: it
        decodes every value *widens* decodes, to the same value, and more;
        but a value is written only if *widens* accepts it, so nothing it
        writes is refused by a reader of the narrower kind. A value decoded
        from the wire and left unchanged is given back as received, so a
        relay still passes on the wider values it read. The additive-only
        checker lets a released field of kind *widens* take this kind.
    :param deferrable: ``deferrable(value) -> bool``, a cheap one-pass test
        that is True only for values *convert* accepts. For such a value
        the decoder of a plain dict runs only this test, and the attribute
        converts the received value on its first read; for conversions
        that build many objects (event traits). Anything else is converted
        at once, so a bad value is still refused at decode time.
    """

    name: str
    fast_classes: tuple[type, ...]
    convert: Callable[[Any, str], Any]
    encode: Callable[[Any], Any] = lambda value: value
    accept: Callable[[Any, str], Any] = attrs.field(default=None)
    coercions: tuple[tuple[type, Callable[[Any], Any]], ...] = ()
    widens: Kind | None = None
    deferrable: Callable[[Any], bool] | None = None

    def __attrs_post_init__(self) -> None:
        if self.accept is None:
            object.__setattr__(self, "accept", self.convert)

    def widened(self) -> tuple[str, ...]:
        """The names of the kinds this one widens for readers, nearest first.

        >>> STRING_OR_NULL_ON_READ.widened()
        ('string',)
        """
        names, kind = [], self.widens
        while kind is not None:
            names.append(kind.name)
            kind = kind.widens
        return tuple(names)

    def check_written(self, value: Any, path: str) -> None:
        """Refuse a value this kind reads but never writes (see *widens*).

        >>> STRING_OR_NULL_ON_READ.check_written(None, "resource_id")
        Traceback (most recent call last):
        ceilocompat.DecodeError: resource_id: is read but never written (readers of kind 'string' refuse it) (got None)
        """
        kind = self.widens
        while kind is not None:
            try:
                kind.accept(value, path)
            except DecodeError:
                reason = f"is read but never written (readers of kind {kind.name!r} refuse it)"
                raise DecodeError(path, value, reason) from None
            kind = kind.widens


def _string(value: Any, path: str) -> str:
    if isinstance(value, str):
        return str(value)
    raise DecodeError(path, value, "must be a string")


def _optional_string(value: Any, path: str) -> str | None:
    return None if value is None else _string(value, path)


def _timestamp(value: Any, path: str) -> str:
    if isinstance(value, datetime.datetime):
        return format_timestamp(value)
    if isinstance(value, str):
        return str(value)
    raise DecodeError(path, value, "a timestamp must be a string")


_NUMERIC_TEXT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\Z")
_MAX_NUMERIC_TEXT = 400


def _number(value: Any, path: str, accept_text: bool) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            raise DecodeError(path, value, "number is too large for a float") from None
    if accept_text and isinstance(value, str):
        if len(value) <= _MAX_NUMERIC_TEXT and _NUMERIC_TEXT.match(value.strip()):
            return float(value)
        raise DecodeError(path, value, "must be a number, a numeric string or null")
    if accept_text:
        raise DecodeError(path, value, "must be a number, a numeric string or null")
    raise DecodeError(path, value, "must be a number or null")


def _keep_numbers(convert: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    """Python-given ints stay ints, so encoding matches Ceilometer's exactly."""

    def accept(value: Any, path: str) -> Any:
        if value.__class__ is int:
            return value
        return convert(value, path)

    return accept


def _volume(value: Any, path: str) -> float | None:
    return _number(value, path, accept_text=True)


def _optional_number(value: Any, path: str) -> float | None:
    return _number(value, path, accept_text=False)


def _mapping(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise DecodeError(path, value, "must be an object (mapping) or null")


def _same_number(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


STRING = Kind("string", (str,), _string)
OPTIONAL_STRING = Kind("string|null", (str, NoneType), _optional_string)
#: A string that may arrive as null (Ceilometer's ``resource_id``): null reads
#: as None and is relayed as received, but only strings are ever written, so
#: that readers of :data:`STRING` never meet a null this library made.
STRING_OR_NULL_ON_READ = Kind("string|null-on-read", (str, NoneType), _optional_string, widens=STRING)
TIMESTAMP = Kind("timestamp-string", (str,), _timestamp)
VOLUME = Kind(
    "number|numeric-string|null", (float,), _volume, accept=_keep_numbers(_volume), coercions=((int, float),)
)
OPTIONAL_NUMBER = Kind(
    "number|null",
    (float, NoneType),
    _optional_number,
    accept=_keep_numbers(_optional_number),
    coercions=((int, float),),
)
MAPPING = Kind("object|null", (dict,), _mapping)


def same_value(kind: Kind, decoded_from_wire: Any, current: Any) -> bool:
    """True when *current* is what the received wire value decodes to.

    NaN volumes compare equal to themselves here, unlike with ``==``.
    """
    if kind is VOLUME or kind is OPTIONAL_NUMBER:
        return _same_number(decoded_from_wire, current)
    return bool(decoded_from_wire == current)

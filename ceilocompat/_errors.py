"""The one exception type for bad input.

Every malformed payload, whatever is wrong with it, ends in
:class:`DecodeError`: a :class:`ValueError` that names where the problem is
(``path``), what was found there (``value``, shortened) and why it was refused
(``reason``).

>>> err = DecodeError("counter_volume", "lots", "not a number")
>>> str(err)
"counter_volume: not a number (got 'lots')"
>>> isinstance(err, ValueError)
True
"""

from __future__ import annotations

import reprlib

_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 4
_SHORT.maxlevel = 2

#: Marker for "no value was given"; distinct from ``None``, which is data.
NOTHING = type("Nothing", (), {"__repr__": lambda self: "<nothing>"})()


def shorten(value: object) -> str:
    """Return a bounded, never-failing ``repr`` of *value* for messages.

    >>> len(shorten("x" * 100_000)) <= 60
    True
    """
    if value is NOTHING:
        return "nothing"
    try:
        return _SHORT.repr(value)
    except Exception:  # noqa: BLE001  a hostile __repr__ may raise anything, and must not hide the real error
        return f"<unprintable {type(value).__name__}>"


class DecodeError(ValueError):
    """A payload, or a part of one, that cannot be decoded.

    :param path: where in the payload, e.g. ``"samples[3].counter_volume"``.
    :param value: the offending value (kept for callers, shortened in text).
    :param reason: why it was refused, in a few words.
    """

    __module__ = "ceilocompat"  # where users import it from, and what tracebacks show

    def __init__(self, path: str, value: object, reason: str) -> None:
        self.path = path
        self.value = value
        self.reason = reason
        where = f"{path}: " if path else ""
        super().__init__(f"{where}{reason} (got {shorten(value)})")

    def at(self, prefix: str) -> DecodeError:
        """Return the same error located under *prefix*.

        >>> DecodeError("counter_name", 3, "not a string").at("[7]").path
        '[7].counter_name'
        """
        if not prefix:
            return self
        joined = prefix + ("" if not self.path or self.path.startswith("[") else ".") + self.path
        return type(self)(joined, self.value, self.reason)


def check_name(kind: str, value: object) -> str:
    """*value* if it is a non-empty str; else TypeError or ValueError naming *kind*.

    For the names of bus places (topics, exchanges, groups), given by code
    rather than read from the wire.

    >>> check_name("topic", "")
    Traceback (most recent call last):
    ...
    ValueError: topic must not be empty
    """
    if not isinstance(value, str):
        raise TypeError(f"{kind} must be a str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{kind} must not be empty")
    return value

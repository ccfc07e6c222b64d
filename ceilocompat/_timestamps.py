"""Timestamps as Ceilometer writes them, parsed to aware UTC datetimes.

Ceilometer's wire timestamps come in several spellings: ``T`` or a space
between date and time, with or without microseconds, with or without a UTC
offset. Payloads keep the text exactly as received; :func:`parse_timestamp`
gives the instant it names.

>>> parse_timestamp("2024-06-20T09:32:36.521082")
datetime.datetime(2024, 6, 20, 9, 32, 36, 521082, tzinfo=datetime.timezone.utc)
>>> parse_timestamp("2020-09-14T16:12:49.939250+02:00").hour
14
>>> parse_timestamp("2012-05-08 20:23:48").isoformat()
'2012-05-08T20:23:48+00:00'
"""

from __future__ import annotations

import datetime
import re

from ceilocompat._errors import DecodeError

_UTC = datetime.timezone.utc

# Accepted by Ceilometer-era producers but not by ``datetime.fromisoformat`` on
# every supported Python: a trailing "Z", and any count of fraction digits.
_LOOSE = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2})\s*:\s*(\d{2})\s*:\s*(\d{2})"
    r"(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?\s*\Z",
    re.IGNORECASE,
)

#: Longest text taken for a timestamp; longer text is refused unparsed.
MAX_TIMESTAMP_LENGTH = 64


def parse_timestamp(text: object, path: str = "timestamp") -> datetime.datetime:
    """Return the aware UTC datetime that *text* names.

    Naive timestamps are UTC, as everywhere in Ceilometer. Raises
    :class:`~ceilocompat.DecodeError` for anything that is not such a text.

    >>> parse_timestamp("2015-06-19T09: 19: 35.785330").minute  # a Liberty-era spelling
    19
    >>> parse_timestamp("yesterday")
    Traceback (most recent call last):
    ceilocompat.DecodeError: timestamp: not an ISO 8601 timestamp (got 'yesterday')
    """
    if not isinstance(text, str):
        raise DecodeError(path, text, "a timestamp must be a string")
    if len(text) > MAX_TIMESTAMP_LENGTH:
        raise DecodeError(path, text, "timestamp text is too long")
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_loose(text, path)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=_UTC)
    return parsed.astimezone(_UTC)


def _parse_loose(text: str, path: str) -> datetime.datetime:
    match = _LOOSE.match(text)
    if match is None:
        raise DecodeError(path, text, "not an ISO 8601 timestamp")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = None
    if offset:
        tz = _UTC if offset.upper() == "Z" else _offset(offset)
    try:
        return datetime.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz
        )
    except ValueError as exc:
        raise DecodeError(path, text, f"not a valid date or time ({exc})") from None


def _offset(text: str) -> datetime.timezone:
    digits = text[1:].replace(":", "")
    delta = datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return datetime.timezone(-delta if text[0] == "-" else delta)


def format_timestamp(value: datetime.datetime) -> str:
    """Spell *value* as Ceilometer does: ``isoformat()``, offset kept if any.

    >>> format_timestamp(datetime.datetime(2024, 6, 20, 9, 32, 36))
    '2024-06-20T09:32:36'
    """
    return value.isoformat()

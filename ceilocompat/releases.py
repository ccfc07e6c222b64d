"""Ceilometer release series in order, for the drop period of deprecated fields.

A field's ``drop_after`` names the last Ceilometer series whose services still
need it; it may leave the model once the oldest series still running is a
later one. Releases are spelled three ways over Ceilometer's history: year
versions up to Kilo (``2015.1.0``), major versions since Liberty
(``24.0.0``), and series names (``kilo``, ``zed``, ``2025.1``). All map to one
number per series, Ceilometer's major version (Kilo, the last year-versioned
series, counts as 4). Point releases belong to their series.

>>> series_number("2025.1"), series_number("24.1.0"), series_number("kilo")
(24, 24, 4)
>>> has_passed("2024.1", oldest_running="2024.2")
True
>>> has_passed("2024.1", oldest_running="22.0.0")   # 22.0.0 is 2024.1 itself
False
"""

from __future__ import annotations

#: Series names before the year-named series, in order from Grizzly (0).
NAMED_SERIES = (
    "grizzly havana icehouse juno kilo liberty mitaka newton ocata pike "
    "queens rocky stein train ussuri victoria wallaby xena yoga zed"
).split()

_KILO, _FIRST_YEAR_SERIES, _FIRST_YEAR_NAMED = 4, 20, 2023


def series_number(release: str) -> int:
    """The series of *release* as Ceilometer's major version number.

    Raises ValueError for anything that is not a Ceilometer release.

    >>> series_number("2015.1.0"), series_number("liberty"), series_number("2023.1")
    (4, 5, 20)
    """
    text = str(release).strip().lower()
    if text in NAMED_SERIES:
        return NAMED_SERIES.index(text)
    try:
        parts = [int(part) for part in text.split(".")]
    except ValueError:
        parts = []
    if parts and parts[0] < 2000:
        return parts[0]
    if len(parts) >= 2 and parts[0] <= 2015 and parts[1] in (1, 2):
        return _KILO + (parts[0] - 2015) * 2 + parts[1] - 1
    if len(parts) == 2 and parts[0] >= _FIRST_YEAR_NAMED and parts[1] in (1, 2):
        return _FIRST_YEAR_SERIES + (parts[0] - _FIRST_YEAR_NAMED) * 2 + parts[1] - 1
    raise ValueError(
        f"{release!r} is not a Ceilometer release: give a version ('24.0.0', '2015.1.0') "
        "or a series ('kilo', 'zed', '2025.1')"
    )


def has_passed(drop_after: str, oldest_running: str | None) -> bool:
    """True when every service still running is of a later series than *drop_after*.

    ``oldest_running`` None means "unknown": then nothing has passed.

    >>> has_passed("zed", None)
    False
    """
    if oldest_running is None:
        return False
    return series_number(oldest_running) > series_number(drop_after)

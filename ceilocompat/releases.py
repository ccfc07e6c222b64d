"""Ceilometer releases: reading them, ordering them, and their series.

Releases are spelled several ways over Ceilometer's history: year versions
up to Kilo (``2015.1.0``), major versions since Liberty (``9.0.0``,
``18.1.0``, pre-releases such as ``10.0.0.0rc1``), year series
(``2023.1``) and code names (``kilo``, ``pike``, ``Stein``, ``epoxy``).
:func:`parse_release` reads them all into a :class:`Release`, ordered by
``(major, minor, patch)``; the major number is Ceilometer's major version,
which numbers the series (Kilo, the last year-versioned series, counts as 4;
``2023.1`` is 20). A series or code name stands for the first release of that
series, and a pre-release for the release it leads to.

The drop period of deprecated fields compares series only: a field's
``drop_after`` names the last Ceilometer series whose services still need it,
and it may leave the model once the oldest series still running is a later
one (:func:`has_passed`). Point releases belong to their series.

>>> parse_release("18.1.0") > parse_release("18.0.0") > parse_release("pike")
True
>>> series_number("2025.1"), series_number("24.1.0"), series_number("kilo")
(24, 24, 4)
>>> has_passed("2024.1", oldest_running="2024.2")
True
>>> has_passed("2024.1", oldest_running="22.0.0")   # 22.0.0 is 2024.1 itself
False
"""

from __future__ import annotations

import dataclasses
import functools
import re

__all__ = [
    "CODE_NAMES", "NAMED_SERIES", "NEWEST_KNOWN_RELEASE", "Release", "has_passed", "known_release", "parse_release",
    "series_number",
]

#: Code names of Ceilometer's series in order; a name's index is its major version.
CODE_NAMES = (
    "grizzly havana icehouse juno kilo liberty mitaka newton ocata pike "
    "queens rocky stein train ussuri victoria wallaby xena yoga zed "
    "antelope bobcat caracal dalmatian epoxy flamingo gazpacho"
).split()

_FIRST_YEAR_SERIES, _FIRST_YEAR_NAMED = 20, 2023

#: Series names before the year-named series, in order from Grizzly (0).
NAMED_SERIES = CODE_NAMES[:_FIRST_YEAR_SERIES]

#: The newest Ceilometer release ceilocompat's facts were checked against (on PyPI; the
#: series after the last code name above, whose name is not recorded here).
NEWEST_KNOWN_RELEASE = "27.0.0"

_CODE_NAME_MAJOR = {name: major for major, name in enumerate(CODE_NAMES)}
#: Year versions up to Kilo, by (year, half): the series' major version.
_YEAR_VERSIONS = {(2013, 1): 0, (2013, 2): 1, (2014, 1): 2, (2014, 2): 3, (2015, 1): 4}
#: Up to three numbers, more numbers, then a pre-release or local suffix (rc1, .0b2, .dev4, +g1234).
_RELEASE_RE = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.\d+)*(?:[.\-+]?[A-Za-z].*)?\Z")


@functools.total_ordering
@dataclasses.dataclass(frozen=True, eq=False)
class Release:
    """A Ceilometer release as written, ordered by ``(major, minor, patch)``.

    >>> parse_release("10.0.0.0rc1") == parse_release("queens")
    True
    >>> str(parse_release("2023.1")), parse_release("2023.1").key
    ('2023.1', (20, 0, 0))
    """

    text: str
    key: tuple[int, int, int]

    @property
    def major(self) -> int:
        """Ceilometer's major version, which numbers the series."""
        return self.key[0]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Release) and self.key == other.key

    def __lt__(self, other: Release) -> bool:
        return self.key < other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return self.text


def parse_release(text: str) -> Release:
    """Read a release: ``9.0.0``, ``18.1.0``, ``10.0.0.0rc1``, ``2015.1.0``, ``2023.1``, ``pike``.

    Date versions keep their point number as the patch (``2015.1.2`` is
    ``(4, 0, 2)``); a series or code name is the first release of the series.

    >>> [parse_release(r).major for r in ("9.0.0", "10.0.0.0b2", "2023.1", "2015.1.0", "Stein")]
    [9, 10, 20, 4, 12]
    >>> parse_release("2015.1.2").key
    (4, 0, 2)
    >>> parse_release("nine")
    Traceback (most recent call last):
    ...
    ValueError: 'nine' is not a Ceilometer release (write it like '9.0.0', '2023.1' or 'pike')
    """
    if not isinstance(text, str):
        raise TypeError(f"a release must be a string, not {type(text).__name__}")
    stripped = text.strip()
    name_major = _CODE_NAME_MAJOR.get(stripped.lower())
    if name_major is not None:
        return Release(stripped, (name_major, 0, 0))
    match = _RELEASE_RE.match(stripped)
    if match:
        first, second, third = (int(n) if n else 0 for n in match.groups())
        if first < 1000:  # 9.0.0
            return Release(stripped, (first, second, third))
        if first >= _FIRST_YEAR_NAMED and second in (1, 2):  # 2023.1: counts from x.0
            return Release(stripped, (_FIRST_YEAR_SERIES + (first - _FIRST_YEAR_NAMED) * 2 + second - 1, 0, 0))
        if (first, second) in _YEAR_VERSIONS:  # 2015.1.2
            return Release(stripped, (_YEAR_VERSIONS[first, second], 0, third))
    raise ValueError(f"{text!r} is not a Ceilometer release (write it like '9.0.0', '2023.1' or 'pike')")


def known_release(text: str) -> Release:
    """:func:`parse_release`, refusing a release of a series newer than :data:`NEWEST_KNOWN_RELEASE`.

    >>> known_release("2026.2").major
    27
    >>> known_release("99.0.0")
    Traceback (most recent call last):
    ...
    ValueError: '99.0.0' is newer than any Ceilometer release ceilocompat knows (the newest is 27.0.0)
    """
    release = parse_release(text)
    if release.major > parse_release(NEWEST_KNOWN_RELEASE).major:
        raise ValueError(
            f"{text!r} is newer than any Ceilometer release ceilocompat knows (the newest is {NEWEST_KNOWN_RELEASE})"
        )
    return release


def series_number(release: str) -> int:
    """The series of *release* as Ceilometer's major version number.

    Anything else is read as its text (a release given as the YAML number
    ``2024.1`` still reads). Raises ValueError for anything that is not a
    Ceilometer release.

    >>> series_number("2015.1.0"), series_number("liberty"), series_number("2023.1")
    (4, 5, 20)
    """
    return parse_release(release if isinstance(release, str) else str(release)).major


def has_passed(drop_after: str, oldest_running: str | None) -> bool:
    """True when every service still running is of a later series than *drop_after*.

    ``oldest_running`` None means "unknown": then nothing has passed.

    >>> has_passed("zed", None)
    False
    """
    if oldest_running is None:
        return False
    return series_number(oldest_running) > series_number(drop_after)

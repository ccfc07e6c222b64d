"""Ceilometer releases: ordering them, and the model versions each one sends.

The major version comes from :mod:`ceilocompat.routing` (which also reads
series such as ``2023.1``, code names such as ``pike`` and Kilo's date
versions such as ``2015.1.0``); this module adds the minor and patch numbers
needed to tell a stable point release carrying a backport (``18.1.0``) from
the release before it (``18.0.0``). A series or code name stands for the
first release of that series.

Which keys a release sends is read from the models' own
:class:`~ceilocompat.models.ModelVersion` data (``release`` and
``also_in``), never written here a second time.

>>> parse_release("18.1.0") > parse_release("pike")
True
>>> model_version(Sample, "18.0.0"), model_version(Sample, "18.1.0")
('1.1', '1.2')
"""

from __future__ import annotations

import dataclasses
import functools
import re

from ceilocompat.models import Event, Sample
from ceilocompat.routing import _release_major

__all__ = ["MODELS", "Release", "model_version", "model_keys", "parse_release"]

#: The wire models whose versions producers and consumers are compared on.
MODELS = {"sample": Sample, "event": Event}

_NUMBERS_RE = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")


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
        return self.key[0]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Release) and self.key == other.key

    def __lt__(self, other: "Release") -> bool:
        return self.key < other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return self.text


def parse_release(text: str) -> Release:
    """Read a release: ``9.0.0``, ``18.1.0``, ``2015.1.0``, ``2023.1``, ``pike``.

    >>> parse_release("2015.1.2").key
    (4, 0, 2)
    >>> parse_release("nine")
    Traceback (most recent call last):
    ...
    ValueError: 'nine' is not a Ceilometer release (write it like '9.0.0', '2023.1' or 'pike')
    """
    if not isinstance(text, str):
        raise TypeError(f"a release must be a string, not {type(text).__name__}")
    try:
        major = _release_major(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a Ceilometer release (write it like '9.0.0', '2023.1' or 'pike')"
        ) from None
    numbers = _NUMBERS_RE.match(text.strip())
    minor = patch = 0
    if numbers:
        first, second, third = (int(n) if n else 0 for n in numbers.groups())
        if first < 1000:  # 9.0.0; date versions (2015.1.0) and series (2023.1) count from x.0
            minor, patch = second, third
        elif first < 2023:
            patch = third
    return Release(text.strip(), (major, minor, patch))


def _as_release(release: "Release | str") -> Release:
    return release if isinstance(release, Release) else parse_release(release)


def model_version(model: type, release: "Release | str") -> str:
    """The newest version of *model* that *release* sends.

    A version applies from its ``release`` on, and from each ``also_in``
    point release on within that release's major series. Releases older than
    the model's first version are taken to send the first version.

    >>> [model_version(Sample, r) for r in ("2015.1.0", "8.0.0", "9.0.0", "19.0.0", "19.1.0", "20.0.0")]
    ['1.0', '1.0', '1.1', '1.1', '1.2', '1.2']
    >>> model_version(Event, "27.0.0")
    '1.0'
    """
    release = _as_release(release)
    found = model.__wire__.versions[0].number
    for version in model.__wire__.versions:
        since = parse_release(version.release)
        backports = (parse_release(r) for r in version.also_in)
        if release >= since or any(release.major == b.major and release >= b for b in backports):
            found = version.number
    return found


def model_keys(model: type, version: str) -> frozenset[str]:
    """The wire keys *model* knows at *version*.

    >>> sorted(model_keys(Sample, "1.2") - model_keys(Sample, "1.1"))
    ['project_name', 'publisher_id', 'user_name']
    """
    return model.at(version).keys


"""The model versions each Ceilometer release sends.

Releases are read and ordered by :mod:`ceilocompat.releases`
(:func:`~ceilocompat.releases.parse_release`); this module adds what needs
the models. The minor and patch numbers tell a stable point
release carrying a backport (``18.1.0``) from the release before it
(``18.0.0``).

Which keys a release sends is read from the models' own
:class:`~ceilocompat.models.ModelVersion` data (``release`` and
``also_in``), never written here a second time.

>>> from ceilocompat.models import Event, Sample
>>> model_version(Sample, "18.0.0"), model_version(Sample, "18.1.0")
('1.1', '1.2')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ceilocompat.releases import Release, parse_release

if TYPE_CHECKING:  # pragma: no cover
    from ceilocompat.models._wiremodel import WireModel

__all__ = ["model_keys", "model_version"]


def model_version(model: type[WireModel], release: Release | str) -> str:
    """The newest version of *model* that *release* sends.

    A version applies from its ``release`` on, and from each ``also_in``
    point release on within that release's major series. Releases older than
    the model's first version are taken to send the first version.

    >>> from ceilocompat.models import Event, Sample
    >>> [model_version(Sample, r) for r in ("2015.1.0", "7.0.5", "7.1.0", "8.0.0", "8.1.5", "9.0.0")]
    ['1.0', '1.0', '1.1', '1.0', '1.1', '1.1']
    >>> [model_version(Sample, r) for r in ("18.0.0", "18.1.0", "19.0.0", "19.1.0", "20.0.0")]
    ['1.1', '1.2', '1.1', '1.2', '1.2']
    >>> model_version(Event, "27.0.0")
    '1.0'
    """
    if not isinstance(release, Release):
        release = parse_release(release)
    found = model.__wire__.versions[0].number
    for version in model.__wire__.versions:
        since = parse_release(version.release)
        backports = (parse_release(r) for r in version.also_in)
        if release >= since or any(release.major == b.major and release >= b for b in backports):
            found = version.number
    return found


def model_keys(model: type[WireModel], version: str) -> frozenset[str]:
    """The wire keys *model* knows at *version*.

    >>> from ceilocompat.models import Sample
    >>> sorted(model_keys(Sample, "1.2") - model_keys(Sample, "1.1"))
    ['project_name', 'publisher_id', 'user_name']
    """
    return model.at(version).keys

"""A pytest fixture that checks your wire models against your manifests.

What ``ObjectVersionChecker`` is to oslo.versionedobjects users, the
``wire_model_checker`` fixture is to ceilocompat users, except that a failure
names what broke (field removed, type changed...) instead of a changed hash.
The plugin is not loaded automatically; enable it in your ``conftest.py``::

    pytest_plugins = ["ceilocompat.pytest_plugin"]

and keep one test::

    def test_models_only_add(wire_model_checker):
        wire_model_checker.assert_compatible([Reading, Alarm])

Settings (``pytest.ini``, ``[tool.pytest.ini_options]``...):
``ceilocompat_manifests``, your manifest directory relative to the rootdir
(or pass ``manifests=`` to each call); ``ceilocompat_oldest_release``, the
oldest Ceilometer release still running, for the drop period.

>>> checker = WireModelChecker(manifests=None)
>>> from ceilocompat import Sample, Event
>>> from ceilocompat.manifest import PACKAGE_MANIFESTS
>>> checker.assert_compatible([Sample, Event], manifests=PACKAGE_MANIFESTS).ok
True
"""

from __future__ import annotations

import pathlib
from typing import Any, Iterable

import attrs
import pytest

from ceilocompat.checker import Report, assert_compatible, check, write_new_manifests

MANIFESTS_INI = "ceilocompat_manifests"
OLDEST_RELEASE_INI = "ceilocompat_oldest_release"


@attrs.frozen
class WireModelChecker:
    """The checker with this project's settings; ``manifests=`` overrides the directory."""

    manifests: pathlib.Path | None
    oldest_release: str | None = None

    def directory(self, manifests: str | pathlib.Path | None) -> pathlib.Path:
        chosen = manifests if manifests is not None else self.manifests
        if chosen is None:
            raise ValueError(f"no manifest directory: set {MANIFESTS_INI} in the pytest ini file or pass manifests=")
        return pathlib.Path(chosen)

    def check(self, models: Iterable[Any], manifests: str | pathlib.Path | None = None) -> Report:
        """The :class:`~ceilocompat.checker.Report` for *models*."""
        return check(models, self.directory(manifests), oldest_release=self.oldest_release)

    def assert_compatible(self, models: Iterable[Any], manifests: str | pathlib.Path | None = None) -> Report:
        """Fail, one line per violation, unless *models* only added to their manifests."""
        return assert_compatible(models, self.directory(manifests), oldest_release=self.oldest_release)

    def write_new_manifests(self, models: Iterable[Any], manifests: str | pathlib.Path | None = None) -> list:
        """Write the manifests of new model versions (see :func:`~ceilocompat.checker.write_new_manifests`)."""
        return write_new_manifests(models, self.directory(manifests), oldest_release=self.oldest_release)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(MANIFESTS_INI, "directory of the committed wire model manifests, relative to the rootdir")
    parser.addini(OLDEST_RELEASE_INI, "oldest Ceilometer release still running (drop period of deprecated fields)")


@pytest.fixture
def wire_model_checker(pytestconfig: pytest.Config) -> WireModelChecker:
    """A :class:`WireModelChecker` configured from the pytest ini settings."""
    manifests = pytestconfig.getini(MANIFESTS_INI)
    return WireModelChecker(
        manifests=pytestconfig.rootpath / manifests if manifests else None,
        oldest_release=pytestconfig.getini(OLDEST_RELEASE_INI) or None,
    )

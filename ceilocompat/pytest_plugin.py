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
>>> from ceilocompat.evolution.manifest import PACKAGE_MANIFESTS
>>> checker.assert_compatible([Sample, Event], manifests=PACKAGE_MANIFESTS).ok
True
"""

from __future__ import annotations

import pytest

from ceilocompat.evolution.checker import WireModelChecker

__all__ = ["WireModelChecker", "wire_model_checker"]

MANIFESTS_INI = "ceilocompat_manifests"
OLDEST_RELEASE_INI = "ceilocompat_oldest_release"


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

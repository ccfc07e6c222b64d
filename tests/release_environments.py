"""Release environments for tests: built or taken from the cache, or the test skips (fails in CI).

With ``CEILOCOMPAT_REQUIRE_GRENADE=1`` (CI) an environment that cannot be
built fails the test instead of skipping it.
"""

from __future__ import annotations

import os

import pytest

from ceilocompat.grenade import Environment, build_environment


def environment(release: str) -> Environment:
    """The environment of *release*, or skip (fail in CI) saying why there is none."""
    env = build_environment(release, progress=lambda line: print(line, flush=True))
    if not env.ok:
        missing(f"ceilometer {release} environment: {env.reason}")
    return env


def missing(reason: str) -> None:
    """Skip the test, or fail it where release environments are required."""
    if os.environ.get("CEILOCOMPAT_REQUIRE_GRENADE") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)

"""The compiled accelerators as the tests take them: skipped where not built, unless CI requires them."""

from __future__ import annotations

import os
from typing import TypeVar

import pytest

T = TypeVar("T")


def built_or_skip(found: T | None, module: str) -> T:
    """*found*, the compiled implementation; skips where it is None (*module* was not built), unless
    ``CEILOCOMPAT_REQUIRE_COMPILED=1`` (CI) makes that a failure."""
    if found is None:
        if os.environ.get("CEILOCOMPAT_REQUIRE_COMPILED") == "1":
            pytest.fail(f"ceilocompat.{module} was not built (CEILOCOMPAT_REQUIRE_COMPILED=1)")
        pytest.skip(f"the compiled ceilocompat.{module} was not built here")
    return found

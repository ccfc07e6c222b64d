"""The two signing implementations as the tests take them."""

from __future__ import annotations

import os

import pytest

from ceilocompat import _signing as signing


def compiled_or_skip() -> signing.Implementation:
    """The compiled implementation; skips where it was not built, unless
    ``CEILOCOMPAT_REQUIRE_COMPILED=1`` (CI) makes that a failure."""
    implementation = signing.compiled()
    if implementation is None:
        if os.environ.get("CEILOCOMPAT_REQUIRE_COMPILED") == "1":
            pytest.fail("ceilocompat._signing_accel was not built (CEILOCOMPAT_REQUIRE_COMPILED=1)")
        pytest.skip("the compiled signing accelerator was not built here")
    return implementation


def outcome(function, *args):
    """The result, or the class of the exception raised."""
    try:
        return function(*args)
    except Exception as exc:  # noqa: BLE001 - the class is what is compared
        return type(exc)

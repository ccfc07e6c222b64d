"""The two signing implementations as the tests take them."""

from __future__ import annotations

from ceilocompat import _signing as signing
from compiled import built_or_skip


def compiled_or_skip() -> signing.Implementation:
    """The compiled implementation (see :func:`compiled.built_or_skip`)."""
    return built_or_skip(signing.compiled(), "_signing_accel")


def outcome(function, *args):
    """The result, or the class of the exception raised."""
    try:
        return function(*args)
    except Exception as exc:  # noqa: BLE001 - the class is what is compared
        return type(exc)

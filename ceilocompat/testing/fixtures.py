"""pytest fixtures for your own tests: ``rabbitmq``, a private RabbitMQ for the test run.

Load them in a ``conftest.py``::

    pytest_plugins = ["ceilocompat.testing.fixtures"]

``rabbitmq`` is session-scoped and yields a
:class:`~ceilocompat.testing.RabbitMQBroker` started on free loopback ports
and stopped when the last test using it is done. If ``rabbitmq-server`` is
not installed the fixture skips, or fails when
``CEILOCOMPAT_REQUIRE_RABBITMQ=1`` (as in CI, where a missing broker must not
pass unnoticed).
"""

from __future__ import annotations

import atexit
import os
import threading

import pytest

from ceilocompat.testing.rabbitmq import RabbitMQBroker, RabbitMQUnavailable, find_rabbitmq

__all__ = ["rabbitmq"]


# -- the session fixture ----------------------------------------------------
# Shared by reference count, so importing the fixture into several modules
# (a conftest and a test module) still starts one node per session.

_shared_lock = threading.Lock()
_shared: RabbitMQBroker | None = None
_users = 0


def _close_shared_at_exit() -> None:
    global _shared
    broker, _shared = _shared, None
    if broker is not None:
        broker.close()


atexit.register(_close_shared_at_exit)


def _unavailable(reason: str) -> None:
    if os.environ.get("CEILOCOMPAT_REQUIRE_RABBITMQ") == "1":
        pytest.fail(f"CEILOCOMPAT_REQUIRE_RABBITMQ=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def rabbitmq(tmp_path_factory):
    """A private RabbitMQ node for the whole session (see RabbitMQBroker)."""
    global _shared, _users
    try:
        binaries = find_rabbitmq()
    except RabbitMQUnavailable as exc:
        _unavailable(str(exc))
    with _shared_lock:
        if _shared is None:
            broker = RabbitMQBroker(tmp_path_factory.mktemp("rabbitmq"), binaries)
            try:
                broker.start()
            except Exception as exc:
                broker.close()
                pytest.fail(f"could not start a private RabbitMQ: {exc}", pytrace=False)
            _shared = broker
        _users += 1
        broker = _shared
    try:
        yield broker
    finally:
        with _shared_lock:
            _users -= 1
            if _users == 0 and _shared is broker:
                _shared = None
                broker.close()

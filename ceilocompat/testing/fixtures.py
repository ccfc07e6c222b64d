"""pytest fixtures for your own tests: ``rabbitmq`` and ``rabbitmq_cluster``.

Load them in a ``conftest.py``::

    pytest_plugins = ["ceilocompat.testing.fixtures"]

``rabbitmq`` is session-scoped and yields a
:class:`~ceilocompat.testing.RabbitMQBroker` started on free loopback ports
and stopped when the last test using it is done. ``rabbitmq_cluster`` is
the same for a 3-node :class:`~ceilocompat.testing.RabbitMQCluster`
(``pause_minority``): tests that stop or kill a node start it again
(``cluster.start_node(i)``) so the next test finds the cluster whole. If
``rabbitmq-server`` is not installed the fixtures skip, or fail when
``CEILOCOMPAT_REQUIRE_RABBITMQ=1`` (as in CI, where a missing broker must not
pass unnoticed).
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Generic, NoReturn, TypeVar

import pytest

from ceilocompat.testing.cluster import RabbitMQCluster
from ceilocompat.testing.rabbitmq import RabbitMQBroker, RabbitMQUnavailable, _Binaries, find_rabbitmq

__all__ = ["rabbitmq", "rabbitmq_cluster"]

_Service = TypeVar("_Service", bound="RabbitMQBroker | RabbitMQCluster")


class _Shared(Generic[_Service]):
    """One started service per session, shared by reference count, so importing
    a fixture into several modules (a conftest and a test module) still
    starts it once."""

    def __init__(self, what: str, make: Callable[[Path, _Binaries], _Service]) -> None:
        self.what = what
        self.make = make
        self.lock = threading.Lock()
        self.service: _Service | None = None
        self.users = 0
        atexit.register(self.close)

    def close(self) -> None:
        service, self.service = self.service, None
        if service is not None:
            service.close()

    def use(self, tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Service]:
        try:
            binaries = find_rabbitmq()
        except RabbitMQUnavailable as exc:
            _unavailable(str(exc))
        with self.lock:
            if self.service is None:
                service = self.make(tmp_path_factory.mktemp("rabbitmq"), binaries)
                try:
                    service.start()
                except Exception as exc:  # noqa: BLE001 - any failure to start fails the test in one line
                    service.close()
                    pytest.fail(f"could not start {self.what}: {exc}", pytrace=False)
                self.service = service
            self.users += 1
            service = self.service
        try:
            yield service
        finally:
            with self.lock:
                self.users -= 1
                if self.users == 0 and self.service is service:
                    self.service = None
                    service.close()


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CEILOCOMPAT_REQUIRE_RABBITMQ") == "1":
        pytest.fail(f"CEILOCOMPAT_REQUIRE_RABBITMQ=1 but {reason}", pytrace=False)
    pytest.skip(reason)


_node = _Shared("a private RabbitMQ", RabbitMQBroker)
_cluster = _Shared("a private 3-node RabbitMQ cluster", lambda d, b: RabbitMQCluster(d, nodes=3, binaries=b))


@pytest.fixture(scope="session")
def rabbitmq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitMQBroker]:
    """A private RabbitMQ node for the whole session (see RabbitMQBroker)."""
    yield from _node.use(tmp_path_factory)


@pytest.fixture(scope="session")
def rabbitmq_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitMQCluster]:
    """A private 3-node RabbitMQ cluster for the whole session (see RabbitMQCluster)."""
    yield from _cluster.use(tmp_path_factory)

"""Helpers for tests that run real oslo.messaging listeners."""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Callable, Iterator
from typing import Any

from oslo_config import cfg

from ceilocompat import compat_listener, routing


def transport(url: str = "fake://") -> Any:
    return routing.notification_transport(cfg.ConfigOpts(), url)


@contextlib.contextmanager
def listening(transport: Any, endpoints: list, routes: Any = None, **kwargs: Any) -> Iterator[Any]:
    """Run a listener for the block, then stop and wait for it.

    Compat endpoints get :func:`compat_listener`; other endpoints (plain
    recorders) a bare listener on *routes*.
    """
    if routes is None:
        listener = compat_listener(transport, endpoints, **kwargs)
    else:
        listener = routing.notification_listener(transport, routes, endpoints, **kwargs)
    listener.start()
    try:
        yield listener
    finally:
        listener.stop()
        listener.wait()


def wait_until(condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class Recorder:
    """A plain endpoint that queues every sample notification it gets."""

    def __init__(self):
        self.got: queue.Queue = queue.Queue()

    def sample(self, ctxt, publisher_id, event_type, payload, metadata):
        self.got.put((publisher_id, event_type, payload, metadata))


def broker_transport(broker: Any) -> Any:
    """A notification transport on a private broker that gives up quickly when it is gone."""
    conf = cfg.ConfigOpts()
    transport = routing.notification_transport(conf, broker.url)
    # Fail fast instead of retrying forever if the broker is unreachable.
    conf.set_override("rabbit_retry_interval", 1, group="oslo_messaging_rabbit")
    return transport


def amqp_connection(broker: Any) -> Any:
    """A plain AMQP client connection to a private broker, to look under oslo.messaging."""
    import amqp

    conn = amqp.Connection(host=f"127.0.0.1:{broker.amqp_port}", userid="guest",
                           password="guest", connect_timeout=5)
    conn.connect()
    return conn

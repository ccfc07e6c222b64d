"""What the producers of a rehearsal put on the bus, learned from the bus itself.

A :class:`BusTap` is a listener in a pool of its own on the topic that
polling agents and nova publish to. It sees every polling batch and every
nova notification the notification agents see, whatever the producer
claims to have sent, and tells its callbacks: the message id and resource
id of each polling sample, the message id and event type of each
notification. Real Ceilometer keeps both ids (a republished sample keeps
its ``message_id``, an event keeps its notification's), so what arrives at
the collectors is matched against what the tap saw.

>>> from oslo_config import cfg
>>> from ceilocompat.grenade.services import Topics
>>> from ceilocompat.routing import notification_transport
>>> seen = []
>>> tap = BusTap(notification_transport(cfg.ConfigOpts(), "fake://"), Topics.for_run("ab12cd34"),
...              on_samples=lambda pairs: seen.extend(pairs))
>>> tap.routes[1].exchange, tap.routes[1].priority
('nova', 'info')
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from ceilocompat._errors import DecodeError
from ceilocompat._payload import payload_items
from ceilocompat.grenade.services import Topics
from ceilocompat.routing import Route, notification_listener

__all__ = ["NOVA_EXCHANGE", "BusTap", "nova_route"]

#: The exchange nova publishes its notifications on (its ``control_exchange``).
NOVA_EXCHANGE = "nova"

#: ``(message_id, resource_id)`` of polling samples; ``(message_id, event_type)`` of notifications.
SampleCallback = Callable[[list[tuple[str, str]]], None]
NotificationCallback = Callable[[str, str], None]


def nova_route(topics: Topics) -> Route:
    """Where nova's notifications travel: the notification topic, nova's exchange, priority ``info``."""
    return Route("event", topics.notifications, "compute.instance", priority="info", exchange=NOVA_EXCHANGE)


class BusTap:
    """A listener in its own pool on the producers' topic, reporting what it sees.

    :param on_samples: called with ``[(message_id, resource_id), ...]`` of each polling batch.
    :param on_notification: called with ``(message_id, event_type)`` of each nova notification.
    """

    def __init__(self, transport: Any, topics: Topics, *, pool: str | None = None,
                 on_samples: SampleCallback | None = None,
                 on_notification: NotificationCallback | None = None) -> None:
        self.routes = [topics.polling_route, nova_route(topics)]
        self.pool = pool or f"{topics.notifications}_tap"
        self._on_samples = on_samples or (lambda pairs: None)
        self._on_notification = on_notification or (lambda message_id, event_type: None)
        self._lock = threading.Lock()
        self.batches = 0
        self.samples = 0
        self.notifications = 0
        self.listener = notification_listener(transport, self.routes, [self], pool=self.pool)

    def start(self) -> None:
        self.listener.start()

    def stop(self) -> None:
        self.listener.stop()
        self.listener.wait()

    def sample(self, ctxt: Any, publisher_id: Any, event_type: Any, payload: Any, metadata: Any) -> None:
        """A polling batch (or anything else at priority ``sample`` on the topic: counted only if it has samples)."""
        pairs = list(_sample_ids(payload))
        if pairs:
            with self._lock:
                self.batches += 1
                self.samples += len(pairs)
            self._on_samples(pairs)

    def info(self, ctxt: Any, publisher_id: Any, event_type: Any, payload: Any, metadata: Any) -> None:
        """A notification from nova (or any service) the event pipeline turns into an event."""
        message_id = (metadata or {}).get("message_id") if isinstance(metadata, dict) else None
        if isinstance(message_id, str):
            with self._lock:
                self.notifications += 1
            self._on_notification(message_id, str(event_type))


def _sample_ids(payload: Any) -> Iterable[tuple[str, str]]:
    try:
        items, _prefix = payload_items(payload)
    except DecodeError:
        return
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("message_id"), str):
            yield item["message_id"], str(item.get("resource_id"))

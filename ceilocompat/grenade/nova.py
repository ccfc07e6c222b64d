"""Nova's side of a rehearsal: real nova notifications for the notification agents' event pipeline.

The notifications are nova's legacy (unversioned) ones, as Ceilometer's own
tests record them (``data/nova_notifications.json``: ``compute.instance.create.end``,
``compute.instance.exists``, ``compute.instance.delete.start``); every
release's default ``event_definitions.yaml`` turns them into events, and
its meter pipeline into samples. They are published as nova publishes them:
priority ``info``, nova's exchange, the notification topic.

>>> [n["event_type"] for n in nova_notifications()][:2]
['compute.instance.create.end', 'compute.instance.exists']
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
from importlib import resources
from typing import Any

from ceilocompat._messaging import oslo_messaging
from ceilocompat.grenade.services import Topics
from ceilocompat.grenade.tap import NOVA_EXCHANGE

__all__ = ["NovaNotifier", "nova_notifications"]


@functools.lru_cache(maxsize=1)
def _bundled() -> tuple[dict, ...]:
    text = resources.files("ceilocompat.grenade").joinpath("data/nova_notifications.json").read_text()
    return tuple(json.loads(text)["notifications"])


def nova_notifications() -> list[dict]:
    """The bundled nova notifications: ``event_type``, ``publisher_id``, ``priority``, ``payload``, ``source``."""
    return copy.deepcopy(list(_bundled()))


class NovaNotifier:
    """Publishes nova's notifications, in turn, on a rehearsal's notification topic.

    :param transport: a notification transport whose ``control_exchange`` is nova's
        (:func:`ceilocompat.routing.notification_transport` with ``exchange="nova"``).
    """

    def __init__(self, transport: Any, topics: Topics) -> None:
        if transport.conf.control_exchange != NOVA_EXCHANGE:
            raise ValueError(f"nova publishes on the {NOVA_EXCHANGE!r} exchange, "
                             f"not {transport.conf.control_exchange!r}")
        self._notifiers: dict[str, Any] = {}
        self._transport = transport
        self._topics = topics
        self._cycle = itertools.cycle(_bundled())

    def publish(self, count: int) -> None:
        """Publish *count* notifications; the ids they get are learned from the bus.

        (:class:`~ceilocompat.grenade.tap.BusTap` reads them.)
        """
        for _ in range(count):
            notification = next(self._cycle)
            notifier = self._notifier(notification["publisher_id"])
            notifier.info({}, notification["event_type"], copy.deepcopy(notification["payload"]))

    def _notifier(self, publisher_id: str) -> Any:
        if publisher_id not in self._notifiers:
            self._notifiers[publisher_id] = oslo_messaging.Notifier(
                self._transport, publisher_id=publisher_id, driver="messagingv2",
                topics=[self._topics.notifications], retry=3)
        return self._notifiers[publisher_id]

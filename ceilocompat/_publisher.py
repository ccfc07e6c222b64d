"""Publishing models on the bus, and relaying them without loss.

:class:`Publisher` sends Sample or Event batches on a route the way Ceilometer
does (topic, event type, priority, payload shape, signature), optionally
pinned to an older model version so that new producers emit only keys every
remaining consumer knows (like Nova's ``upgrade_levels``).

:class:`Relay` is a consumer handler that republishes decoded batches on
another route with every key and signature as received: the notification
agent's partitioning hop done right.

>>> from oslo_config import cfg
>>> from ceilocompat import routing, Sample
>>> transport = routing.notification_transport(cfg.ConfigOpts(), "fake://")
>>> publisher = Publisher(transport, routing.SAMPLE_ROUTE, "telemetry.publisher.h1",
...                       secret="s3cret", pin_version="1.1")
>>> sample = Sample(counter_name="cpu", counter_type="gauge", counter_unit="%",
...                 counter_volume=5, resource_id="r", timestamp="2024-01-01T00:00:00",
...                 user_name="alice")
>>> [sorted(m) == sorted(Sample.at("1.1").keys) for m in publisher.encode([sample])]
[True]
>>> transport.cleanup()
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from ceilocompat._sending import PublishFailed, send_notification
from ceilocompat.routing import PayloadShape, Route, check_transport_exchange

#: Samples per message, as Ceilometer's polling agent batches them.
DEFAULT_BATCH_SIZE = 50
#: Times a message oslo.messaging gave up on is sent again before PublishFailed.
DEFAULT_RESENDS = 3

LOG = logging.getLogger(__name__)


class Publisher:
    """Publish models on one route, signed and optionally version-pinned.

    :param pin_version: emit only the keys of this model version.
    :param secret: sign every item (Ceilometer's ``telemetry_secret``);
        None keeps each item's own signature.
    :param retry: oslo.messaging's retries of a lost connection (None: the
        transport's ``[oslo_messaging_notifications] retry``).
    :param resends: how many more times a message oslo.messaging gave up on
        is sent, *resend_interval* seconds apart (doubling), with the same
        message id: a cluster that lost a node takes the resend on another,
        and consumers with ``ConsumerPolicy(deduplicate=...)`` drop the copy
        when the first send had arrived after all.

    A message that still could not be sent raises
    :class:`~ceilocompat.PublishFailed` carrying what was sent and what was
    not; it is never counted as sent.
    """

    def __init__(
        self,
        transport: Any,
        route: Route,
        publisher_id: str,
        *,
        secret: str | None = None,
        pin_version: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        retry: int | None = None,
        resends: int = DEFAULT_RESENDS,
        resend_interval: float = 1.0,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        if resends < 0 or resend_interval < 0:
            raise ValueError(f"resends and resend_interval cannot be negative, not {resends} and {resend_interval}")
        self.route = route
        self.secret = secret
        self.pin_version = pin_version
        self.batch_size = batch_size
        self.retry = retry
        self.resends = resends
        self.resend_interval = resend_interval
        check_transport_exchange(transport, route)
        self._transport = transport
        self.publisher_id = publisher_id
        #: Messages sent, sent again after a failure, and given up on, so far.
        self.sent = 0
        self.resent = 0
        self.failed = 0

    def encode(self, items: Iterable[Any]) -> list[dict[str, Any]]:
        """The wire dicts this publisher would send for *items*."""
        return [item.to_wire(secret=self.secret, version=self.pin_version) for item in items]

    def publish(self, items: Iterable[Any]) -> int:
        """Send *items* in batches; return the number of messages sent."""
        return self.publish_wire(self.encode(items))

    def publish_wire(self, wires: Sequence[dict[str, Any]]) -> int:
        """Send already encoded wire dicts unchanged, in batches; return the number of messages sent.

        Stops at the first message that could not be sent and raises
        :class:`~ceilocompat.PublishFailed` with ``.sent`` and ``.unsent``
        (every wire dict from that message on).
        """
        sent = 0
        for start in range(0, len(wires), self.batch_size):
            chunk = list(wires[start : start + self.batch_size])
            payload: Any = {"samples": chunk} if self.route.payload_shape is PayloadShape.SAMPLES else chunk
            try:
                self._send(payload)
            except PublishFailed as exc:
                self.failed += 1
                raise PublishFailed(str(exc), sent=sent, unsent=list(wires[start:])) from exc.__cause__
            sent += 1
            self.sent += 1
        return sent

    def _send(self, payload: Any) -> None:
        message_id = str(uuid.uuid4())
        pause = self.resend_interval
        for resends_left in range(self.resends, -1, -1):
            try:
                send_notification(self._transport, self.route, self.publisher_id, payload,
                                  retry=self.retry, message_id=message_id)
                return
            except PublishFailed as exc:
                if not resends_left:
                    raise
                LOG.warning("%s; sending it again in %.1fs", exc, pause)
            time.sleep(pause)
            pause *= 2
            self.resent += 1


class Relay:
    """A consumer handler that republishes what it receives, losslessly.

    Items go out as received: keys this library does not know, values in
    their received spelling and the original signatures all survive, so a
    consumer of any version downstream can still verify them.
    """

    def __init__(self, transport: Any, route: Route, publisher_id: str) -> None:
        self.publisher = Publisher(transport, route, publisher_id)

    def __call__(self, items: Sequence[Any], _delivery: Any = None) -> None:
        self.publisher.publish_wire([item.to_wire() for item in items])

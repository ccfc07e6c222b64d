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

from typing import Any, Iterable, Sequence

from ceilocompat.routing import PayloadShape, Route, notifier_for

#: Samples per message, as Ceilometer's polling agent batches them.
DEFAULT_BATCH_SIZE = 50


class Publisher:
    """Publish models on one route, signed and optionally version-pinned.

    :param pin_version: emit only the keys of this model version.
    :param secret: sign every item (Ceilometer's ``telemetry_secret``);
        None keeps each item's own signature.
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
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.route = route
        self.secret = secret
        self.pin_version = pin_version
        self.batch_size = batch_size
        self._send = getattr(notifier_for(transport, route, publisher_id), route.priority)

    def encode(self, items: Iterable[Any]) -> list[dict]:
        """The wire dicts this publisher would send for *items*."""
        return [item.to_wire(secret=self.secret, version=self.pin_version) for item in items]

    def publish(self, items: Iterable[Any]) -> int:
        """Send *items* in batches; return the number of messages sent."""
        return self.publish_wire(self.encode(items))

    def publish_wire(self, wires: Sequence[dict]) -> int:
        """Send already encoded wire dicts unchanged, in batches."""
        sent = 0
        for start in range(0, len(wires), self.batch_size):
            chunk = list(wires[start : start + self.batch_size])
            payload: Any = {"samples": chunk} if self.route.payload_shape is PayloadShape.SAMPLES else chunk
            self._send({}, self.route.event_type, payload)
            sent += 1
        return sent


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

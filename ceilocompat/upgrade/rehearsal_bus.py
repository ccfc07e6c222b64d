"""Where one rehearsal's traffic travels: a private exchange, topics and pools.

A rehearsal on a shared broker must never reach real consumers' queues:
notification publishing declares ``<topic>.<priority>`` queues, and queue
names do not include the exchange, so every route of a rehearsal gets a
topic of its own, prefixed with the run id.

>>> bus = RehearsalBus("fake://", "ab12cd34")
>>> bus.samples.routing_key, bus.exchange
('rehearsal_ab12cd34_metering.sample', 'ceilocompat_rehearsal_ab12cd34')
"""

from __future__ import annotations

import dataclasses
import functools
import urllib.parse
from importlib.metadata import entry_points
from typing import Any

import attrs

from ceilocompat.routing import EVENT_ROUTE, POLLING_ROUTE, SAMPLE_ROUTE, Route, notification_transport

__all__ = ["GROUPS", "RehearsalBus"]

#: Consumer groups and the kinds of item each must receive.
GROUPS = {"notification-agent": ("sample",), "collector": ("sample", "event")}


@attrs.frozen
class RehearsalBus:
    """Where one rehearsal's traffic travels: a private exchange and topics.

    Notification publishing declares ``<topic>.<priority>`` queues, and queue
    names do not include the exchange, so a rehearsal on a shared broker
    uses topics of its own and never reaches real consumers' queues.
    """

    url: str
    run_id: str

    @property
    def exchange(self) -> str:
        return f"ceilocompat_rehearsal_{self.run_id}"

    def route(self, route: Route) -> Route:
        return dataclasses.replace(route, topic=f"rehearsal_{self.run_id}_{route.topic}", exchange=self.exchange)

    @property
    def polling(self) -> Route:
        return self.route(POLLING_ROUTE)

    @property
    def samples(self) -> Route:
        return self.route(SAMPLE_ROUTE)

    @property
    def events(self) -> Route:
        return self.route(EVENT_ROUTE)

    def pool(self, group: str) -> str:
        return f"rehearsal_{self.run_id}_{group}"

    def queues(self) -> list[str]:
        """Every queue this rehearsal's traffic can create on a broker."""
        return [self.pool(g) for g in GROUPS] + [r.routing_key for r in (self.polling, self.samples, self.events)]

    def parsed_url(self) -> Any:
        """The transport URL as oslo.messaging reads it; ValueError if it is not one or has no driver.

        >>> RehearsalBus("bogus://x", "x").parsed_url()
        Traceback (most recent call last):
        ...
        ValueError: no oslo.messaging driver for bogus:// transport URLs (installed: fake, kafka, kombu, rabbit)
        """
        from oslo_config import cfg

        from ceilocompat._messaging import oslo_messaging

        try:
            parsed = oslo_messaging.TransportURL.parse(cfg.ConfigOpts(), self.url)
        except oslo_messaging.InvalidTransportURL as exc:  # its text never holds the URL, nor a password
            raise ValueError(
                f"not a transport URL ({exc}): write it like rabbit://USER:PASSWORD@HOST:5672/ or fake://"
            ) from None
        drivers = sorted({e.name for e in entry_points(group="oslo.messaging.drivers")})
        if parsed.transport not in drivers:
            raise ValueError(
                f"no oslo.messaging driver for {parsed.transport}:// transport URLs (installed: {', '.join(drivers)})"
            )
        return parsed

    def check_reachable(self, timeout: float) -> None:
        """Log in to every broker host of a ``rabbit://`` URL within *timeout* seconds each.

        Raises ConnectionError naming the hosts (``host:port``, never the
        credentials) that could not be reached, and why.
        """
        if not self.is_rabbit:
            return
        import amqp

        failures = []
        for address, user, password in self._brokers():
            connection = amqp.Connection(host=address, userid=user, password=password,
                                         virtual_host=self.parsed_url().virtual_host or "/", connect_timeout=timeout)
            try:
                connection.connect()
            except (OSError, amqp.exceptions.AMQPError) as exc:  # refused, timed out, login refused, no vhost
                failures.append(f"{address} ({' '.join(str(exc).split()) or type(exc).__name__})")
            finally:
                connection.collect()
        if failures:
            raise ConnectionError(
                f"cannot reach the broker at {', '.join(failures)} within {timeout:g}s; "
                "check the transport URL and that RabbitMQ runs there"
            )

    def transport(self) -> Any:
        from oslo_config import cfg

        conf = cfg.ConfigOpts()
        transport = notification_transport(conf, self.url, exchange=self.exchange)
        if self.is_rabbit:
            # queues and messages that outlive a broker restart
            conf.set_override("amqp_durable_queues", True, group="oslo_messaging_rabbit")
        return transport

    def amqp_url(self) -> str:
        """The first broker of the transport URL as a kombu ``amqp://`` URL, vhost kept.

        >>> RehearsalBus("rabbit://u:p@h1:5672,u:p@h2:5672/ceilo%2Fmeter", "x").amqp_url()
        'amqp://u:p@h1:5672/ceilo%2Fmeter'
        """
        address, user, password = self._brokers()[0]
        quote = functools.partial(urllib.parse.quote, safe="")
        return f"amqp://{quote(user)}:{quote(password)}@{address}/{quote(self.parsed_url().virtual_host or '')}"

    def _brokers(self) -> list[tuple[str, str, str]]:
        """``(host:port, user, password)`` of every host of the URL, RabbitMQ's defaults filled in."""
        from ceilocompat._messaging import oslo_messaging

        hosts = self.parsed_url().hosts or [oslo_messaging.TransportHost()]
        return [(f"{h.hostname or 'localhost'}:{h.port or 5672}", h.username or "guest", h.password or "guest")
                for h in hosts]

    @property
    def is_rabbit(self) -> bool:
        return self.url.startswith(("rabbit://", "kombu://", "amqp://"))

    def remove(self) -> None:
        """Delete this rehearsal's queues and exchange from a broker."""
        if not self.is_rabbit:
            return
        import kombu

        with kombu.Connection(self.amqp_url(), connect_timeout=10) as connection:
            channel = connection.channel()
            for name in self.queues():
                channel.queue_delete(name)
            if self.owns_exchange:
                channel.exchange_delete(self.exchange)

    @property
    def owns_exchange(self) -> bool:
        """Whether the exchange is this rehearsal's own, to delete afterwards."""
        return True

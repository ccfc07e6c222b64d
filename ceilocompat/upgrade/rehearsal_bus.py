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

from ceilocompat.config import messaging_config, queue_kind
from ceilocompat.routing import EVENT_ROUTE, POLLING_ROUTE, SAMPLE_ROUTE, Route, notification_transport

__all__ = ["GROUPS", "PUBLISH_RETRIES", "RehearsalBus"]

#: Reconnections a rehearsal's publish tries before it fails (a node's failover takes one or two).
PUBLISH_RETRIES = 3

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
    #: oslo.config files read for every transport (``[oslo_messaging_rabbit]`` and the rest), in order.
    config_files: tuple[str, ...] = attrs.field(default=(), converter=lambda files: tuple(str(f) for f in files))
    #: Declare quorum queues whatever the files say (None: as the files say).
    quorum_queues: bool | None = None

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

    def check_reachable(self, timeout: float, *, every_host: bool = True) -> None:
        """Log in to every broker host of a ``rabbit://`` URL within *timeout* seconds each.

        Raises ConnectionError naming the hosts (``host:port``, never the
        credentials) that could not be reached, and why: if any could not be,
        or with ``every_host=False`` only if none could (a cluster that lost
        a node is still a broker).
        """
        if not self.is_rabbit:
            return
        import amqp

        failures = []
        brokers = self._brokers()
        for address, user, password in brokers:
            connection = amqp.Connection(host=address, userid=user, password=password,
                                         virtual_host=self.parsed_url().virtual_host or "/", connect_timeout=timeout)
            try:
                connection.connect()
            except (OSError, amqp.exceptions.AMQPError) as exc:  # refused, timed out, login refused, no vhost
                failures.append(f"{address} ({' '.join(str(exc).split()) or type(exc).__name__})")
            finally:
                connection.collect()
        if failures and (every_host or len(failures) == len(brokers)):
            raise ConnectionError(
                f"cannot reach the broker at {', '.join(failures)} within {timeout:g}s; "
                "check the transport URL and that RabbitMQ runs there"
            )

    def config(self) -> Any:
        """A fresh ``ConfigOpts`` read from :attr:`config_files` (ConfigError in one line if they are bad).

        On RabbitMQ, queues are durable unless the files say otherwise, so
        they and their messages outlive a broker restart, and a publish gives
        up after :data:`PUBLISH_RETRIES` reconnections (oslo.messaging retries
        forever by default) so that a broker gone for good ends the walk.
        """
        conf = messaging_config(self.config_files, quorum_queues=self.quorum_queues)
        if self.is_rabbit:
            conf.set_default("amqp_durable_queues", True, group="oslo_messaging_rabbit")
            conf.set_default("retry", PUBLISH_RETRIES, group="oslo_messaging_notifications")
        return conf

    @property
    def queue_kind(self) -> str:
        """``quorum``, ``classic durable`` or ``classic transient``: what the rehearsal's queues are."""
        kind = queue_kind(self.config())
        if self.is_rabbit and "rabbit_quorum_queue=true" in self.url.partition("?")[2].lower():
            kind = "quorum"
        return kind

    def transport(self) -> Any:
        return notification_transport(self.config(), self.url, exchange=self.exchange)

    def amqp_url(self, host: int = 0) -> str:
        """One broker host of the transport URL (the first by default) as a kombu ``amqp://`` URL, vhost kept.

        >>> RehearsalBus("rabbit://u:p@h1:5672,u:p@h2:5672/ceilo%2Fmeter", "x").amqp_url(1)
        'amqp://u:p@h2:5672/ceilo%2Fmeter'
        """
        address, user, password = self._brokers()[host]
        quote = functools.partial(urllib.parse.quote, safe="")
        return f"amqp://{quote(user)}:{quote(password)}@{address}/{quote(self.parsed_url().virtual_host or '')}"

    @property
    def hosts(self) -> list[str]:
        """``host:port`` of every broker of the URL, never the credentials.

        >>> RehearsalBus("rabbit://u:p@h1:5672,u:p@h2/", "x").hosts
        ['h1:5672', 'h2:5672']
        >>> RehearsalBus("fake://", "x").hosts
        []
        """
        return [address for address, _user, _password in self._brokers()] if self.is_rabbit else []

    def describe(self) -> str:
        """The transport as a report names it: scheme and every host, no credentials.

        >>> RehearsalBus("rabbit://u:p@h1:5672,u:p@h2:5673/", "x").describe()
        'rabbit://h1:5672,h2:5673/'
        """
        if not self.is_rabbit:
            return self.url.split("@")[-1]
        return f"{self.url.split(':', 1)[0]}://{','.join(self.hosts)}/{self.parsed_url().virtual_host or ''}"

    def _brokers(self) -> list[tuple[str, str, str]]:
        """``(host:port, user, password)`` of every host of the URL, RabbitMQ's defaults filled in."""
        from ceilocompat._messaging import oslo_messaging

        hosts = self.parsed_url().hosts or [oslo_messaging.TransportHost()]
        return [(f"{h.hostname or 'localhost'}:{h.port or 5672}", h.username or "guest", h.password or "guest")
                for h in hosts]

    @property
    def is_rabbit(self) -> bool:
        return self.url.startswith(("rabbit://", "kombu://", "amqp://"))

    def remove(self, timeout: float = 10.0) -> list[str]:
        """Delete this rehearsal's queues and exchange from the broker; return what could not be removed.

        Tries each host of the URL in turn until one answers (a cluster with
        a node down still cleans up), and goes on past each queue that
        cannot be deleted, saying why, e.g. ``'q (NOT_FOUND - home node
        down)'``. A queue that does not exist counts as removed.
        """
        if not self.is_rabbit:
            return []
        import amqp
        import kombu

        names = self.queues() + ([self.exchange] if self.owns_exchange else [])
        failures = [f"{', '.join(names)} (no broker host answered)"]
        for host in range(len(self._brokers())):
            try:
                with kombu.Connection(self.amqp_url(host), connect_timeout=timeout) as connection:
                    connection.ensure_connection(max_retries=1)
                    left = [_delete(connection, name, is_queue=name != self.exchange) for name in names]
                    return [failure for failure in left if failure is not None]
            except (OSError, amqp.exceptions.AMQPError, kombu.exceptions.KombuError) as exc:
                failures.append(f"{self.hosts[host]}: {' '.join(str(exc).split()) or type(exc).__name__}")
        return [" ".join(failures)]

    @property
    def owns_exchange(self) -> bool:
        """Whether the exchange is this rehearsal's own, to delete afterwards."""
        return True


def _delete(connection: Any, name: str, *, is_queue: bool) -> str | None:
    """Delete one queue or exchange on a channel of its own; None when gone, else why not.

    A refused delete closes its channel, so each gets a fresh one and the
    next is still tried.
    """
    import amqp

    try:
        channel = connection.channel()
        try:
            if is_queue:
                channel.queue_delete(name)
            else:
                channel.exchange_delete(name)
        finally:
            if channel.is_open:
                channel.close()
    except amqp.exceptions.NotFound:
        return None
    except (OSError, amqp.exceptions.AMQPError) as exc:
        return f"{name} ({' '.join(str(exc).split()) or type(exc).__name__})"
    return None

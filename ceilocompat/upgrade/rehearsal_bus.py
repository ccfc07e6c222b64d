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
        from oslo_config import cfg

        from ceilocompat._messaging import oslo_messaging

        parsed = oslo_messaging.TransportURL.parse(cfg.ConfigOpts(), self.url)
        host = parsed.hosts[0]
        quote = functools.partial(urllib.parse.quote, safe="")
        credentials = f"{quote(host.username or 'guest')}:{quote(host.password or 'guest')}@"
        return f"amqp://{credentials}{host.hostname}:{host.port or 5672}/{quote(parsed.virtual_host or '')}"

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
            channel.exchange_delete(self.exchange)

"""The spec's five services and what each reads from and writes to the bus.

The rolling-upgrades spec names a database, collectors, notification agents,
polling agents and an api. Each :class:`Service` lists the
:class:`~ceilocompat.routing.Route` objects it consumes and produces, so
which service feeds which is read from the routes, never written twice.

>>> [s.name for s in SERVICES]
['database', 'collector', 'notification-agent', 'polling-agent', 'api']
"""

from __future__ import annotations

import dataclasses

from ceilocompat.routing import EVENT_ROUTE, POLLING_ROUTE, SAMPLE_ROUTE, Route

__all__ = [
    "API",
    "COLLECTOR",
    "DATABASE",
    "NOTIFICATION_AGENT",
    "POLLING_AGENT",
    "SERVICES",
    "Service",
    "consumers_of",
    "service_named",
]


@dataclasses.dataclass(frozen=True)
class Service:
    """One of the spec's services and what it reads from and writes to the bus.

    ``consumes`` and ``produces`` are :class:`~ceilocompat.routing.Route`
    objects: a service consumes what another produces when they share a
    route. ``aliases`` are other spellings accepted in inventories.

    >>> service_named("ceilometer-agent-notification").title
    'notification agent'
    >>> [c.name for c in consumers_of(service_named("polling-agent"))]
    ['notification-agent']
    """

    name: str
    title: str
    description: str
    consumes: tuple[Route, ...] = ()
    produces: tuple[Route, ...] = ()
    aliases: tuple[str, ...] = ()


DATABASE = Service(
    "database", "database",
    "Ceilometer's storage schema; upgraded in place with 'never remove, never alter, only add'.",
    aliases=("db", "storage", "ceilometer-dbsync", "ceilometer-upgrade"),
)
COLLECTOR = Service(
    "collector", "collector",
    "Reads metering and event from the notification agents (Ceilometer's collector to 9.x; "
    "today any consumer of those queues, often a third party).",
    consumes=(SAMPLE_ROUTE, EVENT_ROUTE),
    aliases=("ceilometer-collector",),
)
NOTIFICATION_AGENT = Service(
    "notification-agent", "notification agent",
    "Reads polling agents' samples and other services' notifications, runs the pipelines "
    "and publishes samples and events.",
    consumes=(POLLING_ROUTE,),
    produces=(SAMPLE_ROUTE, EVENT_ROUTE),
    aliases=("ceilometer-agent-notification", "notification"),
)
POLLING_AGENT = Service(
    "polling-agent", "polling agent",
    "Polls resources and sends the samples to the notification agents.",
    produces=(POLLING_ROUTE,),
    aliases=("ceilometer-polling", "ceilometer-agent-central", "ceilometer-agent-compute", "polling"),
)
API = Service(
    "api", "api",
    "Serves stored data over REST (deprecated in 8.0.0, removed in 10.0.0).",
    aliases=("ceilometer-api",),
)

#: The spec's services, in the order it advises upgrading them.
SERVICES: tuple[Service, ...] = (DATABASE, COLLECTOR, NOTIFICATION_AGENT, POLLING_AGENT, API)

_BY_NAME = {spelling: s for s in SERVICES for spelling in (s.name, *s.aliases)}


def _normal(name: str) -> str:
    return "-".join(name.strip().lower().replace("_", " ").replace("-", " ").split())


def service_named(name: str) -> Service:
    """The service called *name* (case, ``_``, ``-`` and spaces are alike).

    >>> service_named("Notification_Agent") is NOTIFICATION_AGENT
    True
    >>> service_named("scheduler")
    Traceback (most recent call last):
    ...
    KeyError: "unknown service 'scheduler' (known: database, collector, notification-agent, polling-agent, api)"
    """
    try:
        return _BY_NAME[_normal(name)]
    except KeyError:
        known = ", ".join(s.name for s in SERVICES)
        raise KeyError(f"unknown service {name!r} (known: {known})") from None


def consumers_of(producer: Service) -> tuple[Service, ...]:
    """The services that read a route *producer* writes."""
    return tuple(s for s in SERVICES if set(s.consumes) & set(producer.produces))

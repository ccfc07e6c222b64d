"""Where each model travels on the bus.

One concept lives here: the *name* of every place a Ceilometer payload is
sent to or read from, and the oslo.messaging objects built from it. Nothing
in this module looks inside a payload. Workload-partitioning queues and
coordination group ids are in :mod:`ceilocompat.partitioning`.

* :class:`Route` says which topic, event type, priority and exchange a model
  uses, and what shape its payload container has. The built-in routes are
  Ceilometer's own (:data:`SAMPLE_ROUTE`, :data:`EVENT_ROUTE`,
  :data:`POLLING_ROUTE`, and :func:`per_meter_route`); a new model gets its
  own unique topic through :func:`register_route`.
* :func:`target_for`, :func:`notification_listener`, :func:`notifier_for`
  and :func:`notification_transport` turn routes into oslo.messaging
  objects, so a sender and a receiver built from the same route always meet.

oslo.messaging appends the priority to the topic: a notification with
priority ``sample`` on topic ``metering`` is published with routing key
``metering.sample`` and read from the queue of the same name.

>>> SAMPLE_ROUTE.routing_key
'metering.sample'
>>> target_for(EVENT_ROUTE)
<Target exchange=ceilometer, topic=event>
"""

from __future__ import annotations

import dataclasses
import enum
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from oslo_config import cfg

from ceilocompat._errors import check_name as _check_name
from ceilocompat._messaging import oslo_messaging
from ceilocompat.config import register_messaging_opts
from ceilocompat.partitioning import IPC_SCHEME, PIPE_SCHEME

__all__ = [
    "BUILTIN_ROUTES",
    "CONTROL_EXCHANGE",
    "DEFAULT_REGISTRY",
    "EVENT_ROUTE",
    "POLLING_ROUTE",
    "PRIORITIES",
    "SAMPLE_ROUTE",
    "PayloadShape",
    "Route",
    "RouteRegistry",
    "event_type_filter",
    "notification_listener",
    "notification_transport",
    "notifier_for",
    "per_meter_event_type",
    "per_meter_route",
    "register_route",
    "routes_for",
    "target_for",
]

#: Ceilometer's control exchange (``oslo_messaging.set_transport_defaults``
#: in ``ceilometer.messaging``).
CONTROL_EXCHANGE = "ceilometer"

#: Notification priorities oslo.messaging dispatches (``notify.dispatcher``).
PRIORITIES = ("audit", "debug", "info", "warn", "error", "critical", "sample")

#: Longest topic accepted: RabbitMQ queue names are limited to 255 bytes and
#: oslo.messaging appends ``.<priority>`` to the topic.
_MAX_TOPIC_BYTES = 240

# Whitespace and control characters break tooling; '*' and '#' are wildcards
# in AMQP topic bindings and would make a listener read other topics too.
_BAD_TOPIC_RE = re.compile(r"[\s\x00-\x1f\x7f*#]")


class PayloadShape(str, enum.Enum):
    """The container a route's payload travels in.

    >>> PayloadShape("samples") is PayloadShape.SAMPLES
    True
    """

    #: A bare JSON list of wire dicts (notifier publisher, partition queues).
    LIST = "list"
    #: ``{"samples": [...]}`` (polling agent to notification agent).
    SAMPLES = "samples"

    def __str__(self) -> str:
        return self.value


def _check_topic(topic: object) -> str:
    topic = _check_name("topic", topic)
    if _BAD_TOPIC_RE.search(topic) or topic.startswith("amq."):
        raise ValueError(
            f"topic {topic!r} is not usable: no whitespace, control "
            "characters, '*' or '#', and no 'amq.' prefix"
        )
    if len(topic.encode("utf-8")) > _MAX_TOPIC_BYTES:
        raise ValueError(f"topic {topic[:40]!r}... is longer than {_MAX_TOPIC_BYTES} bytes")
    return topic


@dataclasses.dataclass(frozen=True)
class Route:
    """Where one model travels: exchange, topic, event type, priority, shape.

    The topic is the unit of isolation: oslo.messaging names the queue
    ``<topic>.<priority>`` whatever the exchange, so two models on one topic
    would share a queue.

    >>> r = Route("sample", "metering", "metering")
    >>> (r.exchange, r.routing_key, r.payload_shape)
    ('ceilometer', 'metering.sample', <PayloadShape.LIST: 'list'>)
    >>> Route("sample", "metering", "metering", priority="loud")
    Traceback (most recent call last):
    ...
    ValueError: priority 'loud' is not one of audit, debug, info, warn, error, critical, sample
    """

    model_name: str
    topic: str
    event_type: str
    priority: str = "sample"
    exchange: str = CONTROL_EXCHANGE
    payload_shape: PayloadShape = PayloadShape.LIST

    def __post_init__(self) -> None:
        _check_name("model_name", self.model_name)
        _check_topic(self.topic)
        _check_name("event_type", self.event_type)
        _check_name("exchange", self.exchange)
        if self.priority not in PRIORITIES:
            raise ValueError(
                f"priority {self.priority!r} is not one of {', '.join(PRIORITIES)}"
            )
        try:
            shape = PayloadShape(self.payload_shape)
        except ValueError:
            raise ValueError(
                f"payload_shape {self.payload_shape!r} is not one of "
                f"{', '.join(s.value for s in PayloadShape)}"
            ) from None
        object.__setattr__(self, "payload_shape", shape)

    @property
    def routing_key(self) -> str:
        """The AMQP routing key, which is also the default queue name.

        >>> POLLING_ROUTE.routing_key
        'notifications.sample'
        """
        return f"{self.topic}.{self.priority}"


#: Samples from the notifier publisher (to a collector or any consumer).
SAMPLE_ROUTE = Route("sample", "metering", "metering")
#: Events from the notifier publisher.
EVENT_ROUTE = Route("event", "event", "event")
#: Samples from the polling agent to the notification agent.
POLLING_ROUTE = Route(
    "sample", "notifications", "telemetry.polling", payload_shape=PayloadShape.SAMPLES
)
BUILTIN_ROUTES = (SAMPLE_ROUTE, EVENT_ROUTE, POLLING_ROUTE)

# Topic prefixes that belong to names built by functions of this module.
_RESERVED_PREFIXES = {
    f"{SAMPLE_ROUTE.topic}.": "per-meter names (topics of the old rpc:// publisher)",
    f"{PIPE_SCHEME.queue_prefix}-": "workload partitioning queues of 5.0.0 to 9.x",
    f"{IPC_SCHEME.queue_prefix}-": "workload partitioning queues of 10.0.0 to 11.x",
}


class RouteRegistry:
    """Routes by topic; each topic belongs to exactly one model.

    A model may have several routes (samples travel on ``metering`` and on
    ``notifications``). Registering an identical route again is a no-op;
    a topic already used differently is a :class:`ValueError`.

    >>> reg = RouteRegistry(BUILTIN_ROUTES)
    >>> [r.topic for r in reg.routes_for("sample")]
    ['metering', 'notifications']
    >>> reg.register(Route("instance_health", "instance_health", "health")).routing_key
    'instance_health.sample'
    >>> reg.register(Route("other", "instance_health", "other"))
    Traceback (most recent call last):
    ...
    ValueError: topic 'instance_health' is already used by model 'instance_health'; give model 'other' its own topic
    """

    def __init__(self, routes: Iterable[Route] = ()) -> None:
        self._lock = threading.Lock()
        self._by_topic: dict[str, Route] = {}
        for route in routes:
            self.register(route)

    def register(self, route: Route) -> Route:
        """Add *route*; return the registered route.

        >>> reg = RouteRegistry()
        >>> reg.register(SAMPLE_ROUTE) is reg.register(SAMPLE_ROUTE)
        True
        """
        if not isinstance(route, Route):
            raise TypeError(f"expected a Route, not {type(route).__name__}")
        with self._lock:
            taken = self._by_topic.get(route.topic)
            if taken == route:
                return taken
            if taken is not None:
                if taken.model_name != route.model_name:
                    raise ValueError(
                        f"topic {route.topic!r} is already used by model "
                        f"{taken.model_name!r}; give model {route.model_name!r} "
                        "its own topic"
                    )
                raise ValueError(
                    f"topic {route.topic!r} is already registered for model "
                    f"{taken.model_name!r} as {taken!r}; refusing the different "
                    f"route {route!r}"
                )
            if route not in BUILTIN_ROUTES:
                for prefix, owner in _RESERVED_PREFIXES.items():
                    if route.topic.startswith(prefix):
                        raise ValueError(
                            f"topic {route.topic!r} is reserved for {owner}"
                        )
            self._by_topic[route.topic] = route
            return route

    def routes_for(self, model_name: str) -> tuple[Route, ...]:
        """Every route of *model_name*, in registration order.

        >>> RouteRegistry(BUILTIN_ROUTES).routes_for("event") == (EVENT_ROUTE,)
        True
        """
        with self._lock:
            return tuple(r for r in self._by_topic.values() if r.model_name == model_name)

    def by_topic(self, topic: str) -> Route:
        """The route registered for *topic*; :class:`KeyError` if none.

        >>> RouteRegistry(BUILTIN_ROUTES).by_topic("notifications").event_type
        'telemetry.polling'
        """
        with self._lock:
            try:
                return self._by_topic[topic]
            except KeyError:
                raise KeyError(f"no route registered for topic {topic!r}") from None

    def __iter__(self) -> Iterator[Route]:
        with self._lock:
            return iter(tuple(self._by_topic.values()))

    def __len__(self) -> int:
        return len(self._by_topic)

    def __contains__(self, topic: object) -> bool:
        return topic in self._by_topic


#: The process-wide registry used when no ``registry`` is passed.
DEFAULT_REGISTRY = RouteRegistry(BUILTIN_ROUTES)


def register_route(
    model_name: str,
    topic: str | None = None,
    *,
    event_type: str | None = None,
    priority: str = "sample",
    exchange: str = CONTROL_EXCHANGE,
    payload_shape: PayloadShape | str = PayloadShape.LIST,
    registry: RouteRegistry | None = None,
) -> Route:
    """Give a new model its own topic (its own queue); return its route.

    *topic* and *event_type* default to *model_name*. A topic already used
    by another model, or reserved for per-meter or partitioning queues, is a
    :class:`ValueError`.

    >>> reg = RouteRegistry(BUILTIN_ROUTES)
    >>> register_route("instance_health", registry=reg).routing_key
    'instance_health.sample'
    >>> register_route("my_meter", "metering", registry=reg)
    Traceback (most recent call last):
    ...
    ValueError: topic 'metering' is already used by model 'sample'; give model 'my_meter' its own topic
    """
    route = Route(
        model_name,
        model_name if topic is None else topic,
        model_name if event_type is None else event_type,
        priority=priority,
        exchange=exchange,
        payload_shape=payload_shape,  # type: ignore[arg-type]  # coerced
    )
    return (DEFAULT_REGISTRY if registry is None else registry).register(route)


def routes_for(model_name: str, *, registry: RouteRegistry | None = None) -> tuple[Route, ...]:
    """Every route registered for *model_name* (default registry).

    >>> [r.event_type for r in routes_for("sample")]
    ['metering', 'telemetry.polling']
    """
    return (DEFAULT_REGISTRY if registry is None else registry).routes_for(model_name)


def per_meter_event_type(counter_name: str, base: str = SAMPLE_ROUTE.event_type) -> str:
    """The event type of one meter's batch with ``per_meter_topic=1``.

    Ceilometer's docs call ``metering.<counter_name>`` an extra *topic*, and
    it was one for the removed ``rpc://`` publisher. The ``notifier://``
    publisher passes it as the **event type** and still publishes on the
    ``metering`` topic (routing key ``metering.sample``): a consumer of that
    queue receives every sample twice, once in the ``metering`` batch and
    once in its per-meter batch. *base* is ``[publisher_notifier]
    metering_topic``.

    >>> per_meter_event_type("disk.read.bytes")
    'metering.disk.read.bytes'
    """
    _check_name("counter_name", counter_name)
    _check_name("base", base)
    return f"{base}.{counter_name}"


def per_meter_route(counter_name: str, base: str = SAMPLE_ROUTE.topic) -> Route:
    """Where the notifier publisher sends one meter's batch (``per_meter_topic=1``).

    Same topic as :data:`SAMPLE_ROUTE` (see :func:`per_meter_event_type`),
    told apart only by the event type; use :func:`event_type_filter` to pick
    either. Built on demand, never registered.

    >>> r = per_meter_route("cpu")
    >>> (r.routing_key, r.event_type)
    ('metering.sample', 'metering.cpu')
    """
    return dataclasses.replace(
        SAMPLE_ROUTE, topic=_check_topic(base), event_type=per_meter_event_type(counter_name, base))


def event_type_filter(*routes: Route) -> oslo_messaging.NotificationFilter:
    """A filter accepting exactly the event types of *routes*.

    Set it as an endpoint's ``filter_rule``. oslo.messaging acknowledges and
    drops what a filter rejects, so use it only to skip known duplicates
    (e.g. per-meter batches), never to tell versions apart.

    >>> f = event_type_filter(SAMPLE_ROUTE)
    >>> f.match({}, "telemetry.publisher.h", "metering", {}, [])
    True
    >>> f.match({}, "telemetry.publisher.h", "metering.cpu", {}, [])
    False
    """
    if not routes:
        raise ValueError("at least one route is needed")
    names = sorted({r.event_type for r in _as_routes(routes)})
    return oslo_messaging.NotificationFilter(
        event_type="^(?:" + "|".join(re.escape(n) for n in names) + ")$")


# --------------------------------------------------------------------------
# oslo.messaging builders


def target_for(route: Route) -> oslo_messaging.Target:
    """The listener target of *route* (exchange and topic, no priority).

    >>> t = target_for(POLLING_ROUTE)
    >>> (t.exchange, t.topic)
    ('ceilometer', 'notifications')
    """
    return oslo_messaging.Target(exchange=route.exchange, topic=route.topic)


def notification_transport(conf: Any, url: str | None = None, *,
                           exchange: str = CONTROL_EXCHANGE) -> Any:
    """A notification transport whose default exchange is *exchange*.

    oslo.messaging notifiers always publish to the transport's
    ``control_exchange`` (``openstack`` unless set), fixed when the transport
    is created. This registers every oslo.messaging option on *conf* (your
    own ``ConfigOpts``, e.g. from :func:`ceilocompat.config.messaging_config`
    reading a service's config files; the global one is not touched unless
    you pass it), sets ``control_exchange`` on it and returns
    ``oslo_messaging.get_notification_transport(conf, url)``. With *url*
    None, the URL comes from *conf* (``[oslo_messaging_notifications]
    transport_url``, else ``[DEFAULT] transport_url``). Options in *conf*'s
    ``[oslo_messaging_rabbit]`` apply (quorum queues, heartbeats, TLS), and
    so do the same options given in the URL's query, e.g.
    ``rabbit://user:pass@host:5672/?rabbit_quorum_queue=true``.

    >>> from oslo_config import cfg
    >>> transport = notification_transport(cfg.ConfigOpts(), "fake://")
    >>> transport.conf.control_exchange
    'ceilometer'
    >>> transport.cleanup()
    """
    _check_name("exchange", exchange)
    register_messaging_opts(conf)
    conf.set_override("control_exchange", exchange)
    return oslo_messaging.get_notification_transport(conf, url=url)


def _as_routes(routes: Route | Iterable[Route]) -> list[Route]:
    if isinstance(routes, Route):
        return [routes]
    routes = list(routes)
    for r in routes:
        if not isinstance(r, Route):
            raise TypeError(f"expected Route objects, got {type(r).__name__}")
    if not routes:
        raise ValueError("at least one route is needed")
    return routes


def notification_listener(
    transport: Any,
    routes: Route | Iterable[Route],
    endpoints: Sequence[Any],
    *,
    pool: str | None = None,
    batch_size: int | None = None,
    batch_timeout: float | None = None,
    allow_requeue: bool = True,
    executor: str = "threading",
    serializer: Any = None,
) -> Any:
    """A notification listener on *routes*; a batch listener if batching.

    A batch listener (``get_batch_notification_listener``) is built when
    *batch_size* or *batch_timeout* is given. Targets are de-duplicated
    (oslo.messaging would otherwise create duplicate consumers). Every
    route's priority must be handled by some endpoint (a method named after
    it), because oslo.messaging silently never consumes a priority no
    endpoint handles.

    >>> from oslo_config import cfg
    >>> transport = notification_transport(cfg.ConfigOpts(), "fake://")
    >>> class Collector:
    ...     def sample(self, ctxt, publisher_id, event_type, payload, metadata):
    ...         pass
    >>> listener = notification_listener(transport, [SAMPLE_ROUTE], [Collector()])
    >>> type(listener).__name__
    'NotificationServer'
    >>> notification_listener(transport, [SAMPLE_ROUTE], [object()])
    Traceback (most recent call last):
    ...
    ValueError: no endpoint has a 'sample' method, so route 'metering.sample' would never be consumed
    >>> transport.cleanup()
    """
    routes = _as_routes(routes)
    endpoints = list(endpoints)
    for route in routes:
        if not any(callable(getattr(ep, route.priority, None)) for ep in endpoints):
            raise ValueError(
                f"no endpoint has a {route.priority!r} method, so route "
                f"{route.routing_key!r} would never be consumed"
            )
    targets: list[oslo_messaging.Target] = []
    for route in routes:
        target = target_for(route)
        if target not in targets:
            targets.append(target)
    if batch_size is not None or batch_timeout is not None:
        return oslo_messaging.get_batch_notification_listener(
            transport, targets, endpoints, executor=executor,
            serializer=serializer, allow_requeue=allow_requeue, pool=pool,
            batch_size=batch_size, batch_timeout=batch_timeout,
        )
    return oslo_messaging.get_notification_listener(
        transport, targets, endpoints, executor=executor,
        serializer=serializer, allow_requeue=allow_requeue, pool=pool,
    )


def check_transport_exchange(transport: Any, route: Route) -> None:
    """Refuse a transport that publishes where no listener of *route* reads.

    oslo.messaging publishes to the transport's ``control_exchange``; a
    transport whose exchange is not the route's raises ValueError.

    >>> from oslo_config import cfg
    >>> transport = notification_transport(cfg.ConfigOpts(), "fake://", exchange="nova")
    >>> check_transport_exchange(transport, SAMPLE_ROUTE)
    Traceback (most recent call last):
    ...
    ValueError: the transport publishes to exchange 'nova' but route 'metering.sample' is read from ...
    >>> transport.cleanup()
    """
    if not isinstance(route, Route):
        raise TypeError(f"expected a Route, not {type(route).__name__}")
    try:
        exchange = transport.conf.control_exchange
    except (AttributeError, cfg.NoSuchOptError):  # not an oslo.messaging transport
        exchange = None
    if exchange is not None and exchange != route.exchange:
        raise ValueError(
            f"the transport publishes to exchange {exchange!r} but route "
            f"{route.routing_key!r} is read from {route.exchange!r}; build the "
            "transport with notification_transport(conf, url, "
            f"exchange={route.exchange!r})"
        )


def notifier_for(transport: Any, route: Route, publisher_id: str, *,
                 retry: int | None = None, serializer: Any = None) -> oslo_messaging.Notifier:
    """A ``messagingv2`` notifier that publishes on *route*'s topic.

    Send with the method named after the route's priority, e.g.
    ``notifier_for(t, SAMPLE_ROUTE, "telemetry.publisher.host1").sample(
    {}, SAMPLE_ROUTE.event_type, [sample_dict])``. oslo.messaging publishes
    to the transport's ``control_exchange``; a transport whose exchange is
    not the route's is refused, since the message would go where no listener
    of the route reads (see :func:`notification_transport`).

    >>> from oslo_config import cfg
    >>> transport = notification_transport(cfg.ConfigOpts(), "fake://")
    >>> notifier_for(transport, SAMPLE_ROUTE, "ceilometer.polling")._topics
    ['metering']
    >>> transport.cleanup()
    """
    check_transport_exchange(transport, route)
    _check_name("publisher_id", publisher_id)
    return oslo_messaging.Notifier(
        transport, publisher_id=publisher_id, driver="messagingv2",
        serializer=serializer, retry=retry, topics=[route.topic],
    )

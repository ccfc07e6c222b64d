"""Bounding the queues nobody reads: RabbitMQ policies for notifiers' default queues.

Every oslo.messaging notifier declares a *default queue* named after the
routing key (``metering.sample``, ``notifications.info``...), so that
notifications sent before any consumer exists are kept. Ceilometer's own
notification agent listens without a pool and reads those queues. A
consumer in a pool (what :func:`ceilocompat.compat_listener` recommends, one
pool per consumer group) reads a queue of its own instead, so where every
consumer of a route is in a pool, the route's default queue is read by
nobody and grows until the broker runs out of memory.

ceilocompat does not skip declaring it (a notifier cannot know whether a
pool-less consumer will come) and does not drain it (it may be Ceilometer's
own agent's queue). It bounds it: :func:`default_queue_policy` gives the
RabbitMQ policy that caps each default queue at *max_length* messages,
dropping the oldest, so the newest stay for a pool-less consumer that comes
late and the queue never grows past the cap. Apply it on deployments where
every consumer of those routes is in a pool; leave it off where
Ceilometer's notification agent reads them, since it would drop what the
agent has not read yet when the agent is down long enough.

>>> from ceilocompat.routing import EVENT_ROUTE, SAMPLE_ROUTE
>>> policy = default_queue_policy([SAMPLE_ROUTE, EVENT_ROUTE], max_length=10_000)
>>> policy.pattern, policy.definition
('^(?:metering\\\\.sample|event\\\\.sample)$', {'max-length': 10000, 'overflow': 'drop-head'})
>>> print(*policy.command().split(" '"), sep="\\n  '")
rabbitmqctl set_policy --apply-to queues --priority 0 -p / ceilocompat-default-queues
  '^(?:metering\\.sample|event\\.sample)$'
  '{"max-length": 10000, "overflow": "drop-head"}'
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterable

import attrs

from ceilocompat.routing import Route

__all__ = ["DEFAULT_MAX_LENGTH", "QueuePolicy", "default_queue_policy", "default_queues"]

#: Messages a default queue keeps under :func:`default_queue_policy` unless told otherwise.
DEFAULT_MAX_LENGTH = 10_000


@attrs.frozen
class QueuePolicy:
    """A RabbitMQ policy: *definition* applied to the queues whose names match *pattern*."""

    name: str
    pattern: str
    definition: dict
    apply_to: str = "queues"
    priority: int = 0
    vhost: str = "/"

    def rabbitmqctl_args(self) -> list[str]:
        """The arguments of ``rabbitmqctl`` that set this policy."""
        return ["set_policy", "--apply-to", self.apply_to, "--priority", str(self.priority), "-p", self.vhost,
                self.name, self.pattern, json.dumps(self.definition)]

    def command(self) -> str:
        """The ``rabbitmqctl`` command line an operator runs to set it."""
        return shlex.join(["rabbitmqctl", *self.rabbitmqctl_args()])


def default_queues(routes: Iterable[Route]) -> list[str]:
    """The default queue every notifier of *routes* declares: one per routing key.

    >>> from ceilocompat.routing import POLLING_ROUTE
    >>> default_queues([POLLING_ROUTE])
    ['notifications.sample']
    """
    names = []
    for route in routes:
        if not isinstance(route, Route):
            raise TypeError(f"expected Route objects, got {type(route).__name__}")
        if route.routing_key not in names:
            names.append(route.routing_key)
    return names


def default_queue_policy(routes: Iterable[Route], *, max_length: int = DEFAULT_MAX_LENGTH,
                         name: str = "ceilocompat-default-queues", vhost: str = "/") -> QueuePolicy:
    """The policy capping the default queues of *routes* at *max_length* messages, oldest dropped first.

    >>> default_queue_policy([], max_length=5)
    Traceback (most recent call last):
    ...
    ValueError: a default-queue policy needs at least one route
    """
    if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 0:
        raise ValueError(f"max_length must be a whole number of messages, 0 or more, not {max_length!r}")
    names = default_queues(routes)
    if not names:
        raise ValueError("a default-queue policy needs at least one route")
    pattern = "^(?:" + "|".join(re.escape(n) for n in names) + ")$"
    return QueuePolicy(name, pattern, {"max-length": max_length, "overflow": "drop-head"}, vhost=vhost)

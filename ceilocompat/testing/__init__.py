"""Test infrastructure for ceilocompat's tests, its rehearsals and your own tests.

:class:`RabbitMQBroker` runs a private RabbitMQ node on free loopback ports,
under a directory of its own, touching no system broker;
:mod:`ceilocompat.testing.fixtures` is a pytest plugin with a session-scoped
``rabbitmq`` fixture built on it.

>>> from ceilocompat.testing import RabbitMQError, RabbitMQUnavailable
>>> issubclass(RabbitMQUnavailable, RabbitMQError)
True
"""

from ceilocompat.testing.rabbitmq import (
    QueuesNotDrained,
    QueueStats,
    RabbitMQBroker,
    RabbitMQError,
    RabbitMQUnavailable,
    find_rabbitmq,
)

__all__ = [
    "QueueStats",
    "QueuesNotDrained",
    "RabbitMQBroker",
    "RabbitMQError",
    "RabbitMQUnavailable",
    "find_rabbitmq",
]

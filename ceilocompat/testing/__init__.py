"""Test infrastructure for ceilocompat's tests, its rehearsals and your own tests.

:class:`RabbitMQBroker` runs a private RabbitMQ node on free loopback ports,
under a directory of its own, touching no system broker;
:class:`RabbitMQCluster` runs N such nodes as one cluster (one private epmd
and cookie, a multi-host ``.url``), with nodes to stop, kill and start again;
:mod:`ceilocompat.testing.fixtures` is a pytest plugin with session-scoped
``rabbitmq`` and ``rabbitmq_cluster`` fixtures built on them.

>>> from ceilocompat.testing import RabbitMQError, RabbitMQUnavailable
>>> issubclass(RabbitMQUnavailable, RabbitMQError)
True
"""

from ceilocompat.testing.cluster import RabbitMQCluster
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
    "RabbitMQCluster",
    "RabbitMQError",
    "RabbitMQUnavailable",
    "find_rabbitmq",
]

"""Test infrastructure for ceilocompat's tests, its rehearsals and your own tests.

:class:`RabbitMQBroker` runs a private RabbitMQ node on free loopback ports,
under a directory of its own, touching no system broker;
:class:`RabbitMQCluster` runs N such nodes as one cluster (one private epmd
and cookie, a multi-host ``.url``), with nodes to stop, kill and start again;
:class:`NetnsCluster` runs them as hosts in network namespaces of their own,
to cut one off (a partition) and heal it;
:mod:`ceilocompat.testing.fixtures` is a pytest plugin with session-scoped
``rabbitmq`` and ``rabbitmq_cluster`` fixtures built on them.

>>> from ceilocompat.testing import RabbitMQError, RabbitMQUnavailable
>>> issubclass(RabbitMQUnavailable, RabbitMQError)
True
"""

from ceilocompat.testing.cluster import RabbitMQCluster
from ceilocompat.testing.netns import NetnsCluster
from ceilocompat.testing.rabbitmq import (
    QueuesNotDrained,
    QueueStats,
    RabbitMQBroker,
    RabbitMQError,
    RabbitMQUnavailable,
    find_rabbitmq,
)

__all__ = [
    "NetnsCluster",
    "QueueStats",
    "QueuesNotDrained",
    "RabbitMQBroker",
    "RabbitMQCluster",
    "RabbitMQError",
    "RabbitMQUnavailable",
    "find_rabbitmq",
]

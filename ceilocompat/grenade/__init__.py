"""Real Ceilometer releases side by side: release environments and their real services.

The spec's test plan is multi-node grenade testing. This package runs the
real thing: :mod:`~ceilocompat.grenade.environments` builds and caches one
virtualenv per Ceilometer release from PyPI, and
:mod:`~ceilocompat.grenade.services` and :mod:`~ceilocompat.grenade.pollster`
start that release's own notification agent and polling agent as processes
on a real broker; :mod:`~ceilocompat.grenade.rehearsal` walks an upgrade
plan with them and :mod:`~ceilocompat.grenade.matrix` runs every pair of
releases.
"""

from ceilocompat.grenade.environments import Environment, build_environment, find_interpreters, series_of
from ceilocompat.grenade.services import NotificationAgent, PollingSide, ServiceError, ServiceProcess, Topics

__all__ = [
    "Environment",
    "NotificationAgent",
    "PollingSide",
    "ServiceError",
    "ServiceProcess",
    "Topics",
    "build_environment",
    "find_interpreters",
    "series_of",
]

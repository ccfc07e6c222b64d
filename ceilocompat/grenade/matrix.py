"""The compatibility matrix: every polling release against every notification agent release, for real.

For each notification agent release A, the release's own agent runs on a
private RabbitMQ; the polling side of every release P publishes one batch
of samples through it; a ceilocompat collector counts what the agent
republished and verifies its signatures. Each pair is set beside what
``ceilocompat plan`` predicts for an inventory of that pair: a pair where
the measured loss and the prediction disagree is marked.

What was produced is learned from the polling side's own answer after each
publish (the batch reached the broker with confirms), delivered and lost by
resource id, which the agent keeps.
"""

from __future__ import annotations

import pathlib
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from ceilocompat._consumers import CompatEndpoint, ConsumerPolicy, compat_listener
from ceilocompat.grenade.environments import Environment, build_environment
from ceilocompat.grenade.services import NotificationAgent, PollingSide, ServiceError, Topics, write_config
from ceilocompat.routing import notification_transport
from ceilocompat.upgrade.inventory import parse_inventory
from ceilocompat.upgrade.plan import check_inventory

__all__ = ["Matrix", "PairOutcome", "predicted_loss", "run_matrix"]

#: Samples per batch, as a polling agent sends them.
BATCH = 50


def predicted_loss(polling: str, agent: str) -> list[str]:
    """The rules ``ceilocompat plan`` says a polling agent at *polling* beside an agent at *agent* breaks.

    Only rules about what crosses the bus between the two count (strict
    consumers); ordering rules of the upgrade paths do not lose data.

    >>> predicted_loss("17.0.0", "21.0.0"), predicted_loss("17.0.0", "22.0.0")
    (['strict-consumer'], [])
    """
    inventory = parse_inventory({"hosts": [
        {"name": "ctl", "services": [{"service": "notification-agent", "release": agent}]},
        {"name": "compute", "services": [{"service": "polling-agent", "release": polling, "pollsters": ["cpu"]}]}]})
    return sorted({v.rule.id for v in check_inventory(inventory) if v.rule.id == "strict-consumer"})


@attrs.frozen
class PairOutcome:
    """What one (polling release, agent release) pair did with one batch."""

    polling: str
    agent: str
    produced: int
    delivered: int
    signatures_valid: int
    errors: tuple[str, ...]
    predicted: tuple[str, ...]

    @property
    def lost(self) -> int:
        return self.produced - self.delivered

    @property
    def agrees(self) -> bool:
        """The planner predicted a loss exactly when there was one."""
        return (self.lost > 0) == bool(self.predicted)

    def as_dict(self) -> dict:
        return {**attrs.asdict(self), "lost": self.lost, "agrees": self.agrees}


@attrs.frozen
class Matrix:
    """Every pair's outcome, and the releases whose environment did not build."""

    releases: tuple[str, ...]
    pairs: tuple[PairOutcome, ...]
    unavailable: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(p.agrees for p in self.pairs) and not self.unavailable

    def pair(self, polling: str, agent: str) -> PairOutcome | None:
        return next((p for p in self.pairs if p.polling == polling and p.agent == agent), None)

    def as_dict(self) -> dict:
        return {"releases": list(self.releases), "ok": self.ok, "seconds": self.seconds,
                "unavailable": [{"release": r, "reason": why} for r, why in self.unavailable],
                "pairs": [p.as_dict() for p in self.pairs]}


class _Collector:
    def __init__(self) -> None:
        self.resources: set[str] = set()

    def __call__(self, items: list, _delivery: Any) -> None:
        self.resources.update(str(item.resource_id) for item in items)

    def count(self, prefix: str) -> int:
        return sum(1 for r in self.resources if r.startswith(prefix + "-"))


def run_matrix(
    releases: Sequence[str],
    broker: Any,
    *,
    secret: str = "ceilocompat matrix",
    wait: float = 30.0,
    progress: Callable[[str], None] | None = None,
    workdir: pathlib.Path | None = None,
) -> Matrix:
    """Run every pair of *releases* on *broker* (a started :class:`~ceilocompat.testing.RabbitMQBroker`)."""
    say = progress or (lambda line: None)
    started = time.monotonic()
    releases = [str(r) for r in releases]
    base = workdir or pathlib.Path(tempfile.mkdtemp(prefix="ceilocompat-matrix-"))
    envs: dict[str, Environment] = {}
    unavailable = []
    for release in releases:
        env = build_environment(release, progress=lambda line: say(f"  {line}"))
        if env.ok:
            envs[release] = env
        else:
            unavailable.append((release, env.reason))
            say(f"  {release}: unavailable: {env.reason}")
    pairs = []
    for agent_release, agent_env in envs.items():
        say(f"agent {agent_release}: against {len(envs)} polling releases")
        pairs += _against_agent(agent_release, agent_env, envs, broker, secret, wait, base / agent_release)
    return Matrix(tuple(releases), tuple(pairs), tuple(unavailable), round(time.monotonic() - started, 1))


def _against_agent(agent_release: str, agent_env: Environment, envs: dict[str, Environment], broker: Any,
                   secret: str, wait: float, directory: pathlib.Path) -> list[PairOutcome]:
    topics = Topics.for_run(uuid.uuid4().hex[:8])
    config = write_config(directory / "conf", broker.url, secret, topics)
    from oslo_config import cfg

    transport = notification_transport(cfg.ConfigOpts(), broker.url)
    collector = _Collector()
    valid = _Collector()
    endpoint = CompatEndpoint(topics.sample_route, collector)
    checked = CompatEndpoint(topics.sample_route, valid,
                             policy=ConsumerPolicy(signatures="verify", secret=secret, dead_letter=lambda d: None))
    listeners = [compat_listener(transport, [endpoint], pool="collector"),
                 compat_listener(transport, [checked], pool="signatures")]
    agent = NotificationAgent(agent_env, directory / "agent", config)
    produced: dict[str, int] = {}
    failures: dict[str, str] = {}
    try:
        for listener in listeners:
            listener.start()
        agent.start()
        _wait_for_listener(broker, topics.notifications + ".sample", agent, 120)
        for polling_release, polling_env in envs.items():
            polling = PollingSide(polling_env, directory / f"polling-{polling_release}", config)
            produced[polling_release] = 0
            try:
                polling.start()
                polling.publish(BATCH, polling_release)
                produced[polling_release] = BATCH
            except ServiceError as exc:
                failures[polling_release] = str(exc)
            finally:
                polling.stop()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(collector.count(p) < n for p, n in produced.items()):
            time.sleep(0.5)
        errors = tuple(agent.errors(3))
    finally:
        agent.stop()
        for listener in listeners:
            listener.stop()
            listener.wait()
        transport.cleanup()
    outcomes = []
    for polling_release, count in produced.items():
        delivered = collector.count(polling_release)
        told = (failures[polling_release],) if polling_release in failures else errors if delivered < count else ()
        outcomes.append(PairOutcome(polling_release, agent_release, count, delivered, valid.count(polling_release),
                                    told, tuple(predicted_loss(polling_release, agent_release))))
    return outcomes


def _wait_for_listener(broker: Any, queue: str, agent: NotificationAgent, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = broker.queues().get(queue)
        if stats is not None and stats.consumers > 0:
            return
        if not agent.running:
            raise ServiceError(f"{agent.name} exited: {'; '.join(agent.errors(3)) or 'see ' + str(agent.log_path)}")
        time.sleep(0.5)
    raise ServiceError(f"{agent.name} did not listen on {queue} within {timeout:.0f} s")

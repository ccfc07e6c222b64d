"""The compatibility matrix: every polling release against every notification agent release, for real.

The polling side of every release runs once for the whole matrix, each
under its own interpreter (:class:`~ceilocompat.grenade.services.PollingSide`).
Then, for each notification agent release A in turn, the release's own
agent runs on a private RabbitMQ and every polling side publishes one batch
of samples through it, the agent's own release last; a ceilocompat
collector counts what the agent republished and verifies its signatures.
Each pair is set beside what ``ceilocompat plan`` predicts for an inventory
of that pair: a pair where the measured loss and the prediction disagree
is marked.

What was produced is learned from the bus (a :class:`~ceilocompat.grenade.tap.BusTap`
in its own pool on the polling topic), delivered and lost by resource id
(``<polling release>_<agent release>-<n>``), which the agent keeps.
"""

from __future__ import annotations

import pathlib
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs

from ceilocompat._consumers import CompatEndpoint, ConsumerPolicy, compat_listener
from ceilocompat.grenade.environments import Environment, build_environment
from ceilocompat.grenade.services import NotificationAgent, PollingSide, ServiceError, Topics, write_config
from ceilocompat.grenade.tap import BusTap
from ceilocompat.routing import notification_transport
from ceilocompat.upgrade.inventory import parse_inventory
from ceilocompat.upgrade.plan import check_inventory

__all__ = ["Matrix", "PairOutcome", "predicted_loss", "run_matrix"]

#: Samples per batch, as a polling agent sends them.
BATCH = 50


def predicted_loss(polling: str, agent: str) -> list[str]:
    """The rules ``ceilocompat plan`` says a polling agent at *polling* beside an agent at *agent* breaks.

    Only rules whose breach loses items on the bus count (``Rule.loses_data``);
    the ordering rules of the upgrade paths do not lose data.

    >>> predicted_loss("17.0.0", "21.0.0"), predicted_loss("17.0.0", "22.0.0")
    (['strict-consumer'], [])
    """
    inventory = parse_inventory({"hosts": [
        {"name": "ctl", "services": [{"service": "notification-agent", "release": agent}]},
        {"name": "compute", "services": [{"service": "polling-agent", "release": polling, "pollsters": ["cpu"]}]}]})
    return sorted({v.rule.id for v in check_inventory(inventory) if v.rule.loses_data})


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


class _Resources:
    """Resource ids seen, counted by batch prefix (``<prefix>-<n>``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.resources: set[str] = set()

    def add(self, resources: Iterable[str]) -> None:
        with self._lock:
            self.resources.update(resources)

    def __call__(self, items: list, _delivery: Any) -> None:
        self.add(str(item.resource_id) for item in items)

    def count(self, prefix: str) -> int:
        with self._lock:
            return sum(1 for r in self.resources if r.startswith(prefix + "-"))


def _prefix(polling: str, agent: str) -> str:
    return f"{polling}_{agent}"


def run_matrix(
    releases: Sequence[str],
    broker: Any,
    *,
    secret: str = "ceilocompat matrix",  # noqa: S107  signs test samples between processes of one run
    wait: float = 30.0,
    grace: float = 5.0,
    progress: Callable[[str], None] | None = None,
    workdir: pathlib.Path | None = None,
) -> Matrix:
    """Run every pair of *releases* on *broker* (a started :class:`~ceilocompat.testing.RabbitMQBroker`).

    After the batches for an agent, the wait ends when every batch came
    through; or, once the agent's own release's batch came through, when
    nothing more has come for *grace* seconds; or after *wait* seconds.
    """
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
    run = _Run(envs, broker, secret, base)
    pairs: list[PairOutcome] = []
    try:
        run.start(say)
        for number, (agent_release, agent_env) in enumerate(envs.items(), 1):
            say(f"[{number}/{len(envs)}] agent {agent_release}: against {len(envs)} polling releases")
            pairs += run.against_agent(agent_release, agent_env, wait, grace)
    finally:
        run.stop()
    return Matrix(tuple(releases), tuple(pairs), tuple(unavailable), round(time.monotonic() - started, 1))


class _Run:
    """The parts of a matrix that live for all of it: topics, collectors, the tap and the polling sides."""

    def __init__(self, envs: dict[str, Environment], broker: Any, secret: str, base: pathlib.Path) -> None:
        from oslo_config import cfg

        url = broker.url
        self.broker = broker
        self.envs = envs
        self.base = base
        self.topics = Topics.for_run(uuid.uuid4().hex[:8])
        self.config = write_config(base / "conf", url, secret, self.topics)
        self.transport = notification_transport(cfg.ConfigOpts(), url)
        self.produced, self.delivered, self.valid = _Resources(), _Resources(), _Resources()
        route = self.topics.sample_route
        checked = ConsumerPolicy(signatures="verify", secret=secret, dead_letter=lambda d: None)
        self.listeners = [
            compat_listener(self.transport, [CompatEndpoint(route, self.delivered)], pool="collector"),
            compat_listener(self.transport, [CompatEndpoint(route, self.valid, policy=checked)], pool="signatures"),
        ]
        self.tap = BusTap(self.transport, self.topics, on_samples=lambda pairs: self.produced.add(r for _, r in pairs))
        self.polling = {release: PollingSide(env, base / f"polling-{release}", self.config)
                        for release, env in envs.items()}
        self.failures: dict[str, str] = {}

    def start(self, say: Callable[[str], None]) -> None:
        self.tap.start()
        for listener in self.listeners:
            listener.start()
        say(f"starting the polling sides of {len(self.polling)} releases")
        for side in self.polling.values():
            side.launch()
        for release, side in self.polling.items():
            try:
                side.wait_ready()
            except ServiceError as exc:
                self.failures[release] = str(exc)
                say(f"  polling {release}: {exc}")

    def stop(self) -> None:
        for side in self.polling.values():
            side.stop()
        for listener in [*self.listeners, self.tap]:
            listener.stop()
            if listener is not self.tap:
                listener.wait()
        self.transport.cleanup()

    def against_agent(self, agent_release: str, agent_env: Environment, wait: float,
                      grace: float) -> list[PairOutcome]:
        agent = NotificationAgent(agent_env, self.base / f"agent-{agent_release}", self.config)
        order = [r for r in self.polling if r != agent_release] + [agent_release]
        failures = dict(self.failures)
        try:
            agent.start()
            _wait_for_listener(self.broker, self.topics.notifications + ".sample", agent, 120)
            for polling_release in order:
                if polling_release in failures:
                    continue
                try:
                    self.polling[polling_release].publish(BATCH, _prefix(polling_release, agent_release))
                except ServiceError as exc:
                    failures[polling_release] = self.failures[polling_release] = str(exc)
            self._wait(agent_release, order, wait, grace)
            errors = tuple(agent.errors(3))
        except ServiceError as exc:
            errors = (str(exc),)
        finally:
            agent.stop()
        outcomes = []
        for polling_release in order:
            prefix = _prefix(polling_release, agent_release)
            produced, delivered = self.produced.count(prefix), self.delivered.count(prefix)
            told = (failures[polling_release],) if polling_release in failures else (
                errors if delivered < produced or produced < BATCH else ())
            outcomes.append(PairOutcome(polling_release, agent_release, produced, delivered,
                                        self.valid.count(prefix), told,
                                        tuple(predicted_loss(polling_release, agent_release))))
        return sorted(outcomes, key=lambda p: list(self.polling).index(p.polling))

    def _wait(self, agent_release: str, order: list[str], wait: float, grace: float) -> None:
        """Until every batch came through; or, once the agent's own release's batch did, until nothing
        more has come for *grace* seconds (an agent may handle batches out of order); at most *wait*."""
        prefixes = [_prefix(p, agent_release) for p in order]
        deadline = time.monotonic() + wait
        last_total, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            counts = [self.delivered.count(p) for p in prefixes]
            if all(c >= BATCH for c in counts):
                return
            if sum(counts) != last_total:
                last_total, quiet_since = sum(counts), time.monotonic()
            elif counts[-1] >= BATCH and time.monotonic() - quiet_since > grace:
                return
            time.sleep(0.2)


def _wait_for_listener(broker: Any, queue: str, agent: NotificationAgent, timeout: float) -> None:
    """Until the agent consumes *queue*, or raise ServiceError saying why it does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stats = broker.queues().get(queue)
        if stats is not None and stats.consumers > 0:
            return
        if not agent.running:
            raise ServiceError(f"{agent.name} exited: {'; '.join(agent.errors(3)) or 'see ' + str(agent.log_path)}")
        time.sleep(0.5)
    raise ServiceError(f"{agent.name} did not listen on {queue} within {timeout:.0f} s")

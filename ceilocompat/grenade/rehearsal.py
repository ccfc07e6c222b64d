"""The rehearsal, for real: an upgrade path walked with real Ceilometer releases on RabbitMQ.

:class:`RealRehearsal` is the :class:`~ceilocompat.upgrade.rehearsal.Rehearsal`
with the services that Ceilometer ships replaced by the releases' own
processes: each release's ``ceilometer-agent-notification`` with a generated
configuration (:mod:`~ceilocompat.grenade.services`), each release's polling
side under its own interpreter, and nova's notifications for the event
pipeline (:mod:`~ceilocompat.grenade.nova`). Collectors stay ceilocompat
compat consumers at the old and the new model version. The plan's steps
are walked as an operator walks them: SIGTERM the old service, start the
new one (or start it alongside first), traffic flowing all along.

What was produced is learned from the bus, not from the producers: a
:class:`~ceilocompat.grenade.tap.BusTap` in its own pool on the polling
topic records each sample and notification with the step it was seen in.
Real Ceilometer keeps a sample's ``message_id`` and gives an event its
notification's, so the rehearsal's :class:`~ceilocompat.upgrade.rehearsal.Ledger`
counts lost and duplicated per consumer group exactly as it does for the
simulated rehearsal: ``notification-agent`` is what the real agents
republished, ``collector`` what the collectors consumed.

For each step, the report also says which (polling, agent) release pairs
ran side by side, what ``ceilocompat plan`` predicts for them, and whether
that matches what was lost.
"""

from __future__ import annotations

import collections
import pathlib
import tempfile
import time
from collections.abc import Mapping
from typing import Any

import attrs

from ceilocompat._consumers import CompatEndpoint, compat_listener
from ceilocompat.config import messaging_config
from ceilocompat.grenade.environments import Environment, build_environment
from ceilocompat.grenade.matrix import predicted_loss
from ceilocompat.grenade.nova import NovaNotifier
from ceilocompat.grenade.pollster import PollingAgent, ResourceEndpoint, numbered_resources, supports_real_polling
from ceilocompat.grenade.services import (
    NotificationAgent,
    PollingSide,
    ServiceError,
    ServiceProcess,
    Topics,
    write_config,
)
from ceilocompat.grenade.tap import NOVA_EXCHANGE, BusTap
from ceilocompat.routing import CONTROL_EXCHANGE, notification_transport
from ceilocompat.upgrade.rehearsal import Generation, Rehearsal, RehearsalReport
from ceilocompat.upgrade.rehearsal_bus import GROUPS, RehearsalBus
from ceilocompat.upgrade.services import NOTIFICATION_AGENT, POLLING_AGENT

__all__ = ["RealRehearsal", "RealRehearsalReport", "StepPrediction", "crash_an_agent"]

#: Samples per polling batch, as a polling agent sends them.
BATCH = 50
#: One nova notification for every this many samples produced.
SAMPLES_PER_NOTIFICATION = 10
#: oslo.messaging's notification priorities: a real agent declares a queue for each on its topic.
_PRIORITIES = ("audit", "critical", "debug", "error", "info", "sample", "warn")


@attrs.frozen
class _RealBus(RehearsalBus):
    """A rehearsal's bus as real Ceilometer services use it: their own exchange, the rehearsal's topics.

    Queues are non-durable, as in a Ceilometer deployment's default
    configuration, so ours and the agents' declarations agree; the shared
    exchange is never deleted.
    """

    @property
    def exchange(self) -> str:
        return CONTROL_EXCHANGE

    @property
    def owns_exchange(self) -> bool:
        return False

    @property
    def topics(self) -> Topics:
        return Topics.for_run(self.run_id)

    @property
    def tap_pool(self) -> str:
        return self.pool("tap")

    def queues(self) -> list[str]:
        topics = self.topics
        declared = [f"{topic}.{priority}" for topic in (topics.notifications, topics.metering, topics.event)
                    for priority in _PRIORITIES]
        return [self.pool(g) for g in GROUPS] + [self.tap_pool] + declared

    def config(self) -> Any:
        """As the agents read theirs: the files given, non-durable queues unless they say otherwise."""
        return messaging_config(self.config_files, quorum_queues=self.quorum_queues)

    def transport(self) -> Any:
        return notification_transport(self.config(), self.url)

    def consumers(self, queue: str) -> int:
        """How many consumers *queue* has (0 when it does not exist yet), asked over AMQP."""
        import kombu

        with kombu.Connection(self.amqp_url(), connect_timeout=10) as connection:
            try:
                return int(connection.default_channel.queue_declare(queue=queue, passive=True).consumer_count)
            except connection.channel_errors:
                return 0


@attrs.frozen
class StepPrediction:
    """What ran side by side during one step, what the planner predicts of it, and what happened."""

    number: int
    label: str
    pairs: tuple[tuple[str, str], ...]
    predicted: tuple[str, ...]
    lost: int

    @property
    def agrees(self) -> bool:
        return bool(self.predicted) == (self.lost > 0)

    def as_dict(self) -> dict:
        return {"number": self.number, "label": self.label, "lost": self.lost, "agrees": self.agrees,
                "pairs": [{"polling": p, "agent": a} for p, a in self.pairs], "predicted": list(self.predicted)}


@attrs.frozen
class RealRehearsalReport(RehearsalReport):
    """A :class:`RehearsalReport` with, per step, the planner's prediction beside what was lost."""

    predictions: tuple[StepPrediction, ...] = ()
    logs: str = ""
    _events_from = " from nova's notifications"

    @property
    def agrees(self) -> bool:
        """The planner predicted a loss in exactly the steps that lost something."""
        return all(p.agrees for p in self.predictions)

    def summary(self) -> str:
        wrong = [p.number for p in self.predictions if not p.agrees]
        planner = ("the planner predicted every step's outcome" if not wrong
                   else f"the planner got step(s) {', '.join(map(str, wrong))} wrong")
        return f"{super().summary()}\n{planner}; logs of the real services in {self.logs}"

    def as_dict(self) -> dict:
        return {**super().as_dict(), "real": True, "agrees": self.agrees, "logs": self.logs,
                "predictions": [p.as_dict() for p in self.predictions]}


class RealRehearsal(Rehearsal):
    """Rehearse an upgrade path with real releases' services on RabbitMQ; see the module doc.

    Takes the keyword arguments of :class:`~ceilocompat.upgrade.rehearsal.Rehearsal`
    except the simulated ones (``strict_fields``, ``pin_new_producers``):
    real releases behave as they do; ``hooks`` take real faults such as
    :func:`crash_an_agent`. ``transport_url`` must be a ``rabbit://`` URL.

    :param environments: the release environments, by generation; built
        (or taken from the cache) when not given.
    :param workdir: where the services' configuration and logs are kept.
    :param polling_agents: run the releases' real ``ceilometer-polling`` where
        they can poll without OpenStack (14.0.0 on); False: always their own
        publish path, driven batch by batch.
    """

    bus: _RealBus

    def __init__(self, *, environments: Mapping[Generation, Environment] | None = None,
                 workdir: pathlib.Path | None = None, polling_agents: bool = True, **kwargs: Any) -> None:
        for simulated in ("strict_fields", "pin_new_producers"):
            if kwargs.get(simulated):
                raise ValueError(f"{simulated} is for the simulated rehearsal; real releases behave as they do")
        kwargs.setdefault("dwell", 8.0)
        kwargs.setdefault("settle_timeout", 30.0)
        super().__init__(**kwargs)
        if not self.bus.is_rabbit:
            raise ValueError("a rehearsal with real releases needs RabbitMQ: a rabbit:// transport URL")
        self.topics = self.bus.topics
        self.environments = dict(environments or {})
        self.workdir = workdir or pathlib.Path(tempfile.mkdtemp(prefix="ceilocompat-rehearsal-"))
        self.agents: dict[Generation, list[NotificationAgent]] = collections.defaultdict(list)
        self.pollers: dict[Generation, PollingSide | PollingAgent] = {}
        self.real_polling = polling_agents
        self.services: list[ServiceProcess] = []
        self._ran: dict[int, dict[str, set[Generation]]] = collections.defaultdict(
            lambda: {"polling": set(), "agents": set()})
        self._published = {"samples": 0, "notifications": 0}
        self._offers = 0
        self._producing_extra = False
        self._listeners: list[Any] = []

    def _bus(self) -> _RealBus:
        return _RealBus(self.transport_url, self.run_id, self.config_files, self.quorum_queues)

    def release_of(self, generation: Generation) -> str:
        return self.from_release if generation is Generation.OLD else self.to_release

    # --- set-up and tear-down ------------------------------------------------

    def _prepare(self) -> None:
        for generation in Generation:
            if generation not in self.environments:
                release = self.release_of(generation)
                env = build_environment(release, progress=lambda line: self.progress(f"  {line}"))
                if not env.ok:
                    raise RuntimeError(f"ceilometer {release} has no environment: {env.reason}")
                self.environments[generation] = env
        self.config = write_config(self.workdir / "conf", self.transport_url, self.secret, self.topics)
        ledger = self.ledger

        def produced_samples(pairs: list[tuple[str, str]]) -> None:
            ledger.record_produced("sample", [message_id for message_id, _ in pairs], self.current_step,
                                   extra=self._producing_extra)

        def produced_event(message_id: str, _event_type: str) -> None:
            ledger.record_produced("event", [message_id], self.current_step)

        def republished(items: list, _delivery: Any) -> None:
            ledger.record_delivered("notification-agent", "sample", [s.message_id for s in items])

        self.tap = BusTap(self.transport, self.topics, pool=self.bus.tap_pool, on_samples=produced_samples,
                          on_notification=produced_event)
        observer = compat_listener(self.transport, [CompatEndpoint(self.bus.samples, republished)],
                                   pool=self.bus.pool("notification-agent"))
        self._listeners = [self.tap, observer]
        for listener in self._listeners:
            listener.start()
        from oslo_config import cfg

        self.nova_transport = notification_transport(cfg.ConfigOpts(), self.transport_url, exchange=NOVA_EXCHANGE)
        self.nova = NovaNotifier(self.nova_transport, self.topics)

    def _stop_everything(self) -> None:
        for generation in list(self.pollers):
            self.stop(POLLING_AGENT.name, generation)
        for generation in list(self.agents):
            self.stop(NOTIFICATION_AGENT.name, generation)
        super()._stop_everything()
        for listener in self._listeners:
            listener.stop()
            if listener is not self.tap:
                listener.wait()
        if getattr(self, "nova_transport", None) is not None:
            self.nova_transport.cleanup()

    # --- the services ----------------------------------------------------------

    def start(self, service: str, generation: Generation) -> None:
        env = self.environments.get(generation)
        if service == POLLING_AGENT.name and env is not None:
            directory = self.workdir / f"polling-{generation}-{env.release}"
            side: PollingSide | PollingAgent
            if self.real_polling and supports_real_polling(env.release):
                endpoint = ResourceEndpoint()
                endpoint.start()
                side = PollingAgent(env, directory, self.config, endpoint)
                self.services.append(side)
                side.start()
                side.wait_polled(1)
            else:
                side = PollingSide(env, directory, self.config)
                self.services.append(side)
                side.start()
            self.pollers[generation] = side
        elif service == NOTIFICATION_AGENT.name and env is not None:
            running = sum(len(agents) for agents in self.agents.values())
            number = len([s for s in self.services if isinstance(s, NotificationAgent)]) + 1
            agent = NotificationAgent(env, self.workdir / f"agent-{number}-{generation}-{env.release}", self.config)
            self.services.append(agent)
            agent.start()
            self.agents[generation].append(agent)
            self._ran[self.current_step]["agents"].add(generation)
            self._wait_listening(agent, running + 1)
        else:
            super().start(service, generation)

    def stop(self, service: str, generation: Generation) -> None:
        if service == POLLING_AGENT.name:
            side = self.pollers.pop(generation, None)
            if side is not None:
                side.stop()
                if isinstance(side, PollingAgent):
                    side.endpoint.stop()
                self._note_errors(side)
        elif service == NOTIFICATION_AGENT.name:
            for agent in self.agents.pop(generation, []):
                agent.stop()
                self._note_errors(agent)
        else:
            super().stop(service, generation)

    def _note_errors(self, service: ServiceProcess) -> None:
        for line in service.errors(3):
            if "memcache" not in line:  # oslo.cache's optional backend, absent and unused
                self.note(f"{service.name}: {line}")

    def _wait_listening(self, agent: NotificationAgent, consumers: int, timeout: float = 120.0) -> None:
        queue = f"{self.topics.notifications}.sample"
        deadline = time.monotonic() + timeout
        while self.bus.consumers(queue) < consumers:
            if not agent.running:
                raise ServiceError(f"{agent.name} exited: {'; '.join(agent.errors(3)) or 'see ' + str(agent.log_path)}")
            if time.monotonic() > deadline:
                raise ServiceError(f"{agent.name} did not listen on {queue} within {timeout:.0f} s")
            time.sleep(0.5)

    # --- traffic -------------------------------------------------------------

    def _produce(self, count: int, *, extra: bool) -> None:
        sides = list(self.pollers.items())
        if not sides or count <= 0:
            return
        self._producing_extra = extra  # what the tap sees until it has seen it all is a fault's, or not
        try:
            self._publish(sides, count)
        finally:
            self._producing_extra = False

    def _publish(self, sides: list[tuple[Generation, PollingSide | PollingAgent]], count: int) -> None:
        ran = self._ran[self.current_step]
        ran["agents"].update(g for g, agents in self.agents.items() if agents)
        for index, (generation, side) in enumerate(sides):
            share = count // len(sides) + (1 if index < count % len(sides) else 0)
            if share:
                ran["polling"].add(generation)
            self._published["samples"] += share
            if isinstance(side, PollingAgent) and share:
                self._offers += 1
                side.endpoint.offer(numbered_resources(f"{self.run_id}-{generation}-{self._offers}", share))
                self._wait_for_poll(side)
            while isinstance(side, PollingSide) and share > 0:
                side.publish(min(BATCH, share), f"{self.run_id}-{generation}")
                share -= BATCH
        notifications = max(1, count // SAMPLES_PER_NOTIFICATION)
        self.nova.publish(notifications)
        self._published["notifications"] += notifications
        self._wait_for_tap()

    @staticmethod
    def _wait_for_poll(agent: PollingAgent, timeout: float = 60.0) -> None:
        """Until the agent's next polling cycle has taken the resources offered to it."""
        deadline = time.monotonic() + timeout
        while agent.endpoint.offered:
            if not agent.running or time.monotonic() > deadline:
                raise ServiceError(f"{agent.name} did not poll {agent.url} within {timeout:.0f} s: "
                                   f"{'; '.join(agent.errors(3)) or 'see ' + str(agent.log_path)}")
            time.sleep(0.05)

    def _wait_for_tap(self, timeout: float = 10.0) -> None:
        """Until the tap has seen what was published, so the ledger knows it before the step goes on."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (self.tap.samples < self._published["samples"]
                                               or self.tap.notifications < self._published["notifications"]):
            time.sleep(0.05)

    # --- the report ------------------------------------------------------------

    def run(self) -> RealRehearsalReport:
        """Walk the plan with the real services; see :meth:`Rehearsal.run`.

        Raises RuntimeError (a :class:`~ceilocompat.grenade.services.ServiceError`
        among them) when a release has no environment or a service does not start.
        """
        report = super().run()
        predictions = []
        for step in report.steps:
            ran = self._ran.get(step.number, {"polling": set(), "agents": set()})
            pairs = sorted({(self.release_of(p), self.release_of(a)) for p in ran["polling"] for a in ran["agents"]})
            predicted = sorted({rule for p, a in pairs for rule in predicted_loss(p, a)})
            predictions.append(StepPrediction(step.number, step.label, tuple(pairs), tuple(predicted),
                                              step.total("lost")))
        fields = {f.name: getattr(report, f.name) for f in attrs.fields(RehearsalReport)}
        return RealRehearsalReport(**fields, predictions=tuple(predictions), logs=str(self.workdir))


def crash_an_agent(rehearsal: RealRehearsal) -> None:
    """A fault for :class:`RealRehearsal` hooks: SIGKILL a running notification agent, as a crash.

    What it held unacknowledged goes back to the queue; samples produced
    while no agent of its release runs wait there (counted apart, as a
    fault's); then an agent of the same release starts again, as a service
    manager restarts a crashed service.
    """
    generation = next((g for g, agents in rehearsal.agents.items() if agents), None)
    if generation is None:
        raise RuntimeError("no notification agent runs to crash")
    agent = rehearsal.agents[generation].pop()
    agent.kill()
    rehearsal.note(f"{agent.name} killed with SIGKILL in step {rehearsal.current_step}, then started again")
    rehearsal.produce(BATCH)
    rehearsal.start(NOTIFICATION_AGENT.name, generation)

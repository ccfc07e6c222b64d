"""A live-traffic rehearsal of an upgrade path.

The rehearsal runs the spec's services in-process at an old and a new
release: polling agents publish samples, notification agents consume them
and publish samples and events onward, collectors consume those. It walks
the plan step by step (stop an old service, start its new release) while
traffic keeps flowing, then checks that every sample and event produced was
consumed and decoded by each consumer group, duplicates from at-least-once
delivery removed by message id.

>>> report = Rehearsal(path="partial", samples=40).run()
>>> report.lost, report.rejected, report.steps[-1].label
(0, 0, 'api: replace')
"""

from __future__ import annotations

import collections
import enum
import itertools
import threading
import time
import uuid
from typing import Any, Callable, Iterable

import attrs

from ceilocompat._consumers import CompatEndpoint, ConsumerPolicy, DeadLetter, compat_listener
from ceilocompat._errors import DecodeError
from ceilocompat._payload import payload_items
from ceilocompat._publisher import Publisher
from ceilocompat._signing import DEFAULT_SECRET
from ceilocompat.models import Event, Sample, Trait, model_version
from ceilocompat.upgrade.plan import PATHS, Action, Step
from ceilocompat.upgrade.rehearsal_bus import GROUPS, RehearsalBus
from ceilocompat.upgrade.services import COLLECTOR, NOTIFICATION_AGENT, POLLING_AGENT

__all__ = ["DEFAULT_FROM_RELEASE", "DEFAULT_TO_RELEASE", "Generation", "Ledger", "Rehearsal", "RehearsalReport"]

GROUP_OF_SERVICE = {NOTIFICATION_AGENT.name: "notification-agent", COLLECTOR.name: "collector"}


class Generation(str, enum.Enum):
    """Which release an instance of a service runs: the one upgraded from, or to."""

    OLD = "old"
    NEW = "new"

    def __str__(self) -> str:
        return self.value

DEFAULT_FROM_RELEASE = "18.0.0"
DEFAULT_TO_RELEASE = "27.0.0"


class Ledger:
    """What was produced, in which step, and what each group received."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.produced: dict[tuple[str, str], int] = {}
        self.delivered: dict[str, collections.Counter] = {g: collections.Counter() for g in GROUPS}
        self.rejected: dict[str, set] = {g: set() for g in GROUPS}

    def record_produced(self, kind: str, ids: Iterable[str], step: int) -> None:
        with self._lock:
            for message_id in ids:
                self.produced.setdefault((kind, message_id), step)

    def record_delivered(self, group: str, kind: str, ids: Iterable[str]) -> None:
        with self._lock:
            self.delivered[group].update((kind, i) for i in ids)

    def record_rejected(self, group: str, kind: str, ids: Iterable[str]) -> None:
        with self._lock:
            self.rejected[group].update((kind, i) for i in ids)

    def missing(self, group: str) -> int:
        """Items the group should have received and has not, yet."""
        kinds = GROUPS[group]
        with self._lock:
            return sum(1 for key in self.produced if key[0] in kinds and key not in self.delivered[group])

    def outstanding(self, group: str) -> int:
        """Missing items that no group has rejected either: still travelling."""
        kinds = GROUPS[group]
        with self._lock:
            rejected = set().union(*self.rejected.values())
            return sum(
                1 for key in self.produced
                if key[0] in kinds and key not in self.delivered[group] and key not in rejected
            )


@attrs.frozen
class GroupOutcome:
    """One consumer group's view of one step's traffic."""

    group: str
    produced: int
    consumed: int
    lost: int
    duplicated: int
    rejected: int


@attrs.frozen
class StepOutcome:
    number: int
    label: str
    groups: tuple[GroupOutcome, ...]

    @property
    def produced(self) -> int:
        return max((g.produced for g in self.groups), default=0)

    def total(self, name: str) -> int:
        return sum(getattr(g, name) for g in self.groups)


@attrs.frozen
class RehearsalReport:
    """The outcome of a rehearsal: per step, and in total."""

    path: str
    transport: str
    from_release: str
    to_release: str
    steps: tuple[StepOutcome, ...]
    events: tuple[str, ...] = ()

    @property
    def lost(self) -> int:
        return sum(s.total("lost") for s in self.steps)

    @property
    def rejected(self) -> int:
        return sum(s.total("rejected") for s in self.steps)

    @property
    def duplicated(self) -> int:
        return sum(s.total("duplicated") for s in self.steps)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.rejected == 0

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "transport": self.transport,
            "from_release": self.from_release,
            "to_release": self.to_release,
            "lost": self.lost,
            "rejected": self.rejected,
            "duplicated": self.duplicated,
            "ok": self.ok,
            "events": list(self.events),
            "steps": [
                {"number": s.number, "label": s.label, "groups": [attrs.asdict(g) for g in s.groups]}
                for s in self.steps
            ],
        }

    def format_table(self) -> str:
        header = ("step", "group", "produced", "consumed", "lost", "duplicated", "rejected")
        rows = [header]
        for s in self.steps:
            for g in s.groups:
                rows.append((f"{s.number}. {s.label}", g.group, g.produced, g.consumed, g.lost, g.duplicated, g.rejected))
        widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
        lines = ["  ".join(str(c).ljust(w) if i < 2 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        verdict = "nothing lost" if self.ok else "FAILED"
        lines.append("")
        lines.append(
            f"{self.path} path {self.from_release} -> {self.to_release} on {self.transport}: "
            f"{self.lost} lost, {self.rejected} rejected, {self.duplicated} duplicates removed: {verdict}"
        )
        return "\n".join(lines)


def _ids_in(payload: Any) -> list[str]:
    """Message ids of the wire dicts in a payload, whatever its shape."""
    try:
        items, _prefix = payload_items(payload)
    except DecodeError:
        return []
    return [item["message_id"] for item in items if isinstance(item, dict) and isinstance(item.get("message_id"), str)]


@attrs.frozen
class _Deployment:
    """What a running service instance needs from the rehearsal, and nothing more."""

    transport: Any
    bus: RehearsalBus
    secret: str
    ledger: Ledger
    #: Sample model version each generation decodes with, and pins its output to (None: unpinned).
    decode_version: dict[Generation, str]
    pin_version: dict[Generation, str | None]
    strict_fields: tuple[str, ...]
    current_step: Callable[[], int]
    note: Callable[[str], None]


class _Member:
    """One running instance of a consuming service."""

    def __init__(self, deployment: _Deployment, service: str, generation: Generation) -> None:
        self.deployment = d = deployment
        self.service = service
        self.generation = generation
        self.group = GROUP_OF_SERVICE[service]
        version = d.decode_version[generation]
        policy = ConsumerPolicy(
            on_bad_input="dead-letter", max_tries=3, signatures="verify", secret=d.secret, dead_letter=self._dead
        )
        bus = d.bus
        if service == NOTIFICATION_AGENT.name:
            self.samples_out = Publisher(d.transport, bus.samples, f"telemetry.publisher.{generation}",
                                         secret=d.secret, pin_version=d.pin_version[generation])
            self.events_out = Publisher(d.transport, bus.events, f"telemetry.publisher.{generation}", secret=d.secret)
            endpoints = [CompatEndpoint(bus.polling, self._notification_agent, policy=policy, version=version)]
        else:
            endpoints = [
                CompatEndpoint(bus.samples, self._collect("sample"), policy=policy, version=version),
                CompatEndpoint(bus.events, self._collect("event"), policy=policy),
            ]
        self.endpoints = endpoints
        self.listener = compat_listener(d.transport, endpoints, pool=bus.pool(self.group))
        self.listener.start()

    def stop(self) -> None:
        self.listener.stop()
        self.listener.wait()

    def _check_strict(self, items: list) -> None:
        if self.generation is Generation.OLD:
            for item in items:
                for key in self.deployment.strict_fields:
                    if key not in item.received:
                        raise KeyError(key)  # what a consumer indexing dicts by hand does

    def _notification_agent(self, items: list, delivery: Any) -> None:
        self._check_strict(items)
        d = self.deployment
        d.ledger.record_delivered(self.group, "sample", [s.message_id for s in items])
        self.samples_out.publish_wire([s.to_wire(version=d.pin_version[self.generation]) for s in items])
        event = Event(
            message_id=f"ev-{delivery.message_id}", event_type="telemetry.polling.batch",
            generated="2026-11-20T00:00:00", traits=[Trait("samples", 2, len(items))],
        )
        d.ledger.record_produced("event", [event.message_id], d.current_step())
        self.events_out.publish([event])

    def _collect(self, kind: str) -> Callable[[list, Any], None]:
        def handle(items: list, _delivery: Any) -> None:
            if kind == "sample":
                self._check_strict(items)
            self.deployment.ledger.record_delivered(self.group, kind, [i.message_id for i in items])

        return handle

    def _dead(self, dead: DeadLetter) -> None:
        d = self.deployment
        kind = "event" if dead.event_type == d.bus.events.event_type else "sample"
        ids = _ids_in(dead.raw)
        d.ledger.record_rejected(self.group, kind, ids)
        d.note(f"{self.service} ({self.generation}) rejected {len(ids) or 1} {kind}(s): {dead.detail}")


class Rehearsal:
    """Rehearse one upgrade path with traffic flowing; see the module doc.

    :param transport_url: ``fake://`` (in-process) or a ``rabbit://`` URL.
    :param samples: about how many samples the polling agents produce in all.
    :param strict_fields: keys that old consumers require (as Ceilometer
        21.0.0 required ``user_name``); payloads without them are lost.
    :param pin_new_producers: new producers emit only the old release's keys.
    :param hooks: ``{step number: callable(rehearsal)}`` run in the middle of
        that step (a broker restart, a consumer crash).
    :param dwell: at most this many seconds of running time after each burst
        of traffic, so the running consumers take their share before the
        next change (less when every group has caught up).
    """

    def __init__(
        self,
        *,
        path: str = "full",
        transport_url: str = "fake://",
        samples: int = 500,
        from_release: str = DEFAULT_FROM_RELEASE,
        to_release: str = DEFAULT_TO_RELEASE,
        secret: str = DEFAULT_SECRET,
        strict_fields: Iterable[str] = (),
        pin_new_producers: bool = False,
        hooks: dict[int, Callable[["Rehearsal"], None]] | None = None,
        progress: Callable[[str], None] | None = None,
        settle_timeout: float = 60.0,
        dwell: float = 3.0,
    ) -> None:
        if path not in PATHS:
            raise ValueError(f"unknown path {path!r} (known: {', '.join(PATHS)})")
        if samples < 1:
            raise ValueError("a rehearsal needs at least one sample")
        self.path = PATHS[path]
        self.transport_url = transport_url
        self.samples = samples
        self.from_release, self.to_release = from_release, to_release
        self.sample_version = {
            Generation.OLD: model_version(Sample, from_release),
            Generation.NEW: model_version(Sample, to_release),
        }
        self.secret = secret
        self.strict_fields = tuple(strict_fields)
        self.pin_new_producers = pin_new_producers
        self.hooks = hooks or {}
        self.progress = progress or (lambda line: None)
        self.settle_timeout = settle_timeout
        self.dwell = dwell
        self.run_id = uuid.uuid4().hex[:8]
        self.bus = RehearsalBus(transport_url, self.run_id)
        self.ledger = Ledger()
        self.current_step = 0
        self.notes: list[str] = []
        self._notes_lock = threading.Lock()
        self._sequence = itertools.count()
        self.transport: Any = None
        self.members: dict[tuple[str, Generation], list[_Member]] = collections.defaultdict(list)
        self.polling_agents: dict[Generation, Publisher] = {}

    # --- the deployment --------------------------------------------------

    def pin(self, generation: Generation) -> str | None:
        """The model version *generation*'s producers are pinned to, or None."""
        if generation is Generation.OLD or self.pin_new_producers:
            return self.sample_version[Generation.OLD]
        return None

    def _deployment(self) -> _Deployment:
        return _Deployment(
            transport=self.transport, bus=self.bus, secret=self.secret, ledger=self.ledger,
            decode_version=dict(self.sample_version), pin_version={g: self.pin(g) for g in Generation},
            strict_fields=self.strict_fields, current_step=lambda: self.current_step, note=self.note,
        )

    def note(self, text: str) -> None:
        with self._notes_lock:
            if text not in self.notes:
                self.notes.append(text)
                self.progress(f"  ! {text}")

    def start(self, service: str, generation: Generation) -> None:
        if service == POLLING_AGENT.name:
            self.polling_agents[generation] = Publisher(
                self.transport, self.bus.polling, f"ceilometer.polling.{generation}",
                secret=self.secret, pin_version=self.pin(generation),
            )
        elif service in GROUP_OF_SERVICE:
            self.members[(service, generation)].append(_Member(self._deployment(), service, generation))

    def stop(self, service: str, generation: Generation) -> None:
        if service == POLLING_AGENT.name:
            self.polling_agents.pop(generation, None)
        for member in self.members.pop((service, generation), []):
            member.stop()

    def flow(self, count: int) -> None:
        """Produce *count* samples, then let the deployment run for a while."""
        self.produce(count)
        deadline = time.monotonic() + self.dwell
        while time.monotonic() < deadline and not self._caught_up():
            time.sleep(0.02)

    def _caught_up(self) -> bool:
        return all(self.ledger.outstanding(g) == 0 for g in GROUPS)

    def produce(self, count: int) -> None:
        """Each running polling agent publishes its share of *count* samples."""
        agents = list(self.polling_agents.items())
        for index, (generation, publisher) in enumerate(agents):
            share = count // len(agents) + (1 if index < count % len(agents) else 0)
            samples = [self._sample(generation) for _ in range(share)]
            self.ledger.record_produced("sample", [s.message_id for s in samples], self.current_step)
            publisher.publish(samples)

    def _sample(self, generation: Generation) -> Sample:
        n = next(self._sequence)
        return Sample(
            counter_name="cpu", counter_type="cumulative", counter_unit="ns", counter_volume=n,
            user_id="u", user_name="alice", project_id="p", project_name="demo",
            resource_id=f"vm-{n % 7}", timestamp="2026-11-20T00:00:00", monotonic_time=float(n),
            message_id=f"{self.run_id}-{generation}-{n}",
        )

    # --- the walk ----------------------------------------------------------

    def run(self) -> RehearsalReport:
        """Walk the plan with traffic flowing; return the :class:`RehearsalReport`."""
        self.transport = self.bus.transport()
        try:
            for service in (COLLECTOR.name, NOTIFICATION_AGENT.name, POLLING_AGENT.name):
                self.start(service, Generation.OLD)
            steps = self.path.steps
            per_phase = max(1, self.samples // (2 * len(steps)))
            for number, step in enumerate(steps, 1):
                self.current_step = number
                self.progress(f"[{number}/{len(steps)}] {step.service.name}: {step.action.value}")
                self.flow(per_phase)
                self._apply(step)
                hook = self.hooks.get(number)
                if hook is not None:
                    hook(self)
                self.flow(per_phase)
                self.progress(f"      produced so far {len(self.ledger.produced)}, waiting on "
                              + ", ".join(f"{g} {self.ledger.missing(g)}" for g in GROUPS))
            self._settle()
        finally:
            for key in list(self.members):
                self.stop(*key)
            self.transport.cleanup()
            try:
                self.bus.remove()
            except Exception as exc:  # leave the report intact; say what is left behind
                self.note(f"could not remove the rehearsal's queues ({exc}): {', '.join(self.bus.queues())}")
        return self._report()

    def _apply(self, step: Step) -> None:
        service = step.service.name
        if step.action is Action.REPLACE:
            self.stop(service, Generation.OLD)
            self.flow(1)  # traffic while the service is down everywhere
            self.start(service, Generation.NEW)
        elif step.action is Action.ADD_ALONGSIDE:
            self.start(service, Generation.NEW)
            self.flow(1)  # old and new side by side
            self.stop(service, Generation.OLD)  # the step's follow-up

    def _settle(self) -> None:
        deadline = time.monotonic() + self.settle_timeout
        while not self._caught_up():
            if time.monotonic() > deadline:
                self.note(f"gave up waiting after {self.settle_timeout:.0f}s")
                return
            time.sleep(0.05)
        time.sleep(0.2)  # late duplicates

    def _report(self) -> RehearsalReport:
        ledger = self.ledger
        outcomes = []
        for number, step in enumerate(self.path.steps, 1):
            groups = []
            for group, kinds in GROUPS.items():
                keys = [k for k, s in ledger.produced.items() if s == number and k[0] in kinds]
                delivered = ledger.delivered[group]
                consumed = sum(1 for k in keys if delivered[k] > 0)
                groups.append(GroupOutcome(
                    group=group, produced=len(keys), consumed=consumed, lost=len(keys) - consumed,
                    duplicated=sum(max(0, delivered[k] - 1) for k in keys),
                    rejected=sum(1 for k in keys if k in ledger.rejected[group]),
                ))
            outcomes.append(StepOutcome(number, f"{step.service.name}: {step.action.value}", tuple(groups)))
        return RehearsalReport(self.path.name, self.transport_url.split("@")[-1], self.from_release, self.to_release,
                      tuple(outcomes), tuple(self.notes))

"""A live-traffic rehearsal of an upgrade path.

The rehearsal runs the spec's services in-process at an old and a new
release: polling agents publish samples, notification agents consume them
and publish samples and events onward, collectors consume those. It walks
the plan step by step (stop an old service, start its new release) while
traffic keeps flowing, then checks that every sample and event produced was
consumed and decoded by each consumer group, duplicates from at-least-once
delivery removed by message id.

Items are counted one by one and by kind: the polling agents produce
exactly ``samples`` samples over the walk (fault hooks may produce more,
counted apart), the notification agents one event per batch they receive.
Each :class:`GroupOutcome` is one consumer group's count of one kind.

>>> report = Rehearsal(path="partial", samples=40).run()
>>> report.lost, report.rejected, report.steps[-1].label, report.samples_produced
(0, 0, 'api: replace', 40)
"""

from __future__ import annotations

import collections
import enum
import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from ceilocompat._consumers import CompatEndpoint, ConsumerPolicy, DeadLetter, RecentMessageIds, compat_listener
from ceilocompat._errors import DecodeError
from ceilocompat._payload import payload_items
from ceilocompat._publisher import Publisher
from ceilocompat._sending import PublishFailed
from ceilocompat._signing import DEFAULT_SECRET
from ceilocompat.models import Event, Sample, Trait, model_version
from ceilocompat.releases import known_release
from ceilocompat.upgrade.plan import PATHS, Action, Step
from ceilocompat.upgrade.rehearsal_bus import GROUPS, RehearsalBus
from ceilocompat.upgrade.services import COLLECTOR, NOTIFICATION_AGENT, POLLING_AGENT

__all__ = [
    "BROKER_ERRORS", "DEFAULT_CONNECT_TIMEOUT", "DEFAULT_FROM_RELEASE", "DEFAULT_TO_RELEASE", "Generation", "Ledger",
    "Rehearsal", "RehearsalReport",
]

GROUP_OF_SERVICE = {NOTIFICATION_AGENT.name: "notification-agent", COLLECTOR.name: "collector"}


class Generation(str, enum.Enum):
    """Which release an instance of a service runs: the one upgraded from, or to."""

    OLD = "old"
    NEW = "new"

    def __str__(self) -> str:
        return self.value


DEFAULT_FROM_RELEASE = "18.0.0"
DEFAULT_TO_RELEASE = "27.0.0"
#: Seconds to wait for each broker host before a rehearsal gives up on it.
DEFAULT_CONNECT_TIMEOUT = 10.0


class Ledger:
    """What was produced, in which step, and what each group received.

    Keys are ``(kind, message_id)``; ``extra`` holds the samples fault hooks
    produced on top of the ones asked for.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.produced: dict[tuple[str, str], int] = {}
        self.extra: set[tuple[str, str]] = set()
        self.delivered: dict[str, collections.Counter] = {g: collections.Counter() for g in GROUPS}
        self.rejected: dict[str, set] = {g: set() for g in GROUPS}
        #: Items produced that oslo.messaging could not send: lost on the producer side.
        self.unsent: set[tuple[str, str]] = set()

    def record_produced(self, kind: str, ids: Iterable[str], step: int, *, extra: bool = False) -> None:
        with self._lock:
            for message_id in ids:
                self.produced.setdefault((kind, message_id), step)
                if extra:
                    self.extra.add((kind, message_id))

    def count(self, kind: str, *, extra: bool | None = None) -> int:
        """Items of *kind* produced so far: all of them, or only the extra (or only the asked-for) ones."""
        with self._lock:
            return sum(1 for key in self.produced if key[0] == kind and extra in (None, key in self.extra))

    def record_unsent(self, kind: str, ids: Iterable[str]) -> None:
        with self._lock:
            self.unsent.update((kind, i) for i in ids)

    def record_delivered(self, group: str, kind: str, ids: Iterable[str]) -> None:
        with self._lock:
            self.delivered[group].update((kind, i) for i in ids)

    def record_rejected(self, group: str, kind: str, ids: Iterable[str]) -> None:
        with self._lock:
            self.rejected[group].update((kind, i) for i in ids)

    def missing(self, group: str, kind: str) -> int:
        """Items of *kind* the group should have received and has not, yet."""
        with self._lock:
            return sum(1 for key in self.produced if key[0] == kind and key not in self.delivered[group])

    def outstanding(self, group: str) -> int:
        """Missing items that no group has rejected either: still travelling."""
        kinds = GROUPS[group]
        with self._lock:
            rejected = set().union(*self.rejected.values())
            return sum(
                1 for key in self.produced
                if key[0] in kinds and key not in self.delivered[group] and key not in rejected
                and key not in self.unsent
            )


@attrs.frozen
class GroupOutcome:
    """One consumer group's count of one kind of item (``sample`` or ``event``) in one step's traffic."""

    group: str
    kind: str
    produced: int
    consumed: int
    lost: int
    duplicated: int
    rejected: int
    #: Of the lost, those never on the bus: their publish failed.
    unsent: int = 0


@attrs.frozen
class StepOutcome:
    number: int
    label: str
    groups: tuple[GroupOutcome, ...]

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
    #: Samples the polling agents produced (as many as asked), those fault hooks produced
    #: besides, and the events the notification agents produced.
    samples_produced: int = 0
    extra_samples: int = 0
    events_produced: int = 0
    #: What ended the walk early (a broker error), or None when every step ran.
    error: str | None = None
    #: The kind of queues on RabbitMQ: quorum, classic durable or classic transient ("" on fake://).
    queues: str = ""
    #: Rehearsal queues left on the broker after clean-up, with why.
    left_behind: tuple[str, ...] = ()
    #: Redeliveries the consumers recognised by message id and acknowledged without handling twice.
    deduplicated: int = 0

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
    def unsent(self) -> int:
        return sum(s.total("unsent") for s in self.steps)

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.rejected == 0 and self.error is None

    #: Where the notification agents' events came from, said after their count.
    _events_from = ""

    def summary(self) -> str:
        """What was produced and the verdict, in two lines."""
        verdict = "nothing lost" if self.ok else "FAILED"
        extra = f" (+{self.extra_samples} during faults)" if self.extra_samples else ""
        unsent = f" ({self.unsent} of them never sent: publish failed)" if self.unsent else ""
        queues = f" ({self.queues} queues)" if self.queues else ""
        aborted = f"\nstopped early: {self.error}" if self.error else ""
        dropped = f" ({self.deduplicated} redeliveries dropped by message id)" if self.deduplicated else ""
        return (
            f"produced: {self.samples_produced} samples by the polling agents{extra}, "
            f"{self.events_produced} events by the notification agents{self._events_from}{aborted}\n"
            f"{self.path} path {self.from_release} -> {self.to_release} on {self.transport}{queues}: "
            f"{self.lost} lost{unsent}, {self.rejected} rejected, "
            f"{self.duplicated} duplicates removed{dropped}: {verdict}"
        )

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "transport": self.transport,
            "from_release": self.from_release,
            "to_release": self.to_release,
            "queues": self.queues,
            "lost": self.lost,
            "unsent": self.unsent,
            "rejected": self.rejected,
            "duplicated": self.duplicated,
            "deduplicated": self.deduplicated,
            "ok": self.ok,
            "error": self.error,
            "left_behind": list(self.left_behind),
            "units": "each count is of items of one kind: samples or events",
            "produced": {"samples": self.samples_produced, "samples_by_faults": self.extra_samples,
                         "events": self.events_produced},
            "events": list(self.events),
            "steps": [
                {"number": s.number, "label": s.label, "groups": [attrs.asdict(g) for g in s.groups]}
                for s in self.steps
            ],
        }


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
    #: Message ids each consumer group has taken, shared by its members, so redeliveries are dropped.
    seen: dict[str, RecentMessageIds]


class _Member:
    """One running instance of a consuming service."""

    def __init__(self, deployment: _Deployment, service: str, generation: Generation) -> None:
        self.deployment = d = deployment
        self.service = service
        self.generation = generation
        self.group = GROUP_OF_SERVICE[service]
        version = d.decode_version[generation]
        policy = ConsumerPolicy(
            on_bad_input="dead-letter", max_tries=3, signatures="verify", secret=d.secret, dead_letter=self._dead,
            deduplicate=d.seen[self.group],
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

    @property
    def duplicates(self) -> int:
        """Redeliveries this member's endpoints acknowledged without handling them again."""
        return sum(e.counters.duplicates for e in self.endpoints)

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
        event = Event(
            message_id=f"ev-{delivery.message_id}", event_type="telemetry.polling.batch",
            generated="2026-11-20T00:00:00", traits=(Trait("samples", 2, len(items)),),
        )
        # The event is owed from the moment the batch is taken: a forward that blocks while the broker is
        # away (seconds, on a restart) keeps the rehearsal waiting for it rather than ending without it.
        d.ledger.record_produced("event", [event.message_id], d.current_step())
        self.samples_out.publish_wire([s.to_wire(version=d.pin_version[self.generation]) for s in items])
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
    :param samples: how many samples the polling agents produce over the walk
        (fault hooks that call :meth:`produce` add theirs, counted apart).
    :param strict_fields: keys that old consumers require (as Ceilometer
        21.0.0 required ``user_name``); payloads without them are lost.
    :param pin_new_producers: new producers emit only the old release's keys.
    :param hooks: ``{step number: callable(rehearsal)}`` run in the middle of
        that step (a broker restart, a consumer crash).
    :param dwell: at most this many seconds of running time after each burst
        of traffic, so the running consumers take their share before the
        next change (less when every group has caught up).
    :param connect_timeout: seconds to wait for each broker host of a
        ``rabbit://`` URL before giving up (ConnectionError) instead of
        retrying forever.
    :param config_files: oslo.config files every transport reads
        (``[oslo_messaging_rabbit]`` quorum queues, heartbeats, TLS...).
    :param quorum_queues: declare quorum queues whatever the files say.

    A publish oslo.messaging could not send is counted as lost on the
    producer side (``unsent``); a broker error that stops the walk ends it
    with :attr:`RehearsalReport.error` set, and clean-up still runs.
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
        hooks: dict[int, Callable[[Rehearsal], None]] | None = None,
        progress: Callable[[str], None] | None = None,
        settle_timeout: float = 60.0,
        dwell: float = 3.0,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        config_files: Iterable[str] = (),
        quorum_queues: bool | None = None,
    ) -> None:
        if path not in PATHS:
            raise ValueError(f"unknown path {path!r} (known: {', '.join(PATHS)})")
        if samples < 1:
            raise ValueError("a rehearsal needs at least one sample")
        if not known_release(from_release) < known_release(to_release):
            raise ValueError(f"cannot rehearse an upgrade from {from_release} to {to_release}: "
                             "the release upgraded to must be newer than the one upgraded from")
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
        self.connect_timeout = connect_timeout
        self.run_id = uuid.uuid4().hex[:8]
        self.config_files = tuple(str(f) for f in config_files)
        self.quorum_queues = quorum_queues
        self.bus = self._bus()
        self.error: str | None = None
        self.deduplicated = 0
        self.left_behind: list[str] = []
        self._seen = {group: RecentMessageIds() for group in GROUPS}
        self.ledger = Ledger()
        self.current_step = 0
        self.notes: list[str] = []
        self._notes_lock = threading.Lock()
        self._sequence = itertools.count()
        self.transport: Any = None
        self.members: dict[tuple[str, Generation], list[_Member]] = collections.defaultdict(list)
        self.polling_agents: dict[Generation, Publisher] = {}

    # --- the deployment --------------------------------------------------

    def _bus(self) -> RehearsalBus:
        return RehearsalBus(self.transport_url, self.run_id, self.config_files, self.quorum_queues)

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
            seen=self._seen,
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
            try:
                member.stop()
            finally:
                self.deduplicated += member.duplicates

    def flow(self, count: int) -> None:
        """Produce *count* of the samples asked for, then let the deployment run for a while."""
        self._produce(count, extra=False)
        deadline = time.monotonic() + self.dwell
        while time.monotonic() < deadline and not self._caught_up():
            time.sleep(0.02)

    def _caught_up(self) -> bool:
        return all(self.ledger.outstanding(g) == 0 for g in GROUPS)

    def produce(self, count: int) -> None:
        """Each running polling agent publishes its share of *count* samples beyond those asked for (a fault's)."""
        self._produce(count, extra=True)

    def _produce(self, count: int, *, extra: bool) -> None:
        agents = list(self.polling_agents.items())
        for index, (generation, publisher) in enumerate(agents):
            share = count // len(agents) + (1 if index < count % len(agents) else 0)
            samples = [self._sample(generation) for _ in range(share)]
            self.ledger.record_produced("sample", [str(s.message_id) for s in samples], self.current_step, extra=extra)
            try:
                publisher.publish(samples)
            except PublishFailed as exc:
                self.ledger.record_unsent("sample", [w["message_id"] for w in exc.unsent])
                self.note(f"polling agent ({generation}) could not publish {len(exc.unsent)} samples: {exc}")
                # A broker gone for good ends the walk here; a cluster that lost a node goes on.
                self.bus.check_reachable(self.connect_timeout, every_host=False)

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
        """Walk the plan with traffic flowing; return the :class:`RehearsalReport`.

        Raises ValueError for a transport URL that is not one, ConnectionError
        for a broker that cannot be reached, before anything starts.
        """
        self.bus.parsed_url()
        self.bus.check_reachable(self.connect_timeout)
        self.transport = self.bus.transport()
        try:
            self._prepare()
            self._walk()
        except BROKER_ERRORS as exc:
            self.error = _broker_error(exc, self.current_step)
            self.note(self.error)
        finally:
            self._stop_everything()
            self.transport.cleanup()
            self.left_behind = self.bus.remove()
            for left in self.left_behind:
                self.note(f"could not remove from the broker: {left}")
        return self._report()

    def _walk(self) -> None:
        for service in (COLLECTOR.name, NOTIFICATION_AGENT.name, POLLING_AGENT.name):
            self.start(service, Generation.OLD)
        steps = self.path.steps
        shares = iter(_shares(self.samples, [_has_transition(step) for step in steps]))
        for number, step in enumerate(steps, 1):
            self.current_step = number
            self.progress(f"[{number}/{len(steps)}] {step.label}")
            self.flow(next(shares))
            self._apply(step, next(shares) if _has_transition(step) else 0)
            hook = self.hooks.get(number)
            if hook is not None:
                hook(self)
            self.flow(next(shares))
            self.progress(f"      {self._progress_line()}")
        self._settle()

    def _prepare(self) -> None:
        """What must run before the first service starts (nothing here; see subclasses)."""

    def _stop_everything(self) -> None:
        # Upstream first: what a notification agent forwards as it stops still finds the collectors.
        for key in sorted(self.members, key=lambda key: key[0] != NOTIFICATION_AGENT.name):
            try:
                self.stop(*key)
            except BROKER_ERRORS as exc:  # a listener whose broker went away still has to let go
                self.note(f"stopping {key[0]} ({key[1]}): {_broker_error(exc, self.current_step)}")

    def _progress_line(self) -> str:
        extra = self.ledger.count("sample", extra=True)
        waiting = "; ".join(
            f"{group} " + " and ".join(f"{self.ledger.missing(group, kind)} {kind}s" for kind in kinds)
            for group, kinds in GROUPS.items()
        )
        return (f"samples produced so far: {self.ledger.count('sample', extra=False)} of {self.samples}"
                + (f" (and {extra} during faults)" if extra else "") + f"; waiting on {waiting}")

    def _apply(self, step: Step, count: int) -> None:
        """Upgrade the step's service; *count* samples flow in between (see :func:`_has_transition`)."""
        service = step.service.name
        if step.action is Action.REPLACE:
            self.stop(service, Generation.OLD)
            self.flow(count)  # traffic while the service is down everywhere
            self.start(service, Generation.NEW)
        elif step.action is Action.ADD_ALONGSIDE:
            self.start(service, Generation.NEW)
            self.flow(count)  # old and new side by side
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
                for kind in kinds:
                    keys = [k for k, s in ledger.produced.items() if s == number and k[0] == kind]
                    delivered = ledger.delivered[group]
                    consumed = sum(1 for k in keys if delivered[k] > 0)
                    groups.append(GroupOutcome(
                        group=group, kind=kind, produced=len(keys), consumed=consumed, lost=len(keys) - consumed,
                        duplicated=sum(max(0, delivered[k] - 1) for k in keys),
                        rejected=sum(1 for k in keys if k in ledger.rejected[group]),
                        unsent=sum(1 for k in keys if k in ledger.unsent and delivered[k] == 0),
                    ))
            outcomes.append(StepOutcome(number, step.label, tuple(groups)))
        return RehearsalReport(
            self.path.name, self.bus.describe(), self.from_release, self.to_release,
            tuple(outcomes), tuple(self.notes), samples_produced=ledger.count("sample", extra=False),
            extra_samples=ledger.count("sample", extra=True), events_produced=ledger.count("event"),
            error=self.error, queues=self.bus.queue_kind if self.bus.is_rabbit else "",
            left_behind=tuple(self.left_behind), deduplicated=self.deduplicated,
        )


def _broker_errors() -> tuple[type[Exception], ...]:
    import amqp
    import kombu.exceptions

    from ceilocompat._messaging import oslo_messaging

    return (oslo_messaging.MessagingException, PublishFailed, amqp.exceptions.AMQPError,
            kombu.exceptions.KombuError, OSError)


#: What a broker that fails mid-walk raises: oslo.messaging's, kombu's and py-amqp's errors, sockets'.
BROKER_ERRORS = _broker_errors()


def _broker_error(exc: BaseException, step: int) -> str:
    """One line saying which broker error stopped the walk, and in which step."""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return f"broker error in step {step}: {type(exc).__name__}: {detail[:300]}"


def _has_transition(step: Step) -> bool:
    """Whether samples flow in the middle of *step*: between stopping and starting, or side by side.

    Not while the polling agents themselves are replaced: then nothing polls.

    >>> [_has_transition(s) for s in PATHS["full"].steps]
    [False, True, True, False, True]
    """
    if step.action is Action.REPLACE:
        return step.service is not POLLING_AGENT
    return step.action is Action.ADD_ALONGSIDE


def _shares(total: int, transitions: list[bool]) -> list[int]:
    """*total* samples split over the phases of the steps, in order: before, transition (if any), after.

    Each transition carries one sample, the rest is split evenly, so the
    shares add up to *total*.

    >>> _shares(500, [False, True, True])
    [83, 83, 83, 1, 83, 83, 1, 83]
    >>> sum(_shares(7, [True] * 5))
    7
    """
    singles = min(total, sum(transitions))
    whole, rest = divmod(total - singles, 2 * len(transitions))
    even = iter([whole + (1 if i < rest else 0) for i in range(2 * len(transitions))])
    out = []
    for transition in transitions:
        out.append(next(even))
        if transition:
            out.append(1 if singles > 0 else 0)
            singles -= 1
        out.append(next(even))
    return out

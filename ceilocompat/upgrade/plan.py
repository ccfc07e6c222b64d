"""The spec's upgrade procedures as data.

The rolling-upgrades spec names five services (database, collector,
notification agent, polling agent, api) and two upgrade paths, *full* (stop
every old instance of a service, then start the new release) and *partial*
(start the new release alongside the old one). This module holds them as
data: :data:`SERVICES`, :data:`PATHS` (each an :class:`UpgradePath` of
:class:`Step` objects with preconditions, the spec's conditions and what to
verify afterwards) and :data:`RULES`, the conditions an inventory of
running services is checked against (:mod:`ceilocompat.upgrade.inventory`).
Nothing here runs anything; printing, checking and rehearsing a plan all
read the same data.

>>> [step.service.name for step in PATHS["full"].steps]
['database', 'collector', 'notification-agent', 'polling-agent', 'api']
>>> step = PATHS["partial"].step_for("notification-agent")
>>> step.action.value, [c.rule for c in step.conditions]
('add-alongside', ['notification-pipeline-mismatch', 'partition-queues', 'unpinned-producer', 'strict-consumer'])
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from ceilocompat.routing import EVENT_ROUTE, POLLING_ROUTE, SAMPLE_ROUTE, Route

__all__ = [
    "API",
    "COLLECTOR",
    "DATABASE",
    "NOTIFICATION_AGENT",
    "POLLING_AGENT",
    "Action",
    "Condition",
    "PATHS",
    "RULES",
    "Rule",
    "SERVICES",
    "Service",
    "Step",
    "UpgradePath",
    "consumers_of",
    "format_path",
    "path_as_dict",
    "service_named",
]


@dataclasses.dataclass(frozen=True)
class Service:
    """One of the spec's services and what it reads from and writes to the bus.

    ``consumes`` and ``produces`` are :class:`~ceilocompat.routing.Route`
    objects: a service consumes what another produces when they share a
    route. ``aliases`` are other spellings accepted in inventories.

    >>> service_named("ceilometer-agent-notification").title
    'notification agent'
    >>> [c.name for c in consumers_of(service_named("polling-agent"))]
    ['notification-agent']
    """

    name: str
    title: str
    description: str
    consumes: tuple[Route, ...] = ()
    produces: tuple[Route, ...] = ()
    aliases: tuple[str, ...] = ()


DATABASE = Service(
    "database", "database",
    "Ceilometer's storage schema; upgraded in place with 'never remove, never alter, only add'.",
    aliases=("db", "storage", "ceilometer-dbsync", "ceilometer-upgrade"),
)
COLLECTOR = Service(
    "collector", "collector",
    "Reads metering and event from the notification agents (Ceilometer's collector to 9.x; "
    "today any consumer of those queues, often a third party).",
    consumes=(SAMPLE_ROUTE, EVENT_ROUTE),
    aliases=("ceilometer-collector",),
)
NOTIFICATION_AGENT = Service(
    "notification-agent", "notification agent",
    "Reads polling agents' samples and other services' notifications, runs the pipelines "
    "and publishes samples and events.",
    consumes=(POLLING_ROUTE,),
    produces=(SAMPLE_ROUTE, EVENT_ROUTE),
    aliases=("ceilometer-agent-notification", "notification"),
)
POLLING_AGENT = Service(
    "polling-agent", "polling agent",
    "Polls resources and sends the samples to the notification agents.",
    produces=(POLLING_ROUTE,),
    aliases=("ceilometer-polling", "ceilometer-agent-central", "ceilometer-agent-compute", "polling"),
)
API = Service(
    "api", "api",
    "Serves stored data over REST (deprecated in 8.0.0, removed in 10.0.0).",
    aliases=("ceilometer-api",),
)

#: The spec's services, in the order it advises upgrading them.
SERVICES: tuple[Service, ...] = (DATABASE, COLLECTOR, NOTIFICATION_AGENT, POLLING_AGENT, API)

_BY_NAME = {spelling: s for s in SERVICES for spelling in (s.name, *s.aliases)}


def _normal(name: str) -> str:
    return "-".join(name.strip().lower().replace("_", " ").replace("-", " ").split())


def service_named(name: str) -> Service:
    """The service called *name* (case, ``_``, ``-`` and spaces are alike).

    >>> service_named("Notification_Agent") is NOTIFICATION_AGENT
    True
    >>> service_named("scheduler")
    Traceback (most recent call last):
    ...
    KeyError: "unknown service 'scheduler' (known: database, collector, notification-agent, polling-agent, api)"
    """
    try:
        return _BY_NAME[_normal(name)]
    except KeyError:
        known = ", ".join(s.name for s in SERVICES)
        raise KeyError(f"unknown service {name!r} (known: {known})") from None


def consumers_of(producer: Service) -> tuple[Service, ...]:
    """The services that read a route *producer* writes."""
    return tuple(s for s in SERVICES if set(s.consumes) & set(producer.produces))


class Action(str, enum.Enum):
    """What a step does to the service's instances."""

    #: Upgrade in place (the database schema).
    MIGRATE = "migrate"
    #: Stop every old instance, then start the new release.
    REPLACE = "replace"
    #: Start the new release next to the old one; old instances retire later.
    ADD_ALONGSIDE = "add-alongside"

    def __str__(self) -> str:
        return self.value


_ACTION_TEXT = {
    Action.MIGRATE: "upgrade in place",
    Action.REPLACE: "stop every old instance, then start the new release",
    Action.ADD_ALONGSIDE: "start the new release alongside the old one",
}


@dataclasses.dataclass(frozen=True)
class Rule:
    """A condition an inventory of running services must meet.

    ``source`` says where the rule comes from: ``spec`` (the rolling-upgrades
    spec itself), ``wire`` (what Ceilometer's history shows breaks) or
    ``ceilocompat`` (this library's additive-only contract). A path checks
    the rules its steps' conditions name (:attr:`UpgradePath.rules`).
    """

    id: str
    title: str
    source: str
    fix: str


_RULES = (
    Rule("database-first", "the database is upgraded before every other service", "spec",
         "Upgrade the database first; stop or roll back services already newer than it."),
    Rule("notification-pipeline-mismatch",
         "notification agents of different releases with workload partitioning run the same pipelines",
         "spec",
         "Load the old agents with the new pipeline configuration first, or disable workload "
         "partitioning during the upgrade."),
    Rule("partition-queues",
         "notification agents with workload partitioning use queues the others read", "wire",
         "Upgrade these notification agents with the full path (stop every old agent first): "
         "10.0.0 renamed the partitioning queues and 7.0.0 began filtering them on publisher_id."),
    Rule("polling-group-shared",
         "a new polling agent with new pollsters is in its own partitioning group", "spec",
         "Give the new agent its own partitioning_group_prefix and only the new pollsters until "
         "every old agent is upgraded."),
    Rule("polling-pollsters-overlap",
         "a new polling agent in its own partitioning group polls only the new pollsters", "spec",
         "Remove the old agents' pollsters from the new agent until every old agent is upgraded; "
         "otherwise each is polled twice."),
    Rule("unpinned-producer",
         "producers send no keys the oldest consumer of their output does not know, unless pinned",
         "ceilocompat",
         "Upgrade the consumers first, or pin the producer to the consumers' model version."),
    Rule("strict-consumer",
         "no consumer that requires keys runs beside producers that do not send them", "wire",
         "Upgrade or unpin the producers first, or use a consumer release that reads the keys with "
         "defaults (for 21.x notification agents: 22.0.0 or later)."),
    Rule("api-single-version", "only one version of the api runs at a time", "spec",
         "Let the WSGI server run one api release: stop the old one before serving the new one."),
    Rule("full-path-mixed-releases", "in the full path no service runs two releases at once", "spec",
         "Stop every old instance of the service before starting the new release."),
    Rule("full-path-order",
         "in the full path collector, notification agent and polling agent are upgraded in that order",
         "spec",
         "Upgrade the earlier service of the path first."),
)

#: Every rule by id, in the order checks are reported.
RULES: dict[str, Rule] = {r.id: r for r in _RULES}


@dataclasses.dataclass(frozen=True)
class Condition:
    """A condition the spec attaches to a step, and the rule that checks it."""

    text: str
    rule: str | None = None

    def __post_init__(self) -> None:
        if self.rule is not None and self.rule not in RULES:
            raise ValueError(f"unknown rule {self.rule!r}")


@dataclasses.dataclass(frozen=True)
class Step:
    """One step of an upgrade path: one service, one action.

    ``any_time`` marks a step the path allows at any point (the api);
    ``follow_up`` is what to do once every old instance is gone.
    """

    service: Service
    action: Action
    summary: str
    preconditions: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = ()
    checks: tuple[str, ...] = ()
    follow_up: str = ""
    any_time: bool = False


@dataclasses.dataclass(frozen=True)
class UpgradePath:
    """An ordered list of steps, one per service."""

    name: str
    title: str
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()

    def step_for(self, service: str | Service) -> Step:
        """The step upgrading *service*.

        >>> PATHS["full"].step_for("api").any_time
        True
        """
        wanted = service if isinstance(service, Service) else service_named(service)
        for step in self.steps:
            if step.service is wanted:
                return step
        raise KeyError(f"the {self.name} path has no step for {wanted.name}")

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The rules the steps' conditions name, in :data:`RULES` order.

        >>> [r.id for r in PATHS["full"].rules]
        ['database-first', 'strict-consumer', 'full-path-mixed-releases', 'full-path-order']
        """
        named = {c.rule for step in self.steps for c in step.conditions}
        return tuple(r for r in RULES.values() if r.id in named)


_MANTRA = "never remove, never alter, only add"

_DATABASE_STEP = Step(
    DATABASE, Action.MIGRATE,
    f"Upgrade the database using the mantra '{_MANTRA}'.",
    preconditions=(
        "A backup of the database exists.",
        "The new schema only adds tables, columns and keys: nothing is removed or altered.",
    ),
    conditions=(Condition("The database is upgraded before any other service.", "database-first"),),
    checks=(
        "The schema migration finished without errors.",
        "Old services still write to and read from the database (no errors in their logs).",
    ),
)

_STOPPED_FIRST = Condition("No old instance runs once the new release has started.", "full-path-mixed-releases")
_IN_ORDER = Condition("The services before it in this path are upgraded.", "full-path-order")
_NOT_STRICT = Condition("No agent that requires keys the polling agents do not send yet runs (21.x reads "
                        "user_name and project_name strictly).", "strict-consumer")

_FULL_STEPS = (
    _DATABASE_STEP,
    Step(
        COLLECTOR, Action.REPLACE,
        "Take every collector offline, then start the new collector, which knows how to interpret "
        "the new payload and disregards historical attributes.",
        preconditions=("The database is upgraded.",),
        conditions=(
            Condition("The new collector decodes payloads of every older notification agent."),
            _STOPPED_FIRST,
        ),
        checks=(
            f"The {SAMPLE_ROUTE.routing_key} and {EVENT_ROUTE.routing_key} queues drain back to "
            "their usual depth (the backlog built while no collector ran is consumed).",
            "Samples and events from the old notification agents are decoded and stored; none is "
            "rejected or requeued, and signatures verify.",
        ),
    ),
    Step(
        NOTIFICATION_AGENT, Action.REPLACE,
        "Take every notification agent offline, then start the new release.",
        preconditions=("Every collector is upgraded.",),
        conditions=(_STOPPED_FIRST, _IN_ORDER, _NOT_STRICT),
        checks=(
            f"The {POLLING_ROUTE.routing_key} queue drains back to its usual depth.",
            "No ceilometer-pipe-* or ceilometer_ipc-* queue keeps growing (5.0.0 to 11.x with "
            "workload partitioning).",
            "The collectors decode the new agents' samples and events, new keys included.",
            "No KeyError, rejected message or requeue loop in the notification agents' logs.",
        ),
    ),
    Step(
        POLLING_AGENT, Action.REPLACE,
        "Take the polling agents offline on all hosts, then upgrade and start them.",
        preconditions=("Every notification agent is upgraded.", "Polling agents on all hosts are stopped."),
        conditions=(_STOPPED_FIRST, _IN_ORDER),
        checks=(
            "After starting the first agent, data is again being polled: its samples reach the "
            "notification agents and the collectors.",
            "Every partitioning group has members again and every pollster's meters arrive.",
        ),
    ),
    Step(
        API, Action.REPLACE,
        "Take the api offline and upgrade it; this can happen at any point after the database.",
        preconditions=("The database is upgraded.",),
        conditions=(_STOPPED_FIRST,),
        checks=("The api answers queries for data stored before and after the upgrade.",),
        any_time=True,
    ),
)

_PARTIAL_STEPS = (
    _DATABASE_STEP,
    Step(
        COLLECTOR, Action.ADD_ALONGSIDE,
        "Start the new collectors alongside the old ones; they must know how to interpret the new "
        "payload and disregard historical attributes.",
        preconditions=("The database is upgraded.",),
        conditions=(Condition("The new collectors decode payloads of every older notification agent."),),
        checks=(
            f"Old and new collectors share the {SAMPLE_ROUTE.routing_key} and "
            f"{EVENT_ROUTE.routing_key} queues and both store data.",
            "Nothing is rejected or requeued by either; signatures verify.",
        ),
        follow_up="Stop the old collectors.",
    ),
    Step(
        NOTIFICATION_AGENT, Action.ADD_ALONGSIDE,
        "Start the new notification agents alongside the old ones if no workload partitioning is "
        "enabled or they have the same pipeline configuration; otherwise load the old agents with "
        "the same pipeline configuration first.",
        preconditions=("The database is upgraded.",),
        conditions=(
            Condition("With workload_partitioning on, old and new agents have the same pipeline "
                      "configuration (compare fingerprints).", "notification-pipeline-mismatch"),
            Condition("Agents with workload partitioning use queues the others read (not pre-10.0.0 "
                      "with later, not 5.0.0-6.x with 7.0.0 or later).", "partition-queues"),
            Condition("New agents send no keys the oldest collector does not know, unless pinned.",
                      "unpinned-producer"),
            _NOT_STRICT,
        ),
        checks=(
            "`ceilocompat plan --fingerprint` prints the same fingerprints for every agent's "
            "pipeline.yaml and event_pipeline.yaml.",
            f"The {POLLING_ROUTE.routing_key} queue and partitioning queues do not grow.",
            "The collectors decode the output of old and new agents alike.",
        ),
        follow_up="Stop the old notification agents.",
    ),
    Step(
        POLLING_AGENT, Action.ADD_ALONGSIDE,
        "Start the new polling agents alongside the old ones only if no new pollsters were added; "
        "otherwise the new agents start in their own partitioning group and poll only the new "
        "pollsters.",
        preconditions=("The database is upgraded.",),
        conditions=(
            Condition("A new agent with new pollsters has its own partitioning_group_prefix.",
                      "polling-group-shared"),
            Condition("A new agent in its own partitioning group polls only the new pollsters.",
                      "polling-pollsters-overlap"),
            Condition("New agents send no keys the oldest notification agent does not know, unless pinned.",
                      "unpinned-producer"),
        ),
        checks=(
            "Samples of the old and the new pollsters arrive at the notification agents.",
            "No pollster is polled twice (each meter's resources appear once per interval).",
        ),
        follow_up="After all old agents are upgraded, change the polling agents to poll both the new "
                  "pollsters and the old ones.",
    ),
    Step(
        API, Action.REPLACE,
        "The api is managed by WSGI, so only one version of it ever runs.",
        preconditions=("The database is upgraded.",),
        conditions=(Condition("Only one api release runs at a time.", "api-single-version"),),
        checks=("The api answers queries for data stored before and after the upgrade.",),
        any_time=True,
    ),
)

#: The spec's two upgrade paths by name.
PATHS: dict[str, UpgradePath] = {
    "full": UpgradePath("full", "Full upgrade of services", _FULL_STEPS, notes=(
        "Each service is stopped everywhere before its new release starts.",
    )),
    "partial": UpgradePath("partial", "Partial upgrade of services", _PARTIAL_STEPS, notes=(
        "Upgrade ordering does not matter in the partial path; the only requirement is that the "
        "database be upgraded first. It is advisable to follow the order given: database, "
        "collector, notification agent, polling agent, api.",
    )),
}


def path_as_dict(path: UpgradePath) -> dict[str, Any]:
    """*path* as JSON-ready data (what ``plan --json`` prints).

    >>> d = path_as_dict(PATHS["full"])
    >>> d["steps"][3]["service"], d["steps"][3]["action"], len(d["steps"][3]["checks"])
    ('polling-agent', 'replace', 2)
    """
    return {
        "path": path.name,
        "title": path.title,
        "notes": list(path.notes),
        "rules": [r.id for r in path.rules],
        "steps": [
            {
                "number": number,
                "service": step.service.name,
                "action": step.action.value,
                "summary": step.summary,
                "preconditions": list(step.preconditions),
                "conditions": [{"text": c.text, "rule": c.rule} for c in step.conditions],
                "checks": list(step.checks),
                "follow_up": step.follow_up or None,
                "any_time": step.any_time,
            }
            for number, step in enumerate(path.steps, 1)
        ],
    }


def format_path(path: UpgradePath) -> str:
    """*path* as numbered text: each step, its conditions and what to verify.

    >>> print(format_path(PATHS["full"]).splitlines()[2])
    1. database: upgrade in place
    """
    lines = [f"{path.title} ({path.name} path)", ""]
    for number, step in enumerate(path.steps, 1):
        when = " (at any point)" if step.any_time else ""
        lines.append(f"{number}. {step.service.title}: {_ACTION_TEXT[step.action]}{when}")
        lines.append(f"   {step.summary}")
        sections = (
            ("before", step.preconditions),
            ("conditions", [c.text + (f" [{c.rule}]" if c.rule else "") for c in step.conditions]),
            ("verify after", step.checks),
            ("afterwards", [step.follow_up] if step.follow_up else []),
        )
        for heading, items in sections:
            if items:
                lines.append(f"   {heading}:")
                lines.extend(f"     - {item}" for item in items)
        lines.append("")
    lines.extend(f"Note: {note}" for note in path.notes)
    return "\n".join(lines)

"""The spec's upgrade procedures as data.

The rolling-upgrades spec names five services (database, collector,
notification agent, polling agent, api) and two upgrade paths, *full* (stop
every old instance of a service, then start the new release) and *partial*
(start the new release alongside the old one). This module holds the paths
as data: :data:`PATHS`, each an :class:`UpgradePath` of :class:`Step`
objects with preconditions, the spec's conditions (each naming the
:class:`~ceilocompat.upgrade.rules.Rule` that checks it) and what to verify
afterwards; :func:`check_inventory` checks an inventory of running services
against a path's rules. Printing, checking and rehearsing a plan all read
the same data.

>>> [step.service.name for step in PATHS["full"].steps]
['database', 'collector', 'notification-agent', 'polling-agent', 'api']
>>> step = PATHS["partial"].step_for("notification-agent")
>>> step.action.value, [c.rule.id for c in step.conditions]
('add-alongside', ['notification-pipeline-mismatch', 'partition-queues', 'unpinned-producer', 'strict-consumer'])
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

from ceilocompat.routing import EVENT_ROUTE, POLLING_ROUTE, SAMPLE_ROUTE
from ceilocompat.upgrade import rules
from ceilocompat.upgrade.inventory import Inventory
from ceilocompat.upgrade.rules import RULES, Rule, RuleViolation
from ceilocompat.upgrade.services import (
    API,
    COLLECTOR,
    DATABASE,
    NOTIFICATION_AGENT,
    POLLING_AGENT,
    Service,
    service_named,
)

__all__ = [
    "PATHS",
    "Action",
    "Condition",
    "Step",
    "UpgradePath",
    "check_inventory",
    "format_path",
    "path_as_dict",
]


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
class Condition:
    """A condition the spec attaches to a step, and the rule that checks it."""

    text: str
    rule: Rule | None = None


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

    @property
    def label(self) -> str:
        """The step's name wherever a step is named (the plan, a rehearsal): ``service: action``.

        >>> PATHS["partial"].steps[2].label
        'notification-agent: add-alongside'
        """
        return f"{self.service.name}: {self.action.value}"


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
        return tuple(r for r in RULES.values() if r in named)


_MANTRA = "never remove, never alter, only add"

_DATABASE_STEP = Step(
    DATABASE, Action.MIGRATE,
    f"Upgrade the database using the mantra '{_MANTRA}'.",
    preconditions=(
        "A backup of the database exists.",
        "The new schema only adds tables, columns and keys: nothing is removed or altered.",
    ),
    conditions=(Condition("The database is upgraded before any other service.", rules.DATABASE_FIRST),),
    checks=(
        "The schema migration finished without errors.",
        "Old services still write to and read from the database (no errors in their logs).",
    ),
)

_STOPPED_FIRST = Condition("No old instance runs once the new release has started.", rules.FULL_PATH_MIXED_RELEASES)
_IN_ORDER = Condition("The services before it in this path are upgraded.", rules.FULL_PATH_ORDER)
_NOT_STRICT = Condition("No agent that requires keys the polling agents do not send yet runs (18.1.0, 19.1.0 "
                        "and 21.x read user_name and project_name strictly).", rules.STRICT_CONSUMER)

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
                      "configuration (compare fingerprints).", rules.NOTIFICATION_PIPELINE_MISMATCH),
            Condition("Agents with workload partitioning use queues the others read (not pre-10.0.0 "
                      "with later, not 5.0.0-6.x with 7.0.0 or later).", rules.PARTITION_QUEUES),
            Condition("New agents send no keys the oldest collector does not know, unless pinned.",
                      rules.UNPINNED_PRODUCER),
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
                      rules.POLLING_GROUP_SHARED),
            Condition("A new agent in its own partitioning group polls only the new pollsters.",
                      rules.POLLING_POLLSTERS_OVERLAP),
            Condition("New agents send no keys the oldest notification agent does not know, unless pinned.",
                      rules.UNPINNED_PRODUCER),
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
        conditions=(Condition("Only one api release runs at a time.", rules.API_SINGLE_VERSION),),
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
                "conditions": [{"text": c.text, "rule": c.rule.id if c.rule else None} for c in step.conditions],
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
    1. database: migrate (upgrade in place)
    """
    lines = [f"{path.title} ({path.name} path)", ""]
    for number, step in enumerate(path.steps, 1):
        when = " (at any point)" if step.any_time else ""
        lines.append(f"{number}. {step.label} ({_ACTION_TEXT[step.action]}){when}")
        lines.append(f"   {step.summary}")
        sections = (
            ("before", step.preconditions),
            ("conditions", [c.text + (f" [{c.rule.id}]" if c.rule else "") for c in step.conditions]),
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


def check_inventory(inventory: Inventory, path: str = "partial") -> list[RuleViolation]:
    """Every violation of the rules of upgrade *path* (``partial`` or ``full``).

    >>> from ceilocompat.upgrade.inventory import parse_inventory
    >>> two_apis = parse_inventory({"hosts": [
    ...     {"name": "a", "services": [{"service": "api", "release": "8.0.0"}]},
    ...     {"name": "b", "services": [{"service": "api", "release": "9.0.0"}]}]})
    >>> [v.rule.id for v in check_inventory(two_apis, "full")]
    ['full-path-mixed-releases']
    >>> [v.rule.id for v in check_inventory(two_apis)]
    ['api-single-version']
    """
    try:
        chosen = PATHS[path]
    except KeyError:
        raise ValueError(f"unknown upgrade path {path!r} (known: {', '.join(PATHS)})") from None
    return [v for rule in chosen.rules for v in rule.check(inventory, chosen)]

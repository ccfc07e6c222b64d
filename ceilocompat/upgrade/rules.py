"""The rules an inventory of running services is checked against, each with its check.

Every rule has an id, a title, where it comes from (``spec``: the
rolling-upgrades spec; ``wire``: what Ceilometer's history shows breaks;
``ceilocompat``: this library's additive-only contract), a fix, and the
function that finds its violations in an
:class:`~ceilocompat.upgrade.inventory.Inventory`, side by side. Upgrade
paths name the rules their steps must meet
(:attr:`~ceilocompat.upgrade.plan.UpgradePath.rules`), as objects, so a
misspelt rule cannot be named.

>>> from ceilocompat.upgrade import plan
>>> from ceilocompat.upgrade.inventory import parse_inventory
>>> inventory = parse_inventory({"hosts": [{"name": "ctl-1", "services": [
...     {"service": "database", "release": "9.0.0"},
...     {"service": "collector", "release": "10.0.0"}]}]})
>>> [(v.rule.id, v.subjects) for v in DATABASE_FIRST.check(inventory, plan.PATHS["partial"])]
[('database-first', ('ctl-1/collector', 'ctl-1/database'))]
"""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ceilocompat.models import BUILTIN_MODELS, model_keys, model_version, version_key
from ceilocompat.partitioning import partition_scheme, polling_group_id, queue_sharing_problem
from ceilocompat.releases import Release, parse_release
from ceilocompat.upgrade.inventory import Deployed, Inventory
from ceilocompat.upgrade.services import API, DATABASE, NOTIFICATION_AGENT, POLLING_AGENT, SERVICES, Service

if TYPE_CHECKING:  # pragma: no cover - plan imports this module
    from ceilocompat.upgrade.plan import UpgradePath

__all__ = [
    "API_SINGLE_VERSION",
    "DATABASE_FIRST",
    "FULL_PATH_MIXED_RELEASES",
    "FULL_PATH_ORDER",
    "NOTIFICATION_PIPELINE_MISMATCH",
    "PARTITION_QUEUES",
    "POLLING_GROUP_SHARED",
    "POLLING_POLLSTERS_OVERLAP",
    "RULES",
    "STRICT_CONSUMER",
    "STRICT_READERS",
    "UNPINNED_PRODUCER",
    "Rule",
    "RuleViolation",
    "StrictReader",
    "format_report",
    "report_as_dict",
]


@dataclasses.dataclass(frozen=True)
class Rule:
    """A condition an inventory of running services must meet, and its check.

    ``check(inventory, path)`` yields a :class:`RuleViolation` per breach.
    """

    id: str
    title: str
    source: str
    fix: str
    check: Callable[[Inventory, UpgradePath], Iterable[RuleViolation]] = dataclasses.field(
        repr=False, compare=False)
    #: Breaking the rule loses items on the bus (not only breaks the order of an upgrade).
    loses_data: bool = False


@dataclasses.dataclass(frozen=True)
class RuleViolation:
    """One broken rule: the rule, the instances involved and why.

    >>> RuleViolation(API_SINGLE_VERSION, ("a/api", "b/api"), "two releases").rule.title
    'only one version of the api runs at a time'
    """

    rule: Rule
    subjects: tuple[str, ...]
    reason: str

    def as_dict(self) -> dict[str, Any]:
        rule = self.rule
        return {"rule": rule.id, "title": rule.title, "source": rule.source,
                "subjects": list(self.subjects), "reason": self.reason, "fix": rule.fix}


def _labels(instances: Iterable[Deployed]) -> tuple[str, ...]:
    return tuple(i.label for i in instances)


def _described(instances: Iterable[Deployed], detail: str = "") -> str:
    extra = f", {detail}" if detail else ""
    return ", ".join(f"{i.label} ({i.release}{extra})" for i in instances)


def _short(fingerprint: str | None) -> str:
    return (fingerprint or "")[:12]


def _check_database_first(inventory: Inventory, path: UpgradePath) -> Iterator[RuleViolation]:
    databases = inventory.of(DATABASE)
    if not databases:
        return
    database = min(databases, key=lambda d: d.release)
    for instance in inventory.instances:
        if instance.service is not DATABASE and instance.release > database.release:
            yield RuleViolation(DATABASE_FIRST, (instance.label, database.label), (
                f"{instance.label} runs {instance.release} but the database ({database.label}) is "
                f"still at {database.release}: the database must be upgraded first"))


DATABASE_FIRST = Rule(
    "database-first",
    "the database is upgraded before every other service",
    "spec",
    "Upgrade the database first; stop or roll back services already newer than it.",
    check=_check_database_first,
)


def _check_pipeline_mismatch(inventory: Inventory, path: UpgradePath) -> Iterator[RuleViolation]:
    agents = [a for a in inventory.of(NOTIFICATION_AGENT) if a.partitions]
    for agent in agents:
        differing = []
        for old in agents:
            if old.release < agent.release:
                what = [f"{name} {_short(theirs)} vs {_short(mine)}" for name, mine, theirs in (
                    ("pipeline", agent.pipeline_fingerprint, old.pipeline_fingerprint),
                    ("event pipeline", agent.event_pipeline_fingerprint, old.event_pipeline_fingerprint),
                ) if mine and theirs and mine != theirs]
                if what:
                    differing.append((old, what))
        if differing:
            olds = "; ".join(f"{o.label} ({o.release}): {', '.join(w)}" for o, w in differing)
            yield RuleViolation(NOTIFICATION_PIPELINE_MISMATCH, (agent.label, *_labels(o for o, _ in differing)), (
                f"{agent.label} ({agent.release}) partitions the workload with older agents whose "
                f"pipeline configuration differs (fingerprints old vs new): {olds}"))


NOTIFICATION_PIPELINE_MISMATCH = Rule(
    "notification-pipeline-mismatch",
    "notification agents of different releases with workload partitioning run the same pipelines",
    "spec",
    "Load the old agents with the new pipeline configuration first, or disable workload "
    "partitioning during the upgrade.",
    check=_check_pipeline_mismatch,
    loses_data=True,
)


def _check_partition_queues(inventory: Inventory, path: UpgradePath) -> Iterator[RuleViolation]:
    # Agents that can partition but have it switched off never touch the queues;
    # agents of releases without partitioning read the same notifications unpartitioned.
    involved = [a for a in inventory.of(NOTIFICATION_AGENT)
                if a.partitions or partition_scheme(a.release.text) is None]
    by_release: dict[Release, list[Deployed]] = {}
    for agent in involved:
        by_release.setdefault(agent.release, []).append(agent)
    for (_old, olds), (_new, news) in itertools.combinations(sorted(by_release.items()), 2):
        if not any(a.partitions for a in olds + news):
            continue
        problem = queue_sharing_problem(olds[0].release.text, news[0].release.text)
        if problem:
            yield RuleViolation(PARTITION_QUEUES, _labels(news + olds), problem)


PARTITION_QUEUES = Rule(
    "partition-queues",
    "notification agents with workload partitioning use queues the others read",
    "wire",
    "Upgrade these notification agents with the full path (stop every old agent first): "
    "10.0.0 renamed the partitioning queues and 7.0.0 began filtering them on publisher_id.",
    check=_check_partition_queues,
    loses_data=True,
)


def _discovery_groups(agent: Deployed) -> list[str]:
    """Discovery group ids: per host for compute and ipmi, else global."""
    groups = []
    for namespace in agent.namespaces:
        if namespace == "compute":
            groups.append(agent.host)
        elif namespace == "ipmi":
            groups.append(f"LocalNode-{agent.host}")
        else:
            groups.append("global")
    return list(dict.fromkeys(groups))


def _group_ids(agent: Deployed, prefix: str | None) -> set[str]:
    return {polling_group_id(agent.namespaces, g, prefix) for g in _discovery_groups(agent)}


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(name == p or fnmatch.fnmatchcase(name, p) for p in patterns)


def _polling_peers(inventory: Inventory) -> Iterator[tuple[Deployed, list[Deployed], list[Deployed]]]:
    """(new agent, older agents of the same groups, those sharing its prefixed group)."""
    agents = inventory.of(POLLING_AGENT)
    for agent in agents:
        unprefixed = _group_ids(agent, None)
        peers = [b for b in agents if b.release < agent.release and _group_ids(b, None) & unprefixed]
        if peers:
            mine = _group_ids(agent, agent.partitioning_group_prefix)
            sharing = [b for b in peers if _group_ids(b, b.partitioning_group_prefix) & mine]
            yield agent, peers, sharing


def _check_polling_group_shared(inventory: Inventory, path: UpgradePath) -> Iterator[RuleViolation]:
    for agent, _peers, sharing in _polling_peers(inventory):
        old_pollsters = [p for b in sharing for p in b.pollsters]
        new = [p for p in agent.pollsters if not _matches(p, old_pollsters)]
        if sharing and new:
            groups = ", ".join(sorted(_group_ids(agent, agent.partitioning_group_prefix)))
            yield RuleViolation(POLLING_GROUP_SHARED, (agent.label, *_labels(sharing)), (
                f"{agent.label} ({agent.release}) adds pollsters {', '.join(new)} but shares "
                f"partitioning group {groups} with {_described(sharing)}"))


POLLING_GROUP_SHARED = Rule(
    "polling-group-shared",
    "a new polling agent with new pollsters is in its own partitioning group",
    "spec",
    "Give the new agent its own partitioning_group_prefix and only the new pollsters until "
    "every old agent is upgraded.",
    check=_check_polling_group_shared,
)


def _check_polling_overlap(inventory: Inventory, path: UpgradePath) -> Iterator[RuleViolation]:
    for agent, peers, sharing in _polling_peers(inventory):
        if sharing:
            continue
        old_pollsters = [p for b in peers for p in b.pollsters]
        both = [p for p in agent.pollsters
                if _matches(p, old_pollsters) or any(fnmatch.fnmatchcase(o, p) for o in old_pollsters)]
        if both:
            yield RuleViolation(POLLING_POLLSTERS_OVERLAP, (agent.label, *_labels(peers)), (
                f"{agent.label} ({agent.release}) is in its own partitioning group but also polls "
                f"{', '.join(both)}, which {_described(peers)} already poll: they are polled twice"))


POLLING_POLLSTERS_OVERLAP = Rule(
    "polling-pollsters-overlap",
    "a new polling agent in its own partitioning group polls only the new pollsters",
    "spec",
    "Remove the old agents' pollsters from the new agent until every old agent is upgraded; "
    "otherwise each is polled twice.",
    check=_check_polling_overlap,
)


def _flows(inventory: Inventory) -> Iterator[tuple[Deployed, str, list[Deployed], str]]:
    """(producer, model name, consumers of its output, model version it sends)."""
    for producer in inventory.instances:
        for model_name, model in BUILTIN_MODELS.items():
            routes = {r for r in producer.service.produces if r.model_name == model_name}
            consumers = [c for c in inventory.instances if routes & set(c.service.consumes)]
            if consumers:
                sent = model_version(model, producer.release)
                pinned = producer.pin.get(model_name)
                yield producer, model_name, consumers, sent if pinned is None else min(sent, pinned, key=version_key)


def _check_unpinned_producer(inventory: Inventory, path: UpgradePath) -> Iterator[RuleViolation]:
    for producer, model_name, consumers, sent in _flows(inventory):
        model = BUILTIN_MODELS[model_name]
        known = min((model_version(model, c.release) for c in consumers), key=version_key)
        extra = sorted(model_keys(model, sent) - model_keys(model, known))
        if extra:
            oldest = [c for c in consumers if model_version(model, c.release) == known]
            pinned = producer.pin.get(model_name)
            how = f"pinned to {model_name} model {pinned}" if pinned else "unpinned"
            yield RuleViolation(UNPINNED_PRODUCER, (producer.label, *_labels(oldest)), (
                f"{producer.label} ({producer.release}, {how}) sends {model_name} keys "
                f"{', '.join(extra)} that {_described(oldest, f'{model_name} model {known}')} does not know; "
                f"pin it with pin: {{{model_name}: \"{known}\"}} or upgrade the consumers first"))


UNPINNED_PRODUCER = Rule(
    "unpinned-producer",
    "producers send no keys the oldest consumer of their output does not know, unless pinned",
    "ceilocompat",
    "Upgrade the consumers first, or pin the producer to the consumers' model version.",
    check=_check_unpinned_producer,
)


@dataclasses.dataclass(frozen=True)
class StrictReader:
    """Releases of a service known to require keys older producers do not send.

    ``releases`` are ``(first, fixed)`` ranges: from ``first`` on, up to but
    not including ``fixed``, within a series or across them.

    >>> reader = STRICT_READERS[0]
    >>> [str(r) for r in ("18.0.0", "18.1.0", "19.0.0", "19.1.0", "20.0.0", "21.0.1", "22.0.0")
    ...  if reader.reads_strictly_at(parse_release(r))]
    ['18.1.0', '19.1.0', '21.0.1']
    """

    service: Service
    releases: tuple[tuple[str, str], ...]
    model: str
    keys: tuple[str, ...]
    effect: str

    def reads_strictly_at(self, release: Release) -> bool:
        return any(parse_release(first) <= release < parse_release(fixed) for first, fixed in self.releases)

    def reads_strictly(self, instance: Deployed) -> bool:
        return instance.service is self.service and self.reads_strictly_at(instance.release)


#: Where the mantra broke on the reading side, as the releases themselves
#: behave (measured with their real notification agents): the strict read of
#: ``user_name`` and ``project_name`` came with 21.0.0 and was released in the
#: stable point releases 18.1.0 and 19.1.0 too; 18.0.0, 19.0.0, 20.0.0 and
#: 22.0.0 on read them with defaults.
STRICT_READERS = (
    StrictReader(NOTIFICATION_AGENT, (("18.1.0", "19.0.0"), ("19.1.0", "20.0.0"), ("21.0.0", "22.0.0")),
                 "sample", ("user_name", "project_name"),
                 "every batch of up to 50 polled samples without them raises KeyError and is lost "
                 "(18.0.0, 19.0.0, 20.0.0 and 22.0.0 on read them with defaults)"),
)


def _check_strict_consumer(inventory: Inventory, path: UpgradePath) -> Iterator[RuleViolation]:
    for producer, model_name, consumers, sent in _flows(inventory):
        for reader in STRICT_READERS:
            strict = [c for c in consumers if reader.model == model_name and reader.reads_strictly(c)]
            missing = [k for k in reader.keys if k not in model_keys(BUILTIN_MODELS[model_name], sent)]
            if strict and missing:
                yield RuleViolation(STRICT_CONSUMER, (producer.label, *_labels(strict)), (
                    f"{_described(strict)} require{'s' if len(strict) == 1 else ''} {model_name} keys "
                    f"{', '.join(missing)}, which {producer.label} ({producer.release}, {model_name} model "
                    f"{sent}) does not send: {reader.effect}"))


STRICT_CONSUMER = Rule(
    "strict-consumer",
    "no consumer that requires keys runs beside producers that do not send them",
    "wire",
    "Upgrade or unpin the producers first, or use a consumer release that reads the keys with "
    "defaults (for 18.1.0, 19.1.0 and 21.x notification agents: 22.0.0 or later).",
    check=_check_strict_consumer,
    loses_data=True,
)


def _mixed(instances: list[Deployed]) -> bool:
    return len({i.release for i in instances}) > 1


def _check_api_single_version(inventory: Inventory, path: UpgradePath) -> Iterator[RuleViolation]:
    apis = inventory.of(API)
    if _mixed(apis):
        yield RuleViolation(API_SINGLE_VERSION, _labels(apis), (
            f"several api releases run at once: {_described(apis)}; WSGI serves one version"))


API_SINGLE_VERSION = Rule(
    "api-single-version",
    "only one version of the api runs at a time",
    "spec",
    "Let the WSGI server run one api release: stop the old one before serving the new one.",
    check=_check_api_single_version,
)


def _check_full_path_mixed(inventory: Inventory, path: UpgradePath) -> Iterator[RuleViolation]:
    for service in SERVICES:
        instances = inventory.of(service)
        if _mixed(instances):
            yield RuleViolation(FULL_PATH_MIXED_RELEASES, _labels(instances), (
                f"the {service.title} runs several releases at once: {_described(instances)}; "
                "the full path stops every old instance before the new release starts"))


FULL_PATH_MIXED_RELEASES = Rule(
    "full-path-mixed-releases",
    "in the full path no service runs two releases at once",
    "spec",
    "Stop every old instance of the service before starting the new release.",
    check=_check_full_path_mixed,
)


def _check_full_path_order(inventory: Inventory, path: UpgradePath) -> Iterator[RuleViolation]:
    # The database has its own rule in every path; the api may be upgraded at any point.
    ordered = [s.service for s in path.steps if s.service is not DATABASE and not s.any_time]
    present = [s for s in ordered if inventory.of(s)]
    for earlier, later in itertools.pairwise(present):
        oldest = min(inventory.of(earlier), key=lambda i: i.release)
        ahead = [i for i in inventory.of(later) if i.release > oldest.release]
        if ahead:
            yield RuleViolation(FULL_PATH_ORDER, (*_labels(ahead), oldest.label), (
                f"{_described(ahead)} is newer than {oldest.label} ({oldest.release}): the full "
                f"path upgrades every {earlier.title} before any {later.title}"))


FULL_PATH_ORDER = Rule(
    "full-path-order",
    "in the full path collector, notification agent and polling agent are upgraded in that order",
    "spec",
    "Upgrade the earlier service of the path first.",
    check=_check_full_path_order,
)


#: Every rule by id, in the order checks are reported.
RULES: dict[str, Rule] = {r.id: r for r in (
    DATABASE_FIRST,
    NOTIFICATION_PIPELINE_MISMATCH,
    PARTITION_QUEUES,
    POLLING_GROUP_SHARED,
    POLLING_POLLSTERS_OVERLAP,
    UNPINNED_PRODUCER,
    STRICT_CONSUMER,
    API_SINGLE_VERSION,
    FULL_PATH_MIXED_RELEASES,
    FULL_PATH_ORDER,
)}


def report_as_dict(inventory: Inventory, violations: list[RuleViolation], path: str) -> dict[str, Any]:
    """The report as JSON-ready data (what ``plan --inventory --json`` prints)."""
    return {
        "inventory": inventory.origin,
        "path": path,
        "hosts": len(inventory.hosts),
        "services": len(inventory.instances),
        "ok": not violations,
        "violations": [v.as_dict() for v in violations],
    }


def format_report(inventory: Inventory, violations: list[RuleViolation], path: str) -> str:
    """The report as text: one block per violation, then a summary line.

    >>> print(format_report(Inventory("inv.yaml", ()), [], "partial"))
    inv.yaml: 0 services on 0 hosts, checked against the partial path
    <BLANKLINE>
    no violations
    """
    lines = [f"{inventory.origin}: {len(inventory.instances)} services on {len(inventory.hosts)} hosts, "
             f"checked against the {path} path", ""]
    for v in violations:
        rule = v.rule
        lines.append(f"[{rule.id}] {rule.title}")
        lines.append(f"  where:  {', '.join(v.subjects)}")
        lines.append(f"  reason: {v.reason}")
        lines.append(f"  fix:    {rule.fix}")
        lines.append("")
    count = len(violations)
    lines.append("no violations" if not count else f"{count} violation{'s' if count != 1 else ''}")
    return "\n".join(lines)

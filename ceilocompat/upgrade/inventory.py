"""Check an inventory of running Ceilometer services against the upgrade spec.

An inventory (YAML or JSON) lists hosts and the services each runs, with
their Ceilometer release and the settings the spec's conditions depend on::

    hosts:
      - name: ctl-1
        services:
          - service: database            # database, collector, notification-agent,
            release: "9.0.0"             # polling-agent, api (or ceilometer-* names)
          - service: notification-agent
            release: "9.0.0"
            workload_partitioning: true  # default false; ignored before 5.0.0 and from 12.0.0
            pipeline: pipeline.yaml      # paths relative to the inventory file
            event_pipeline: event_pipeline.yaml
            pin: {sample: "1.0"}         # model versions this producer is pinned to
          - service: polling-agent
            release: "9.0.0"
            namespaces: [central]        # default: compute, central (Ceilometer's)
            pollsters: [image.size]      # required; names or wildcards like "disk.*"
            partitioning_group_prefix: pike   # default: none

Every service entry may also have a ``name`` (default ``<host>/<service>``,
numbered ``#1``, ``#2``... when a host runs a service more than once).
Unknown keys are errors, so a misspelt setting is not silently ignored.

:func:`check_inventory` reports one :class:`Violation` per broken condition,
each with the id of the :data:`~ceilocompat.upgrade.plan.RULES` entry it
breaks; :func:`load_inventory` raises :class:`InventoryError`, naming every
problem with its place in the file, for an inventory that cannot be checked.

>>> inventory = parse_inventory({"hosts": [{"name": "ctl-1", "services": [
...     {"service": "database", "release": "9.0.0"},
...     {"service": "collector", "release": "10.0.0"}]}]})
>>> [(v.rule, v.subjects) for v in check_inventory(inventory)]
[('database-first', ('ctl-1/collector', 'ctl-1/database'))]
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import yaml

from ceilocompat.models.fields import version_key
from ceilocompat.releases import Release, parse_release
from ceilocompat.routing import partition_scheme, polling_group_id, queue_sharing_problem
from ceilocompat.upgrade.fingerprint import FingerprintError, fingerprint_file
from ceilocompat.upgrade.plan import (
    API,
    DATABASE,
    NOTIFICATION_AGENT,
    PATHS,
    POLLING_AGENT,
    RULES,
    SERVICES,
    Service,
    service_named,
)
from ceilocompat.upgrade.releases import MODELS, model_keys, model_version

__all__ = [
    "CHECKS",
    "Deployed",
    "Inventory",
    "InventoryError",
    "STRICT_READERS",
    "StrictReader",
    "Violation",
    "check_inventory",
    "format_report",
    "load_inventory",
    "parse_inventory",
    "report_as_dict",
]

#: Ceilometer's default ``[DEFAULT] polling_namespaces``.
DEFAULT_NAMESPACES = ("compute", "central")

_COMMON_KEYS = ("service", "release", "name")
_PRODUCER_KEYS = ("pin",)
_SERVICE_KEYS: dict[str, tuple[str, ...]] = {
    NOTIFICATION_AGENT.name: ("workload_partitioning", "pipeline", "event_pipeline"),
    POLLING_AGENT.name: ("pollsters", "namespaces", "partitioning_group_prefix"),
}


class InventoryError(ValueError):
    """An inventory that cannot be checked; ``problems`` lists every reason.

    >>> parse_inventory({"hosts": [{"name": "h", "services": [{"service": "api"}]}]})
    Traceback (most recent call last):
    ...
    ceilocompat.upgrade.inventory.InventoryError: inventory: hosts[0].services[0]: missing key 'release'
    """

    def __init__(self, origin: str, problems: list[str]) -> None:
        self.origin = origin
        self.problems = list(problems)
        super().__init__("\n".join(f"{origin}: {p}" for p in self.problems))


@dataclasses.dataclass(frozen=True)
class Deployed:
    """One running instance of a service, as the inventory describes it."""

    host: str
    service: Service
    release: Release
    label: str
    workload_partitioning: bool = False
    pipeline: str | None = None
    pipeline_fingerprint: str | None = None
    event_pipeline: str | None = None
    event_pipeline_fingerprint: str | None = None
    namespaces: tuple[str, ...] = DEFAULT_NAMESPACES
    pollsters: tuple[str, ...] = ()
    partitioning_group_prefix: str | None = None
    pin: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def partitions(self) -> bool:
        """Workload partitioning is on and this release has it (5.0.0 to 11.x).

        >>> Deployed("h", NOTIFICATION_AGENT, parse_release("12.0.0"), "h", workload_partitioning=True).partitions
        False
        """
        return self.workload_partitioning and partition_scheme(self.release.text) is not None


@dataclasses.dataclass(frozen=True)
class Inventory:
    """Every service instance of an inventory, in file order."""

    origin: str
    instances: tuple[Deployed, ...]

    def of(self, service: Service) -> list[Deployed]:
        return [i for i in self.instances if i.service is service]

    @property
    def hosts(self) -> list[str]:
        return list(dict.fromkeys(i.host for i in self.instances))


@dataclasses.dataclass(frozen=True)
class Violation:
    """One broken condition: the rule's id, the instances involved and why.

    >>> Violation("api-single-version", ("a/api", "b/api"), "two releases").rule_title
    'only one version of the api runs at a time'
    """

    rule: str
    subjects: tuple[str, ...]
    reason: str

    @property
    def rule_title(self) -> str:
        return RULES[self.rule].title

    def as_dict(self) -> dict[str, Any]:
        rule = RULES[self.rule]
        return {"rule": self.rule, "title": rule.title, "source": rule.source,
                "subjects": list(self.subjects), "reason": self.reason, "fix": rule.fix}


# --------------------------------------------------------------------------
# Reading


class _Reader:
    """Validates raw inventory data, collecting every problem."""

    def __init__(self, base_dir: str | None) -> None:
        self.base_dir = base_dir
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}" if where else message)

    def mapping(self, value: Any, where: str, allowed: Iterable[str], required: Iterable[str]) -> dict | None:
        if not isinstance(value, dict):
            self.problem(where, f"must be a mapping, not {_type_name(value)}")
            return None
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(allowed)})"
                self.problem(where, f"unknown key {key!r}{hint}")
        missing = [k for k in required if k not in value]
        for key in missing:
            self.problem(where, f"missing key {key!r}")
        return None if missing else value

    def string(self, value: Any, where: str, optional: bool = False) -> str | None:
        if value is None and optional:
            return None
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.problem(where, f"must be a string, not the number {value!r} (quote it: \"{value}\")")
        else:
            self.problem(where, f"must be a non-empty string, not {_type_name(value)}")
        return None

    def strings(self, value: Any, where: str) -> tuple[str, ...] | None:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(where, f"must be a list of strings, not {_type_name(value)}")
            return None
        items = [self.string(item, f"{where}[{i}]") for i, item in enumerate(value)]
        return None if None in items else tuple(items)  # type: ignore[arg-type]

    def release(self, value: Any, where: str) -> Release | None:
        text = self.string(value, where)
        if text is None:
            return None
        try:
            return parse_release(text)
        except ValueError as exc:
            self.problem(where, str(exc))
            return None

    def pipeline(self, value: Any, where: str) -> tuple[str | None, str | None]:
        if value is None:
            return None, None
        name = self.string(value, where)
        if name is None:
            return None, None
        path = name if self.base_dir is None else os.path.join(self.base_dir, name)
        try:
            return path, fingerprint_file(path)
        except FingerprintError as exc:
            self.problem(where, str(exc))
            return None, None

    def pin(self, value: Any, where: str) -> dict[str, str]:
        pins = self.mapping(value, where, MODELS, ())
        out: dict[str, str] = {}
        for model_name, raw_version in (pins or {}).items():
            version = self.string(raw_version, f"{where}.{model_name}")
            if model_name not in MODELS or version is None:
                continue
            known = [v.number for v in MODELS[model_name].__wire__.versions]
            if version not in known:
                self.problem(f"{where}.{model_name}",
                             f"{version!r} is not a {model_name} model version (known: {', '.join(known)})")
            else:
                out[model_name] = version
        return out


def _type_name(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "null", bool: "a boolean"}.get(
        type(value), f"a {type(value).__name__}")


def parse_inventory(data: Any, base_dir: str | None = None, origin: str = "inventory") -> Inventory:
    """An :class:`Inventory` from parsed YAML/JSON *data*.

    Pipeline paths are read relative to *base_dir* (fingerprinted at once);
    every problem found is raised together in one :class:`InventoryError`.

    >>> parse_inventory({"hosts": [{"name": "h", "services": [
    ...     {"service": "polling-agent", "release": 9.0, "pollsters": ["cpu"],
    ...      "workload_partioning": True}]}]})
    Traceback (most recent call last):
    ...
    ceilocompat.upgrade.inventory.InventoryError: inventory: hosts[0].services[0]: unknown key 'workload_partioning' (allowed: service, release, name, pin, pollsters, namespaces, partitioning_group_prefix)
    inventory: hosts[0].services[0].release: must be a string, not the number 9.0 (quote it: "9.0")
    """
    reader = _Reader(base_dir)
    instances: list[Deployed] = []
    top = reader.mapping(data, "", ("hosts", "description"), ("hosts",))
    hosts = top["hosts"] if top else []
    if top and not isinstance(hosts, list):
        reader.problem("hosts", f"must be a list of hosts, not {_type_name(hosts)}")
        hosts = []
    elif top and not hosts:
        reader.problem("hosts", "must list at least one host")
    seen_hosts: set[str | None] = set()
    for h, raw_host in enumerate(hosts):
        where = f"hosts[{h}]"
        host = reader.mapping(raw_host, where, ("name", "services"), ("name", "services"))
        if host is None:
            continue
        host_name = reader.string(host["name"], f"{where}.name")
        if host_name is not None and host_name in seen_hosts:
            reader.problem(f"{where}.name", f"host {host_name!r} is listed twice: list its services once")
        seen_hosts.add(host_name)
        services = host["services"]
        if not isinstance(services, list):
            reader.problem(f"{where}.services", f"must be a list, not {_type_name(services)}")
            continue
        for s, raw in enumerate(services):
            deployed = _read_service(reader, raw, f"{where}.services[{s}]", host_name or "?")
            if deployed is not None:
                instances.append(deployed)
    instances = _labelled(reader, instances)
    if reader.problems:
        raise InventoryError(origin, reader.problems)
    return Inventory(origin, tuple(instances))


def _read_service(reader: _Reader, raw: Any, where: str, host: str) -> Deployed | None:
    if not isinstance(raw, dict):
        reader.problem(where, f"must be a mapping, not {_type_name(raw)}")
        return None
    if "service" not in raw:
        reader.problem(where, "missing key 'service'")
        return None
    name = reader.string(raw["service"], f"{where}.service")
    if name is None:
        return None
    try:
        service = service_named(name)
    except KeyError as exc:
        reader.problem(f"{where}.service", exc.args[0])
        return None
    extra = (_PRODUCER_KEYS if service.produces else ()) + _SERVICE_KEYS.get(service.name, ())
    required = ("service", "release") + (("pollsters",) if service is POLLING_AGENT else ())
    entry = reader.mapping(raw, where, _COMMON_KEYS + extra, required)
    if entry is None:
        return None
    release = reader.release(entry["release"], f"{where}.release")
    label = reader.string(entry["name"], f"{where}.name") if "name" in entry else ""
    fields: dict[str, Any] = {"pin": reader.pin(entry["pin"], f"{where}.pin")} if "pin" in entry else {}
    if service is NOTIFICATION_AGENT:
        fields.update(_read_notification_agent(reader, entry, where))
    elif service is POLLING_AGENT:
        fields.update(_read_polling_agent(reader, entry, where))
    if release is None or label is None:
        return None
    return Deployed(host, service, release, label, **fields)


def _read_notification_agent(reader: _Reader, entry: dict, where: str) -> dict[str, Any]:
    partitioning = entry.get("workload_partitioning", False)
    if not isinstance(partitioning, bool):
        reader.problem(f"{where}.workload_partitioning", f"must be true or false, not {_type_name(partitioning)}")
        partitioning = False
    pipeline, pipeline_fp = reader.pipeline(entry.get("pipeline"), f"{where}.pipeline")
    event_pipeline, event_fp = reader.pipeline(entry.get("event_pipeline"), f"{where}.event_pipeline")
    if partitioning and "pipeline" not in entry:
        reader.problem(where, "a notification agent with workload_partitioning on needs 'pipeline' "
                              "(its pipeline.yaml) so that agents can be compared")
    return {"workload_partitioning": partitioning, "pipeline": pipeline, "pipeline_fingerprint": pipeline_fp,
            "event_pipeline": event_pipeline, "event_pipeline_fingerprint": event_fp}


def _read_polling_agent(reader: _Reader, entry: dict, where: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    pollsters = reader.strings(entry["pollsters"], f"{where}.pollsters")
    if pollsters is not None:
        excluded = [p for p in pollsters if p.startswith("!")]
        if excluded:
            reader.problem(f"{where}.pollsters",
                           f"exclusions like {excluded[0]!r} are not supported: list what the agent polls")
        fields["pollsters"] = pollsters
    if "namespaces" in entry:
        namespaces = reader.strings(entry["namespaces"], f"{where}.namespaces")
        if namespaces is not None:
            fields["namespaces"] = namespaces or DEFAULT_NAMESPACES
    if "partitioning_group_prefix" in entry:
        fields["partitioning_group_prefix"] = reader.string(
            entry["partitioning_group_prefix"], f"{where}.partitioning_group_prefix", optional=True)
    return fields


def _labelled(reader: _Reader, instances: list[Deployed]) -> list[Deployed]:
    """Instances without a ``name`` become ``host/service``, numbered ``#1``... when repeated."""
    defaults = [f"{i.host}/{i.service.name}" for i in instances]
    unnamed = [d for i, d in zip(instances, defaults) if not i.label]
    repeated = {d for d in unnamed if unnamed.count(d) > 1}
    counts: dict[str, int] = {}
    out = []
    for instance, default in zip(instances, defaults):
        if not instance.label:
            counts[default] = counts.get(default, 0) + 1
            label = f"{default}#{counts[default]}" if default in repeated else default
            instance = dataclasses.replace(instance, label=label)
        out.append(instance)
    labels = [i.label for i in out]
    for label in sorted({x for x in labels if labels.count(x) > 1}):
        reader.problem("", f"two services are called {label!r}: give them distinct 'name's")
    return out


def load_inventory(path: str | os.PathLike) -> Inventory:
    """Read and validate an inventory file (JSON if it ends in ``.json``, else YAML).

    >>> load_inventory("/nonexistent/inventory.yaml")
    Traceback (most recent call last):
    ...
    ceilocompat.upgrade.inventory.InventoryError: /nonexistent/inventory.yaml: cannot read it: No such file or directory
    """
    origin = os.fspath(path)
    try:
        with open(origin, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise InventoryError(origin, [f"cannot read it: {exc.strerror or exc}"]) from None
    try:
        if origin.endswith(".json"):
            data = json.loads(raw)
        else:
            data = yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError) as exc:
        kind = "JSON" if origin.endswith(".json") else "YAML"
        raise InventoryError(origin, [f"not valid {kind}: {' '.join(str(exc).split())}"]) from None
    return parse_inventory(data, os.path.dirname(os.path.abspath(origin)), origin)


# --------------------------------------------------------------------------
# Checks: one function per rule of plan.RULES


def _labels(instances: Iterable[Deployed]) -> tuple[str, ...]:
    return tuple(i.label for i in instances)


def _described(instances: Iterable[Deployed], detail: str = "") -> str:
    extra = f", {detail}" if detail else ""
    return ", ".join(f"{i.label} ({i.release}{extra})" for i in instances)


def _short(fingerprint: str | None) -> str:
    return (fingerprint or "")[:12]


def _check_database_first(inventory: Inventory) -> Iterator[Violation]:
    databases = inventory.of(DATABASE)
    if not databases:
        return
    database = min(databases, key=lambda d: d.release)
    for instance in inventory.instances:
        if instance.service is not DATABASE and instance.release > database.release:
            yield Violation("database-first", (instance.label, database.label), (
                f"{instance.label} runs {instance.release} but the database ({database.label}) is "
                f"still at {database.release}: the database must be upgraded first"))


def _check_pipeline_mismatch(inventory: Inventory) -> Iterator[Violation]:
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
            yield Violation("notification-pipeline-mismatch", (agent.label, *_labels(o for o, _ in differing)), (
                f"{agent.label} ({agent.release}) partitions the workload with older agents whose "
                f"pipeline configuration differs (fingerprints old vs new): {olds}"))


def _check_partition_queues(inventory: Inventory) -> Iterator[Violation]:
    # Agents that can partition but have it switched off never touch the queues;
    # agents of releases without partitioning read the same notifications unpartitioned.
    involved = [a for a in inventory.of(NOTIFICATION_AGENT)
                if a.partitions or partition_scheme(a.release.text) is None]
    by_release: dict[Release, list[Deployed]] = {}
    for agent in involved:
        by_release.setdefault(agent.release, []).append(agent)
    for (old, olds), (new, news) in itertools.combinations(sorted(by_release.items()), 2):
        if not any(a.partitions for a in olds + news):
            continue
        problem = queue_sharing_problem(olds[0].release.text, news[0].release.text)
        if problem:
            yield Violation("partition-queues", _labels(news + olds), problem)


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


def _check_polling_group_shared(inventory: Inventory) -> Iterator[Violation]:
    for agent, _peers, sharing in _polling_peers(inventory):
        old_pollsters = [p for b in sharing for p in b.pollsters]
        new = [p for p in agent.pollsters if not _matches(p, old_pollsters)]
        if sharing and new:
            groups = ", ".join(sorted(_group_ids(agent, agent.partitioning_group_prefix)))
            yield Violation("polling-group-shared", (agent.label, *_labels(sharing)), (
                f"{agent.label} ({agent.release}) adds pollsters {', '.join(new)} but shares "
                f"partitioning group {groups} with {_described(sharing)}"))


def _check_polling_overlap(inventory: Inventory) -> Iterator[Violation]:
    for agent, peers, sharing in _polling_peers(inventory):
        if sharing:
            continue
        old_pollsters = [p for b in peers for p in b.pollsters]
        both = [p for p in agent.pollsters
                if _matches(p, old_pollsters) or any(fnmatch.fnmatchcase(o, p) for o in old_pollsters)]
        if both:
            yield Violation("polling-pollsters-overlap", (agent.label, *_labels(peers)), (
                f"{agent.label} ({agent.release}) is in its own partitioning group but also polls "
                f"{', '.join(both)}, which {_described(peers)} already poll: they are polled twice"))


def _flows(inventory: Inventory) -> Iterator[tuple[Deployed, str, list[Deployed], str]]:
    """(producer, model name, consumers of its output, model version it sends)."""
    for producer in inventory.instances:
        for model_name, model in MODELS.items():
            routes = {r for r in producer.service.produces if r.model_name == model_name}
            consumers = [c for c in inventory.instances if routes & set(c.service.consumes)]
            if consumers:
                sent = model_version(model, producer.release)
                pinned = producer.pin.get(model_name)
                yield producer, model_name, consumers, sent if pinned is None else min(sent, pinned, key=version_key)


def _check_unpinned_producer(inventory: Inventory) -> Iterator[Violation]:
    for producer, model_name, consumers, sent in _flows(inventory):
        model = MODELS[model_name]
        known = min((model_version(model, c.release) for c in consumers), key=version_key)
        extra = sorted(model_keys(model, sent) - model_keys(model, known))
        if extra:
            oldest = [c for c in consumers if model_version(model, c.release) == known]
            pinned = producer.pin.get(model_name)
            how = f"pinned to {model_name} model {pinned}" if pinned else "unpinned"
            yield Violation("unpinned-producer", (producer.label, *_labels(oldest)), (
                f"{producer.label} ({producer.release}, {how}) sends {model_name} keys "
                f"{', '.join(extra)} that {_described(oldest, f'{model_name} model {known}')} does not know; "
                f"pin it with pin: {{{model_name}: \"{known}\"}} or upgrade the consumers first"))


@dataclasses.dataclass(frozen=True)
class StrictReader:
    """Releases of a service known to require keys older producers do not send."""

    service: Service
    first: str
    fixed: str
    model: str
    keys: tuple[str, ...]
    effect: str

    def reads_strictly(self, instance: Deployed) -> bool:
        return (instance.service is self.service
                and parse_release(self.first) <= instance.release < parse_release(self.fixed))


#: Where the mantra broke on the reading side (ceilometer-wire.md). The same
#: change reached stable 18.x to 2023.1 point releases by cherry-pick; which
#: ones is not known here, so only 21.x is listed.
STRICT_READERS = (
    StrictReader(NOTIFICATION_AGENT, "21.0.0", "22.0.0", "sample", ("user_name", "project_name"),
                 "every batch of up to 50 polled samples without them raises KeyError and is lost "
                 "(22.0.0 reads them with defaults)"),
)


def _check_strict_consumer(inventory: Inventory) -> Iterator[Violation]:
    for producer, model_name, consumers, sent in _flows(inventory):
        for reader in STRICT_READERS:
            strict = [c for c in consumers if reader.model == model_name and reader.reads_strictly(c)]
            missing = [k for k in reader.keys if k not in model_keys(MODELS[model_name], sent)]
            if strict and missing:
                yield Violation("strict-consumer", (producer.label, *_labels(strict)), (
                    f"{_described(strict)} require{'s' if len(strict) == 1 else ''} {model_name} keys "
                    f"{', '.join(missing)}, which {producer.label} ({producer.release}, {model_name} model "
                    f"{sent}) does not send: {reader.effect}"))


def _mixed(instances: list[Deployed]) -> bool:
    return len({i.release for i in instances}) > 1


def _check_api_single_version(inventory: Inventory) -> Iterator[Violation]:
    apis = inventory.of(API)
    if _mixed(apis):
        yield Violation("api-single-version", _labels(apis), (
            f"several api releases run at once: {_described(apis)}; WSGI serves one version"))


def _check_full_path_mixed(inventory: Inventory) -> Iterator[Violation]:
    for service in SERVICES:
        instances = inventory.of(service)
        if _mixed(instances):
            yield Violation("full-path-mixed-releases", _labels(instances), (
                f"the {service.title} runs several releases at once: {_described(instances)}; "
                "the full path stops every old instance before the new release starts"))


def _check_full_path_order(inventory: Inventory) -> Iterator[Violation]:
    # The database has its own rule in every path; the api may be upgraded at any point.
    ordered = [s.service for s in PATHS["full"].steps if s.service is not DATABASE and not s.any_time]
    present = [s for s in ordered if inventory.of(s)]
    for earlier, later in zip(present, present[1:]):
        oldest = min(inventory.of(earlier), key=lambda i: i.release)
        ahead = [i for i in inventory.of(later) if i.release > oldest.release]
        if ahead:
            yield Violation("full-path-order", (*_labels(ahead), oldest.label), (
                f"{_described(ahead)} is newer than {oldest.label} ({oldest.release}): the full "
                f"path upgrades every {earlier.title} before any {later.title}"))


#: The check of each rule, by rule id.
CHECKS: dict[str, Callable[[Inventory], Iterable[Violation]]] = {
    "database-first": _check_database_first,
    "notification-pipeline-mismatch": _check_pipeline_mismatch,
    "partition-queues": _check_partition_queues,
    "polling-group-shared": _check_polling_group_shared,
    "polling-pollsters-overlap": _check_polling_overlap,
    "unpinned-producer": _check_unpinned_producer,
    "strict-consumer": _check_strict_consumer,
    "api-single-version": _check_api_single_version,
    "full-path-mixed-releases": _check_full_path_mixed,
    "full-path-order": _check_full_path_order,
}


def check_inventory(inventory: Inventory, path: str = "partial") -> list[Violation]:
    """Every violation of the rules of upgrade *path* (``partial`` or ``full``).

    >>> two_apis = parse_inventory({"hosts": [
    ...     {"name": "a", "services": [{"service": "api", "release": "8.0.0"}]},
    ...     {"name": "b", "services": [{"service": "api", "release": "9.0.0"}]}]})
    >>> [v.rule for v in check_inventory(two_apis, "full")]
    ['full-path-mixed-releases']
    >>> [v.rule for v in check_inventory(two_apis)]
    ['api-single-version']
    """
    try:
        rules = PATHS[path].rules
    except KeyError:
        raise ValueError(f"unknown upgrade path {path!r} (known: {', '.join(PATHS)})") from None
    return [v for rule in rules for v in CHECKS[rule.id](inventory)]


def report_as_dict(inventory: Inventory, violations: list[Violation], path: str) -> dict[str, Any]:
    """The report as JSON-ready data (what ``plan --inventory --json`` prints)."""
    return {
        "inventory": inventory.origin,
        "path": path,
        "hosts": len(inventory.hosts),
        "services": len(inventory.instances),
        "ok": not violations,
        "violations": [v.as_dict() for v in violations],
    }


def format_report(inventory: Inventory, violations: list[Violation], path: str) -> str:
    """The report as text: one block per violation, then a summary line.

    >>> print(format_report(Inventory("inv.yaml", ()), [], "partial"))
    inv.yaml: 0 services on 0 hosts, checked against the partial path
    <BLANKLINE>
    no violations
    """
    lines = [f"{inventory.origin}: {len(inventory.instances)} services on {len(inventory.hosts)} hosts, "
             f"checked against the {path} path", ""]
    for v in violations:
        rule = RULES[v.rule]
        lines.append(f"[{v.rule}] {rule.title}")
        lines.append(f"  where:  {', '.join(v.subjects)}")
        lines.append(f"  reason: {v.reason}")
        lines.append(f"  fix:    {rule.fix}")
        lines.append("")
    count = len(violations)
    lines.append("no violations" if not count else f"{count} violation{'s' if count != 1 else ''}")
    return "\n".join(lines)

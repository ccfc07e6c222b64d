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

This module only reads: :func:`load_inventory` and :func:`parse_inventory`
return an :class:`Inventory` or raise :class:`InventoryError`, naming every
problem with its place in the file. What an inventory is checked against is
in :mod:`ceilocompat.upgrade.rules` (and
:func:`~ceilocompat.upgrade.plan.check_inventory`).

>>> inventory = parse_inventory({"hosts": [{"name": "ctl-1", "services": [
...     {"service": "database", "release": "9.0.0"},
...     {"service": "collector", "release": "10.0.0"}]}]})
>>> [(i.label, str(i.release)) for i in inventory.instances]
[('ctl-1/database', '9.0.0'), ('ctl-1/collector', '10.0.0')]
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from ceilocompat.models import BUILTIN_MODELS
from ceilocompat.partitioning import partition_scheme
from ceilocompat.releases import Release, parse_release
from ceilocompat.upgrade.pipelines import FingerprintError, fingerprint_file
from ceilocompat.upgrade.services import NOTIFICATION_AGENT, POLLING_AGENT, Service, service_named

__all__ = [
    "DEFAULT_NAMESPACES",
    "Deployed",
    "Inventory",
    "InventoryError",
    "load_inventory",
    "parse_inventory",
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
        pins = self.mapping(value, where, BUILTIN_MODELS, ())
        out: dict[str, str] = {}
        for model_name, raw_version in (pins or {}).items():
            version = self.string(raw_version, f"{where}.{model_name}")
            if model_name not in BUILTIN_MODELS or version is None:
                continue
            known = [v.number for v in BUILTIN_MODELS[model_name].__wire__.versions]
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
    ...      "workload_partioning": True}]}]})  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    ceilocompat.upgrade.inventory.InventoryError: inventory: hosts[0].services[0]: unknown key 'workload_partioning'
    (allowed: service, release, name, pin, pollsters, namespaces, partitioning_group_prefix)
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
    unnamed = [d for i, d in zip(instances, defaults, strict=True) if not i.label]
    repeated = {d for d in unnamed if unnamed.count(d) > 1}
    counts: dict[str, int] = {}
    out = []
    for instance, default in zip(instances, defaults, strict=True):
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
        data = json.loads(raw) if origin.endswith(".json") else yaml.safe_load(raw)
    except (ValueError, yaml.YAMLError) as exc:
        kind = "JSON" if origin.endswith(".json") else "YAML"
        raise InventoryError(origin, [f"not valid {kind}: {' '.join(str(exc).split())}"]) from None
    return parse_inventory(data, os.path.dirname(os.path.abspath(origin)), origin)

"""The additive-only checker: live models against every released manifest.

"Never remove, never alter, only add." Each committed manifest records what a
released model version promised; :func:`check` derives the same view from the
live model for every one of them (not just the latest) and names each broken
promise by model, field and rule (see :data:`CONTRACT_RULES`). It works for any wire
model, so third parties check theirs against their own manifest directory.

>>> report = check()             # ceilocompat's models against its manifests
>>> report.ok, [m.model for m in report.models]
(True, ['sample', 'event'])

A deprecated field may leave the model only once its ``drop_after`` series
is older than the oldest release still running (``oldest_release``; not
given means nothing may be dropped yet). See ``docs/evolution.rst``.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from ceilocompat.evolution.manifest import (
    DOC_KEYS,
    PACKAGE_MANIFESTS,
    PACKAGE_MODELS,
    build_manifest,
    contract_fingerprint,
    field_entry,
    load_manifests,
    manifest_name,
    model_versions,
    save_manifest,
    schema_of,
)
from ceilocompat.models import ModelSchema, version_key
from ceilocompat.releases import has_passed, series_number

FIELD_REMOVED = "field-removed"
FIELD_RENAMED = "field-renamed"
TYPE_CHANGED = "type-changed"
DEFAULT_CHANGED = "default-changed"
MADE_REQUIRED = "made-required"
NEW_FIELD_WITHOUT_DEFAULT = "new-field-without-default"
VERSION_NOT_BUMPED = "version-not-bumped"
MEANING_CHANGED = "meaning-changed"
REMOVED_BEFORE_DROP_PERIOD = "removed-before-drop-period"
MANIFEST_MISSING = "manifest-missing"
MANIFEST_EDITED = "manifest-edited"
VERSION_REMOVED = "version-removed"

#: Every rule the checker applies, with what breaking it means.
CONTRACT_RULES = {
    FIELD_REMOVED: "a released field is gone, and it was not dropped after a drop period",
    FIELD_RENAMED: "a released field is gone and a field with the same contract took its place",
    TYPE_CHANGED: "a released field's kind changed (other than to a kind that widens it for readers only)",
    DEFAULT_CHANGED: "what readers assume for a released field when it is absent changed",
    MADE_REQUIRED: "an optional released field became required",
    NEW_FIELD_WITHOUT_DEFAULT: "a required field was added to a released version",
    VERSION_NOT_BUMPED: "a released version's key set or deprecation changed instead of a new version",
    MEANING_CHANGED: "the meaning or unit note of a released field changed",
    REMOVED_BEFORE_DROP_PERIOD: "a deprecated field is gone before its drop_after release has passed",
    MANIFEST_MISSING: "a model version older than the latest manifest, or every version, has no manifest",
    MANIFEST_EDITED: "a manifest's fingerprint does not match its fields: released manifests are never edited",
    VERSION_REMOVED: "a released model version is no longer declared by the model",
}


@attrs.frozen
class ContractViolation:
    """One broken promise: which model and field, which rule, in which manifests."""

    model: str
    field: str
    rule: str
    detail: str
    versions: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.model}.{self.field}" if self.field else self.model
        released = f" [released {', '.join(self.versions)}]" if self.versions else ""
        return f"{where}: {self.rule}: {self.detail}{released}"


@attrs.frozen
class ModelCheck:
    """What was checked for one model and what broke."""

    model: str
    released: tuple[str, ...]
    unreleased: tuple[str, ...]
    fields: int
    violations: tuple[ContractViolation, ...]


@attrs.frozen
class CheckReport:
    """The result of :func:`check`: per model reports, and manifests nobody checked."""

    models: tuple[ModelCheck, ...]
    ignored: tuple[str, ...] = ()
    oldest_release: str | None = None

    @property
    def violations(self) -> tuple[ContractViolation, ...]:
        return tuple(v for m in self.models for v in m.violations)

    @property
    def ok(self) -> bool:
        return not self.violations

    def summary(self) -> str:
        """What was checked, in a few lines, for a passing check."""
        lines = [f"ceilocompat check: {'OK' if self.ok else f'{len(self.violations)} violation(s)'}"]
        for m in self.models:
            versions = ", ".join(m.released) or "none"
            lines.append(f"  {m.model}: {m.fields} fields, checked against the manifests of versions {versions}")
            for version in m.unreleased:
                lines.append(
                    f"  {m.model} {version}: not released yet (no manifest); "
                    "write it with `ceilocompat check --write-new-manifests`"
                )
        if self.ignored:
            lines.append(f"  not checked (models not given): manifests of {', '.join(self.ignored)}")
        oldest = self.oldest_release or "not given, so no deprecated field may be dropped yet"
        lines.append(f"  drop period: oldest running release {oldest}")
        return "\n".join(lines)

    def as_json(self) -> dict:
        """The report as JSON-ready data."""
        return {
            "ok": self.ok,
            "oldest_release": self.oldest_release,
            "models": [attrs.asdict(m, recurse=False, filter=lambda a, _: a.name != "violations") for m in self.models],
            "violations": [attrs.asdict(v) for v in self.violations],
            "ignored": list(self.ignored),
        }


class IncompatibleChange(AssertionError):
    """The live models break promises of their released manifests."""

    def __init__(self, violations: Sequence[ContractViolation]) -> None:
        self.violations = tuple(violations)
        lines = "\n".join(str(v) for v in self.violations)
        super().__init__(f"{len(self.violations)} additive-only violations:\n{lines}")


def check(
    models: Iterable[Any] = PACKAGE_MODELS,
    manifests: pathlib.Path = PACKAGE_MANIFESTS,
    *,
    oldest_release: str | None = None,
) -> CheckReport:
    """Check *models* against every manifest in the directory *manifests*.

    :param oldest_release: the oldest Ceilometer release still running where
        these models are used; deprecated fields whose ``drop_after`` is older
        may be gone. Raises ValueError if it is not a Ceilometer release.
    """
    if oldest_release is not None:
        series_number(oldest_release)
    models = tuple(models)
    names = [schema_of(m).name for m in models]
    if len(set(names)) != len(names):
        raise ValueError(f"two models share a name: {', '.join(sorted(names))}")
    loaded = load_manifests(manifests)
    reports = tuple(check_model(model, loaded, oldest_release=oldest_release) for model in models)
    ignored = tuple(sorted({m["model"] for m in loaded} - set(names)))
    return CheckReport(reports, ignored, oldest_release)


def assert_compatible(
    models: Iterable[Any], manifests: pathlib.Path, *, oldest_release: str | None = None
) -> CheckReport:
    """:func:`check`, raising :class:`IncompatibleChange` on any violation."""
    report = check(models, manifests, oldest_release=oldest_release)
    if not report.ok:
        raise IncompatibleChange(report.violations)
    return report


def write_new_manifests(
    models: Iterable[Any], directory: pathlib.Path, *, oldest_release: str | None = None
) -> list[pathlib.Path]:
    """Write the manifest of every model version that has none yet.

    Existing manifests are never touched. Refuses (:class:`IncompatibleChange`)
    when the models break a released manifest: fix the model, not the manifest.
    """
    models = tuple(models)
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    report = check(models, directory, oldest_release=oldest_release)
    broken = [v for v in report.violations if v.rule != MANIFEST_MISSING]  # missing ones are what we write
    if broken:
        raise IncompatibleChange(broken)
    return [
        save_manifest(build_manifest(model, version), directory)
        for model, name, version in model_versions(models)
        if not (directory / manifest_name(name, version)).exists()
    ]


def check_model(model: Any, manifests: Sequence[dict], *, oldest_release: str | None = None) -> ModelCheck:
    """Check one model against the manifests among *manifests* that carry its name."""
    schema = schema_of(model)
    mine = sorted((m for m in manifests if m["model"] == schema.name), key=lambda m: version_key(m["version"]))
    findings = _Findings(schema.name)
    declared = [v.number for v in schema.versions]
    released = [m["version"] for m in mine]
    if not mine:
        findings.add("", MANIFEST_MISSING, "no manifest; write them with `ceilocompat check --write-new-manifests`")
    newest_entries = {entry["key"]: entry for m in mine for entry in m["fields"]}
    latest = version_key(released[-1]) if released else ()
    unreleased = tuple(v for v in declared if version_key(v) > latest)
    for m in mine:
        version = m["version"]
        if contract_fingerprint(m["fields"]) != m["fingerprint"]:
            findings.add("", MANIFEST_EDITED, f"{manifest_name(schema.name, version)} was edited after release")
        if version not in declared:
            findings.add("", VERSION_REMOVED, f"version {version} has a manifest but the model no longer declares it")
            continue
        _compare(schema, m, newest_entries, oldest_release, next(iter(unreleased), None), findings)
    for version in declared:
        if version not in released and version_key(version) < latest:
            findings.add("", MANIFEST_MISSING, f"version {version} is older than a released one but has no manifest")
    return ModelCheck(schema.name, tuple(released), unreleased, len(schema.fields), findings.all())


class _Findings:
    """Violations of one model, one line per (field, rule, detail) with the manifests showing it."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.seen: dict[tuple[str, str, str], list[str]] = {}

    def add(self, field: str, rule: str, detail: str, version: str | None = None) -> None:
        versions = self.seen.setdefault((field, rule, detail), [])
        if version is not None:
            versions.append(version)

    def all(self) -> tuple[ContractViolation, ...]:
        return tuple(
            ContractViolation(self.model, field, rule, detail, tuple(versions))
            for (field, rule, detail), versions in self.seen.items()
        )


def _compare(
    schema: ModelSchema,
    manifest: dict,
    newest: dict,
    oldest_release: str | None,
    next_version: str | None,
    out: _Findings,
) -> None:
    """Compare the model's view at a released version with that version's manifest.

    *newest* holds each key's entry in the newest manifest that has it (its
    deprecation); *next_version* is the first version not released yet.
    """
    version = manifest["version"]
    released = {e["key"]: e for e in manifest["fields"]}
    fields = schema.view(version).fields
    live = {f.key: field_entry(f, version, schema.name) for f in fields}
    widened = {f.key: f.kind.widened() for f in fields}
    added = [key for key in live if key not in released]
    for key, entry in released.items():
        if key in live:
            for rule, detail in _changes(entry, live[key], widened[key]):
                out.add(key, rule, detail, version)
            continue
        broken = _removal(newest[key], oldest_release)
        if broken is None:
            continue  # dropped after its drop period
        successor = next((a for a in added if _contract(live[a]) == _contract(entry)), None)
        if successor is not None:
            added.remove(successor)
            broken = (FIELD_RENAMED, f"renamed to {successor!r} (old readers lose it, new readers never see it)")
        out.add(key, *broken, version)
    for key in added:
        out.add(key, *_addition(live[key], next_version), version)


def _contract(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "key" and k not in DOC_KEYS}


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _changes(old: dict, new: dict, widened: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Rules broken by the live entry *new* of a field released as *old*.

    *widened* names the kinds the live kind widens for readers only
    (``Kind.widens``): a released field of one of them may take the live
    kind, since it reads what they read and writes nothing their readers refuse.
    """
    found = []
    if old["kind"] != new["kind"] and old["kind"] not in widened:
        found.append((TYPE_CHANGED, f"kind {old['kind']!r} became {new['kind']!r}"))
    if not old["required"] and new["required"]:
        found.append((MADE_REQUIRED, "optional became required: payloads without it no longer decode"))
    elif old["required"] and not new["required"]:
        found.append((DEFAULT_CHANGED, "required became optional: old readers still refuse payloads without it"))
    elif not old["required"] and not _same(old["default"], new["default"]):
        found.append((DEFAULT_CHANGED, f"default {_show(old['default'])} became {_show(new['default'])}"))
    if old["meaning"] != new["meaning"]:
        found.append((MEANING_CHANGED, f"meaning {old['meaning']!r} became {new['meaning']!r}; add a new field"))
    for key in ("omit_when_none", "deprecated_in", "drop_after"):
        if not _same(old[key], new[key]):
            found.append((VERSION_NOT_BUMPED, f"{key} {_show(old[key])} became {_show(new[key])}"))
    return found


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _removal(newest: dict, oldest_release: str | None) -> tuple[str, str] | None:
    """None if a field released as *newest* (its latest manifest entry) may be gone."""
    if newest["deprecated_in"] is None:
        return FIELD_REMOVED, "gone from the model; deprecate it (deprecated_in, drop_after) and wait for the drop"
    if newest["required"]:
        return FIELD_REMOVED, "a required field never drops: readers that still know it refuse payloads without it"
    if newest["drop_after"] is None:
        return REMOVED_BEFORE_DROP_PERIOD, f"deprecated in {newest['deprecated_in']} without a drop_after release"
    if has_passed(newest["drop_after"], oldest_release):
        return None
    running = oldest_release or "not given"
    return (
        REMOVED_BEFORE_DROP_PERIOD,
        f"may drop once every service runs a release after {newest['drop_after']} (oldest running: {running})",
    )


def _addition(entry: dict, next_version: str | None) -> tuple[str, str]:
    if entry["required"]:
        return NEW_FIELD_WITHOUT_DEFAULT, "required field added to a released version: older payloads lack it"
    if next_version is None:
        return VERSION_NOT_BUMPED, "added to a released version; declare a new model version and add the field since it"
    return VERSION_NOT_BUMPED, f"added to a released version; give it since={next_version!r}"


@attrs.frozen
class WireModelChecker:
    """The checker with a project's settings; ``manifests=`` overrides the directory.

    What the ``wire_model_checker`` fixture of :mod:`ceilocompat.pytest_plugin`
    gives a test, configured from the pytest ini file.

    >>> from ceilocompat.models import BUILTIN_MODELS
    >>> WireModelChecker(manifests=PACKAGE_MANIFESTS).assert_compatible(BUILTIN_MODELS.values()).ok
    True
    """

    manifests: pathlib.Path | None
    oldest_release: str | None = None

    def directory(self, manifests: str | pathlib.Path | None) -> pathlib.Path:
        chosen = manifests if manifests is not None else self.manifests
        if chosen is None:
            raise ValueError(
                "no manifest directory: set ceilocompat_manifests in the pytest ini file or pass manifests="
            )
        return pathlib.Path(chosen)

    def check(self, models: Iterable[Any], manifests: str | pathlib.Path | None = None) -> CheckReport:
        """The :class:`CheckReport` for *models*."""
        return check(models, self.directory(manifests), oldest_release=self.oldest_release)

    def assert_compatible(self, models: Iterable[Any], manifests: str | pathlib.Path | None = None) -> CheckReport:
        """Fail, one line per violation, unless *models* only added to their manifests."""
        return assert_compatible(models, self.directory(manifests), oldest_release=self.oldest_release)

    def write_new_manifests(self, models: Iterable[Any], manifests: str | pathlib.Path | None = None) -> list:
        """Write the manifests of new model versions (see :func:`write_new_manifests`)."""
        return write_new_manifests(models, self.directory(manifests), oldest_release=self.oldest_release)

"""Manifests: a model version's wire contract as a JSON document.

A manifest is derived from the model definition, never written by hand: the
model's name and version, the Ceilometer release that brought the version,
and per field its key, kind, whether it is required, the default a reader
assumes, the version that added it, its deprecation and drop period, and the
notes on its meaning and unit. One manifest per released model version is
committed (``<model>-<version>.json``) and never edited again: the checker
(:mod:`ceilocompat.evolution.checker`) compares the live models against all of them.

The fingerprint is the SHA-256 of the canonical JSON of the field list
without ``doc``: documentation may be improved, the contract may not.

>>> from ceilocompat import Sample
>>> m = build_manifest(Sample, "1.0")
>>> m["model"], m["version"], m["series"], len(m["fields"])
('sample', '1.0', 'kilo', 12)
>>> [f for f in m["fields"] if f["key"] == "resource_metadata"][0]["default"]
{}
>>> m["fingerprint"] == contract_fingerprint(m["fields"])
True
"""

from __future__ import annotations

import hashlib
import importlib
import json
import pathlib
from collections.abc import Iterable, Iterator
from typing import Any

from ceilocompat._errors import DecodeError
from ceilocompat.models import BUILTIN_MODELS, ModelSchema, WireField, version_key

#: ceilocompat's own models, and where their released manifests are committed.
PACKAGE_MODELS = tuple(BUILTIN_MODELS.values())
PACKAGE_MANIFESTS = pathlib.Path(__file__).resolve().parent / "manifests"

MANIFEST_FORMAT = 1
#: Keys of a field entry that are for people only, outside the fingerprint.
DOC_KEYS = frozenset({"doc"})
_TOP_KEYS = ("format", "model", "version", "release", "series", "fingerprint", "fields")
_FIELD_KEYS = (
    "key", "kind", "required", "default", "omit_when_none", "since", "deprecated_in", "drop_after", "meaning"
)


def schema_of(model: Any) -> ModelSchema:
    """The :class:`ModelSchema` of a wire model class (made with ``wire_model``)."""
    schema = getattr(model, "__wire__", None)
    if not isinstance(schema, ModelSchema):
        raise TypeError(f"{model!r} is not a wire model: decorate an attrs class with @wire_model(name, versions)")
    return schema


def import_model(spec: str) -> Any:
    """Import a wire model named ``package.module:Class``; ValueError saying why not.

    >>> import_model("ceilocompat.models:Event").__wire__.name
    'event'
    >>> import_model("ceilocompat.models")
    Traceback (most recent call last):
    ...
    ValueError: 'ceilocompat.models': name a model as module:Class, e.g. mypackage.models:Reading
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{spec!r}: name a model as module:Class, e.g. mypackage.models:Reading")
    try:
        model = getattr(importlib.import_module(module_name), attribute)
        schema_of(model)
    except (ImportError, AttributeError, TypeError) as exc:
        raise ValueError(f"{spec}: {exc}") from None
    return model


def model_versions(models: Iterable[Any]) -> Iterator[tuple[Any, str, str]]:
    """``(model, model name, version)`` for every version of every model, oldest first.

    >>> from ceilocompat import Event
    >>> [(name, version) for _, name, version in model_versions([Event])]
    [('event', '1.0')]
    """
    for model in models:
        schema = schema_of(model)
        for version in schema.versions:
            yield model, schema.name, version.number


def field_entry(f: WireField, version: str, model: str) -> dict:
    """One field as a manifest shows it at *version*.

    A deprecation declared in a later version is not shown, so deprecating a
    field in a new version leaves the older manifests true.
    """
    spec = f.spec
    deprecated = spec.deprecated_in is not None and version_key(spec.deprecated_in) <= version_key(version)
    return {
        "key": f.key,
        "kind": spec.kind.name,
        "required": spec.required,
        "default": None if spec.required else _json_value(spec.missing_value(), f"{model}.{f.key}"),
        "omit_when_none": spec.omit_when_none,
        "since": spec.since,
        "deprecated_in": spec.deprecated_in if deprecated else None,
        "drop_after": spec.drop_after if deprecated else None,
        "meaning": spec.meaning,
        "doc": spec.doc,
    }


def _json_value(value: Any, where: str) -> Any:
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        raise TypeError(f"{where}: default {value!r} cannot be written to a manifest; use a JSON value") from None


def contract_fingerprint(fields: Iterable[dict]) -> str:
    """SHA-256 of the canonical JSON of *fields*, ``doc`` left out, key order free.

    >>> a = [{"key": "a", "kind": "string", "doc": "one"}]
    >>> contract_fingerprint(a) == contract_fingerprint([{"kind": "string", "key": "a", "doc": "two"}])
    True
    """
    contract = sorted(({k: v for k, v in f.items() if k not in DOC_KEYS} for f in fields), key=lambda f: f["key"])
    canonical = json.dumps(contract, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode("ascii")).hexdigest()


def build_manifest(model: Any, version: str) -> dict:
    """The manifest of *model* at *version*, derived from its definition."""
    schema = schema_of(model)
    view = schema.view(version)
    meta = next(v for v in schema.versions if v.number == version)
    fields = [field_entry(f, version, schema.name) for f in view.fields]
    return {
        "format": MANIFEST_FORMAT,
        "model": schema.name,
        "version": version,
        "release": meta.release,
        "series": meta.series,
        "also_in": list(meta.also_in),
        "note": meta.note,
        "fingerprint": contract_fingerprint(fields),
        "fields": fields,
    }


def manifest_name(model_name: str, version: str) -> str:
    """The file name of a manifest: ``<model>-<version>.json``."""
    return f"{model_name}-{version}.json"


def dumps_manifest(manifest: dict) -> str:
    """The committed text of a manifest: indented JSON, one trailing newline."""
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def save_manifest(manifest: dict, directory: pathlib.Path) -> pathlib.Path:
    """Write *manifest* as a new file in *directory*; an existing one is never replaced."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / manifest_name(manifest["model"], manifest["version"])
    try:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(dumps_manifest(manifest))
    except FileExistsError:
        raise FileExistsError(f"{path} exists: released manifests are never edited") from None
    return path


def load_manifests(directory: pathlib.Path) -> list[dict]:
    """Every manifest in *directory*, ordered by model name then version.

    A file that is not a well-formed manifest raises :class:`~ceilocompat.DecodeError`
    naming the file; a missing directory raises FileNotFoundError.
    """
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"manifest directory {directory} does not exist")
    manifests = [_read_manifest(path) for path in sorted(directory.glob("*.json"))]
    return sorted(manifests, key=lambda m: (m["model"], version_key(m["version"])))


def _read_manifest(path: pathlib.Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(path.name, None, f"not a JSON manifest: {exc}") from None
    if not isinstance(manifest, dict) or any(key not in manifest for key in _TOP_KEYS):
        raise DecodeError(path.name, manifest, f"a manifest needs the keys {', '.join(_TOP_KEYS)}")
    if not isinstance(manifest["fields"], list) or not all(
        isinstance(f, dict) and all(key in f for key in _FIELD_KEYS) for f in manifest["fields"]
    ):
        raise DecodeError(f"{path.name}: fields", manifest["fields"], f"each field needs {', '.join(_FIELD_KEYS)}")
    try:
        version_key(manifest["version"])
    except ValueError as exc:
        raise DecodeError(f"{path.name}: version", manifest["version"], str(exc)) from None
    if path.name != manifest_name(manifest["model"], manifest["version"]):
        expected = manifest_name(manifest["model"], manifest["version"])
        raise DecodeError(path.name, path.name, f"the file of this manifest must be called {expected}")
    return manifest

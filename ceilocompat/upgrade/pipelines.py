"""Canonical fingerprints of Ceilometer pipeline definitions.

Two notification agents with workload partitioning on must run the same
pipeline definitions (``pipeline.yaml`` and ``event_pipeline.yaml``), but
the files on two hosts are rarely byte-identical: keys are ordered
differently, comments and quoting differ. :func:`pipeline_fingerprint` hashes what
Ceilometer reads instead of how it is written:

1. the YAML is parsed with ``yaml.safe_load`` (anchors and merge keys are
   resolved, comments and formatting disappear);
2. lists whose order Ceilometer ignores are sorted (see below);
3. the result is written as canonical JSON (sorted keys, no whitespace,
   UTF-8) and hashed with SHA-256.

Which lists are order-insensitive was decided by reading
``ceilometer/pipeline/base.py``, ``sample.py``, ``event.py`` and
``ceilometer/agent.py`` (ceilometer 27.0.0):

``sources``, ``sinks`` (top level)
    Sorted. Each becomes a name-keyed entry (duplicate names are refused by
    ``PipelineManager``); pipelines are named ``source:sink`` and
    partitioning queues are named after pipelines (5.0.0 to 9.x) or after
    the data type (10.0.0 to 11.x), never after a position.
``meters`` / ``events`` of a source
    Sorted and de-duplicated: ``is_supported`` and
    ``check_source_filtering`` only ask whether *any* entry matches, so the
    list is a set.
``sinks`` of a source, ``publishers`` of a sink
    Sorted, duplicates kept: one pipeline or publisher call per entry in
    list order, which changes timing but not what is published; a repeated
    entry is a different configuration (a repeated sink is an error, a
    repeated publisher publishes twice).
everything else
    Kept in order. Notably a sink's ``transformers`` (5.0.0 to 11.x) form a
    chain, so their order matters; ``resources`` and ``discovery`` are kept
    in order to stay on the safe side.

When in doubt the order is kept, so two files Ceilometer treats alike may
get different fingerprints, never the reverse. Values are compared as YAML
typed them: ``interval: 600`` and ``interval: "600"`` differ. Dates and
times YAML recognises become their ISO text.

>>> a = '''
... sources:   # reordered, commented, quoted differently
...   - name: meter_source
...     meters: ["cpu", "memory.usage", "cpu"]
...     sinks: [meter_sink]
... sinks:
...   - {publishers: ['notifier://'], name: meter_sink}
... '''
>>> b = '''
... sinks:
...   - name: meter_sink
...     publishers:
...       - notifier://
... sources:
...   - sinks: [meter_sink]
...     name: meter_source
...     meters: [memory.usage, cpu]
... '''
>>> pipeline_fingerprint(a) == pipeline_fingerprint(b)
True
>>> canonical_json(a)
'{"sinks":[{"name":"meter_sink","publishers":["notifier://"]}],"sources":[{"meters":["cpu","memory.usage"],"name":"meter_source","sinks":["meter_sink"]}]}'
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
from typing import Any

import yaml

__all__ = [
    "FingerprintError",
    "canonical_json",
    "canonicalize",
    "fingerprint_file",
    "pipeline_fingerprint",
]

#: List fields of a source treated as sets (sorted and de-duplicated).
SET_FIELDS = ("meters", "events")
#: List fields sorted but with duplicates kept, by where they occur.
SOURCE_MULTISET_FIELDS = ("sinks",)
SINK_MULTISET_FIELDS = ("publishers",)


class FingerprintError(ValueError):
    """A pipeline definition that cannot be parsed or canonicalised.

    >>> pipeline_fingerprint("sources: [")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ceilocompat.upgrade.pipelines.FingerprintError: not valid YAML: ...
    """


def _plain(value: Any, path: str) -> Any:
    """*value* as JSON-ready data, checked (str keys, finite numbers)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FingerprintError(f"{path or 'document'}: {value!r} is not a finite number")
        return value
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise FingerprintError(
                    f"{path or 'document'}: key {key!r} is not a string (quote it)"
                )
            out[key] = _plain(item, f"{path}.{key}" if path else key)
        return out
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise FingerprintError(f"{path or 'document'}: unsupported value of type {type(value).__name__}")


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _sorted(items: list, unique: bool) -> list:
    keyed = sorted((_json(item), i) for i, item in enumerate(items))
    if unique:
        keyed = [k for n, k in enumerate(keyed) if n == 0 or k[0] != keyed[n - 1][0]]
    return [items[i] for _, i in keyed]


def _sort_fields(entry: Any, set_fields: tuple[str, ...], multiset_fields: tuple[str, ...]) -> Any:
    if not isinstance(entry, dict):
        return entry
    entry = dict(entry)
    for field in set_fields + multiset_fields:
        if isinstance(entry.get(field), list):
            entry[field] = _sorted(entry[field], unique=field in set_fields)
    return entry


def canonicalize(document: Any) -> Any:
    """The parsed pipeline *document* with order-insensitive lists sorted.

    Only a mapping with ``sources`` and/or ``sinks`` lists is treated as a
    pipeline definition; any other document is only checked and copied.

    >>> canonicalize({"sinks": [{"name": "b", "publishers": ["y://", "x://", "y://"]},
    ...                         {"name": "a", "publishers": ["z://"]}]})
    {'sinks': [{'name': 'a', 'publishers': ['z://']}, {'name': 'b', 'publishers': ['x://', 'y://', 'y://']}]}
    >>> canonicalize([3, 1, 2])
    [3, 1, 2]
    """
    document = _plain(document, "")
    if not isinstance(document, dict):
        return document
    out = dict(document)
    if isinstance(out.get("sources"), list):
        sources = [_sort_fields(s, SET_FIELDS, SOURCE_MULTISET_FIELDS) for s in out["sources"]]
        out["sources"] = _sorted(sources, unique=False)
    if isinstance(out.get("sinks"), list):
        sinks = [_sort_fields(s, (), SINK_MULTISET_FIELDS) for s in out["sinks"]]
        out["sinks"] = _sorted(sinks, unique=False)
    return out


def _load(text: str | bytes) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        raise FingerprintError(f"not valid YAML: {reason}") from None


def canonical_json(text: str | bytes) -> str:
    """The canonical JSON text of a pipeline definition given as YAML text.

    >>> canonical_json("b: 1\\na: [x, y]  # comment")
    '{"a":["x","y"],"b":1}'
    """
    return _json(canonicalize(_load(text)))


def _fingerprint(document: Any) -> str:
    return hashlib.sha256(_json(canonicalize(document)).encode("utf-8")).hexdigest()


def pipeline_fingerprint(text: str | bytes) -> str:
    """SHA-256 (hex) of :func:`canonical_json` of YAML *text*.

    >>> pipeline_fingerprint("a: 1") == pipeline_fingerprint("{'a': 1}  # same data")
    True
    >>> pipeline_fingerprint("a: 1") == pipeline_fingerprint("a: '1'")
    False
    """
    return _fingerprint(_load(text))


def fingerprint_file(path: str | os.PathLike) -> str:
    """:func:`pipeline_fingerprint` of a pipeline definition file.

    Raises FingerprintError for a file that cannot be read, is not YAML, or
    is not a pipeline definition: a mapping with a ``sources`` or ``sinks``
    list, as ``pipeline.yaml``, ``event_pipeline.yaml`` and ``polling.yaml`` are.

    >>> fingerprint_file("/nonexistent/pipeline.yaml")
    Traceback (most recent call last):
    ...
    ceilocompat.upgrade.pipelines.FingerprintError: cannot read /nonexistent/pipeline.yaml: No such file or directory
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise FingerprintError(f"cannot read {os.fspath(path)}: {exc.strerror or exc}") from None
    try:
        document = _load(data)
        if not (isinstance(document, dict) and any(isinstance(document.get(k), list) for k in ("sources", "sinks"))):
            found = "the file is empty" if document is None else "it has no 'sources' or 'sinks' list"
            raise FingerprintError(f"not a pipeline definition: {found} (give pipeline.yaml, "
                                   "event_pipeline.yaml or polling.yaml files)")
        return _fingerprint(document)
    except FingerprintError as exc:
        raise FingerprintError(f"{os.fspath(path)}: {exc}") from None

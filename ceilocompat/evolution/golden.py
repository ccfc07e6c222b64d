"""Golden corpora: payloads of every model version, generated from the models.

For each model version three signed payloads, as a producer of that version
sends them:

- ``full``: every key the version knows, each with an example value;
- ``nulls``: every key, null wherever the field's kind allows it;
- ``minimal``: the required keys only (and the signature), as the most
  frugal foreign producer sends them.

Once written, a golden file is kept forever and never regenerated: every
later model must still decode it (``tests/test_golden.py``). Writing only
adds the files that do not exist yet, so a new model version gets its
corpus with ``ceilocompat golden``.

>>> from ceilocompat import Sample, verify_signature
>>> payloads = golden_payloads(Sample, "1.0")
>>> sorted(payloads), "monotonic_time" in payloads["full"]
(['full', 'minimal', 'nulls'], False)
>>> verify_signature(payloads["minimal"], GOLDEN_SECRET)
True
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ceilocompat._errors import DecodeError
from ceilocompat._signing import compute_signature
from ceilocompat.evolution.manifest import model_versions, schema_of
from ceilocompat.models import (
    MAPPING,
    OPTIONAL_NUMBER,
    OPTIONAL_STRING,
    SIGNATURE_KEY,
    STRING,
    STRING_OR_NULL_ON_READ,
    TIMESTAMP,
    TRAITS,
    VOLUME,
    Kind,
    WireField,
)

#: The secret every golden payload is signed with.
GOLDEN_SECRET = "golden corpus secret"  # noqa: S105  published on purpose, so that anyone can check
DEFAULT_DIRECTORY = pathlib.Path("tests") / "evolution" / "golden"

#: An example wire value per kind, made from the field's key so that values differ between fields.
EXAMPLES: dict[Kind, Callable[[str], Any]] = {
    STRING: lambda key: f"{key}-example",
    OPTIONAL_STRING: lambda key: f"{key}-example",
    STRING_OR_NULL_ON_READ: lambda key: f"{key}-example",
    TIMESTAMP: lambda key: "2024-06-20T09:32:36.521082",
    VOLUME: lambda key: 42.5,
    OPTIONAL_NUMBER: lambda key: 12345.678,
    MAPPING: lambda key: {"flavor": {"name": "m1.tiny", "vcpus": 1}, "tags": ["a", "b"], "host": None},
    TRAITS: lambda key: [
        ["service", 1, "compute"],
        ["vcpus", 2, 2],
        ["ratio", 3, 0.5],
        ["launched_at", 4, "2016-11-04T04:25:56"],
        ["nothing", 0, None],
    ],
}


def example_value(f: WireField, examples: Mapping[Kind, Callable[[str], Any]] = EXAMPLES) -> Any:
    """An example wire value for field *f* (raises KeyError for a kind without one)."""
    try:
        return examples[f.kind](f.key)
    except KeyError:
        raise KeyError(f"{f.key}: no golden example for kind {f.kind.name!r}; pass examples={{kind: ...}}") from None


def _allows_null(f: WireField) -> bool:
    """True when a producer may write null for *f* (a kind may read null that it never writes)."""
    try:
        f.encode_value(None)
    except DecodeError:
        return False
    return True


def golden_payloads(
    model: Any, version: str, examples: Mapping[Kind, Callable[[str], Any]] = EXAMPLES
) -> dict[str, dict]:
    """The golden payloads of *model* at *version*, by name, each signed with :data:`GOLDEN_SECRET`."""
    fields = schema_of(model).view(version).fields
    full = {f.key: example_value(f, examples) for f in fields}
    nulls = {f.key: None if _allows_null(f) else full[f.key] for f in fields}
    minimal = {f.key: full[f.key] for f in fields if f.spec.required}
    minimal[SIGNATURE_KEY] = compute_signature(minimal, GOLDEN_SECRET)
    return {
        "full": model(**full).to_wire(secret=GOLDEN_SECRET, version=version),
        "nulls": model(**nulls).to_wire(secret=GOLDEN_SECRET, version=version),
        "minimal": minimal,
    }


def golden_path(directory: pathlib.Path, model_name: str, version: str, name: str) -> pathlib.Path:
    """``<directory>/<model>/<version>/<name>.json``."""
    return pathlib.Path(directory) / model_name / version / f"{name}.json"


def write_golden(models: Iterable[Any], directory: pathlib.Path = DEFAULT_DIRECTORY) -> list[pathlib.Path]:
    """Write the golden payloads that do not exist yet; existing files are never touched."""
    written = []
    for model, model_name, version in model_versions(models):
        for name, payload in golden_payloads(model, version).items():
            path = golden_path(directory, model_name, version, name)
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
                written.append(path)
    return written

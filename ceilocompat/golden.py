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
corpus with ``python -m ceilocompat.golden``.

>>> from ceilocompat import Sample, verify_signature
>>> payloads = golden_payloads(Sample, "1.0")
>>> sorted(payloads), "monotonic_time" in payloads["full"]
(['full', 'minimal', 'nulls'], False)
>>> verify_signature(payloads["minimal"], GOLDEN_SECRET)
True
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Any, Callable, Iterable, Mapping, Sequence

from ceilocompat.check_cli import import_model
from ceilocompat.errors import DecodeError
from ceilocompat.manifest import PACKAGE_MODELS, model_versions, schema_of
from ceilocompat.models.event import TRAITS
from ceilocompat.models.kinds import MAPPING, OPTIONAL_NUMBER, OPTIONAL_STRING, STRING, TIMESTAMP, VOLUME, Kind
from ceilocompat.models.wiremodel import SIGNATURE_KEY, WireField
from ceilocompat.signing import compute_signature

#: The secret every golden payload is signed with.
GOLDEN_SECRET = "golden corpus secret"
DEFAULT_DIRECTORY = pathlib.Path("tests") / "golden"

#: An example wire value per kind, made from the field's key so that values differ between fields.
EXAMPLES: dict[Kind, Callable[[str], Any]] = {
    STRING: lambda key: f"{key}-example",
    OPTIONAL_STRING: lambda key: f"{key}-example",
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
    try:
        f.kind.convert(None, f.key)
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


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ceilocompat.golden [--out DIR] [--model MODULE:CLASS]...``"""
    parser = argparse.ArgumentParser(prog="python -m ceilocompat.golden", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_DIRECTORY, help="corpus directory")
    parser.add_argument("--model", dest="models", action="append", type=import_model, metavar="MODULE:CLASS")
    args = parser.parse_args(argv)
    written = write_golden(args.models or PACKAGE_MODELS, args.out)
    for path in written:
        print(f"wrote {path}")
    print(f"{len(written)} golden payloads written, existing ones kept", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

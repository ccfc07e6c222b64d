"""``ceilocompat decode``: the samples and events in files, standard input or the bundled example.

Reads JSON, JSON Lines, msgpack, TCP publisher frames or whole RabbitMQ
bodies and prints the samples and events in them as a table or JSON;
``--secret`` checks signatures; ``--example`` decodes the capture bundled
with the library. An input with no sample or event in it (an empty file) is
a problem like one that does not decode: both exit with 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from typing import Any

import attrs

from ceilocompat._documents import documents
from ceilocompat._envelope import MAX_BODY_BYTES, loads
from ceilocompat._errors import DecodeError
from ceilocompat._payload import decode_batch
from ceilocompat._signing import verify_signature
from ceilocompat.cli.arguments import positive_int
from ceilocompat.cli.exit_codes import ExitCode, refuse
from ceilocompat.cli.tables import format_table as _table
from ceilocompat.models import Event, Sample

EXAMPLE_CAPTURE = "example-capture.jsonl"

#: Whose signatures ``--legacy`` accepts: the one wording of the help and the guides.
LEGACY_SIGNATURES = (
    "signatures of producers on Python 2 (every Ceilometer release up to 13.0.0 Train could run on it) "
    "and of Ceilometer before 8.0.0, which rendered lists and floats the Python 2 way"
)
#: The reason given for an input with nothing in it.
EMPTY = "no samples or events in it"


@attrs.frozen
class Row:
    """One decoded model, or one input that did not decode."""

    origin: str
    path: str
    model: Sample | Event | None = None
    signature: str = ""
    error: DecodeError | None = None


def read_inputs(paths: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """Yield ``(name, bytes)`` per document; ``-`` reads standard input."""
    for path in paths:
        if path == "-":
            yield from _documents_in("<stdin>", sys.stdin.buffer.read())
            continue
        with open(path, "rb") as handle:
            yield from _documents_in(path, handle.read())


def example_inputs() -> Iterator[tuple[str, bytes]]:
    """The bundled example capture, one document per line."""
    data = resources.files("ceilocompat.data").joinpath(EXAMPLE_CAPTURE).read_bytes()
    yield from _documents_in(EXAMPLE_CAPTURE, data)


def _documents_in(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    """One document per non-blank line of a ``.jsonl`` file, else the whole; an empty input as itself."""
    lines = [(f"{name}:{n}", line) for n, line in enumerate(data.splitlines(), 1) if line.strip()]
    if name.endswith(".jsonl") and lines:
        yield from lines
    else:
        yield name, data


def decode_inputs(inputs: Iterable[tuple[str, bytes]], secret: str | None, legacy: bool,
                  max_bytes: int = MAX_BODY_BYTES) -> Iterator[Row]:
    """Decode every input into rows; bad or empty input becomes a row with its error."""
    for origin, data in inputs:
        if not data.strip():
            yield Row(origin, "", error=DecodeError("", data, EMPTY))
            continue
        try:
            parsed = loads(data, max_bytes=max_bytes)
            for index, obj in enumerate(parsed):
                prefix = f"frame[{index}]" if len(parsed) > 1 else ""
                for path, payload, model, _note in documents(obj):
                    yield from _rows(origin, _join(prefix, path), payload, model, secret, legacy)
        except DecodeError as exc:
            if len(data) > max_bytes:
                exc = DecodeError(exc.path, exc.value, f"{exc.reason}: raise it with --max-body-bytes")
            yield Row(origin, exc.path, error=exc)


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def _rows(origin: str, path: str, payload: Any, model: type, secret: str | None, legacy: bool) -> Iterator[Row]:
    batch = decode_batch(payload, model)
    for item in batch.items:
        yield Row(origin, path, item, _signature_status(item, secret, legacy))
    for rejected in batch.rejected:
        yield Row(origin, _join(path, rejected.error.path), error=rejected.error)


def _signature_status(item: Sample | Event, secret: str | None, legacy: bool) -> str:
    wire = item.received
    if secret is None or wire is None:
        return ""
    try:
        if verify_signature(wire, secret):
            return "valid"
        if legacy and verify_signature(wire, secret, legacy=True):
            return "valid (legacy)"
    except DecodeError as exc:
        return f"unverifiable: {exc.reason}"
    return "INVALID"


def _summary(model: Sample | Event) -> tuple[str, str, str | None, str]:
    if isinstance(model, Sample):
        volume = "null" if model.counter_volume is None else format(model.counter_volume, ".15g")
        return "sample", model.counter_name, model.resource_id, f"{volume} {model.counter_unit}"
    return "event", model.event_type, model.message_id, f"{len(model.traits)} traits"


def format_table(rows: Sequence[Row], show_signature: bool) -> str:
    """A table of the decoded rows (none when nothing decoded), the totals, then one line per error.

    Origins show the file's name without its directory; the origin, id and
    signature columns are cut to fit, names never are. ``--json`` has it all.
    """
    header = ["origin", "kind", "name", "resource / id", "value", "unknown"]
    if show_signature:
        header.append("signature")
    table = []
    for row in rows:
        if row.model is None:
            continue
        kind, name, ident, value = _summary(row.model)
        line = [os.path.basename(row.origin), kind, name, ident, value, str(len(row.model.unknown_keys()))]
        if show_signature:
            line.append(row.signature)
        table.append(line)
    lines = [_table(header, table, right=(5,), shrink=(0, 3, 6)[: 3 if show_signature else 2]), ""] if table else []
    errors = [_error_line(r.origin, r.error) for r in rows if r.error is not None]
    lines.append(f"{len(table)} decoded, {len(errors)} undecodable" + _signature_totals(rows, show_signature))
    return "\n".join(lines + errors)


def _error_line(origin: str, error: DecodeError) -> str:
    if error.reason == EMPTY:
        return f"no samples or events in {origin}"
    return f"{origin}: cannot decode {error}"


def _signature_totals(rows: Sequence[Row], show_signature: bool) -> str:
    if not show_signature:
        return ""
    bad = sum(1 for r in rows if r.model is not None and not r.signature.startswith("valid"))
    return f", {bad} with a signature that does not verify"


def rows_as_json(rows: Sequence[Row]) -> list[dict]:
    """Rows as JSON-ready dicts: the wire dict as decoded, or the error."""
    out = []
    for row in rows:
        entry: dict[str, Any] = {"origin": row.origin, "path": row.path}
        if row.error is not None:
            entry["error"] = {"path": row.error.path, "reason": row.error.reason, "message": str(row.error)}
        elif row.model is not None:
            entry["kind"] = "sample" if isinstance(row.model, Sample) else "event"
            entry["wire"] = row.model.to_wire()
            entry["unknown_keys"] = row.model.unknown_keys()
            if row.signature:
                entry["signature"] = row.signature
        out.append(entry)
    return out


def command_decode(args: argparse.Namespace) -> int:
    if args.example and args.files:
        return refuse("decode", "--example decodes the capture bundled with ceilocompat and takes no FILE; "
                      "leave out --example to decode your files")
    if not args.files and not args.example:
        return refuse("decode", "give FILE arguments, '-' for standard input, or --example")
    if args.legacy and args.secret is None:
        return refuse("decode", "--legacy only changes how signatures are verified: give --secret too")
    inputs = example_inputs() if args.example else read_inputs(args.files)
    try:
        rows = list(decode_inputs(inputs, args.secret, args.legacy, args.max_body_bytes))
    except OSError as exc:
        return refuse("decode", str(exc))
    if args.json:
        print(json.dumps(rows_as_json(rows), indent=2, default=str))
    else:
        print(format_table(rows, args.secret is not None))
    failed = any(r.error is not None for r in rows)
    if args.secret is not None:
        failed = failed or any(r.model is not None and not r.signature.startswith("valid") for r in rows)
    return ExitCode.PROBLEMS if failed else ExitCode.OK


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``decode`` command to ``ceilocompat``'s subparsers."""
    decode = subparsers.add_parser(
        "decode",
        help="decode samples and events from files",
        description="Decode JSON, JSON Lines (.jsonl), msgpack, TCP publisher frames or RabbitMQ bodies.",
    )
    decode.add_argument("files", nargs="*", metavar="FILE", help="input files ('-' for standard input)")
    decode.add_argument("--example", action="store_true", help="decode the capture bundled with ceilocompat")
    decode.add_argument("--json", action="store_true", help="print JSON instead of a table")
    decode.add_argument("--secret", help="verify signatures with this telemetry_secret")
    decode.add_argument("--legacy", action="store_true", help=f"with --secret, also accept the {LEGACY_SIGNATURES}")
    decode.add_argument(
        "--max-body-bytes", type=positive_int, default=MAX_BODY_BYTES, metavar="N",
        help=f"refuse an input (a .jsonl line) larger than N bytes (default: {MAX_BODY_BYTES}, 64 MiB)",
    )
    decode.set_defaults(handler=command_decode)
    return decode

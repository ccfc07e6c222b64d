"""``ceilocompat decode``: the samples and events in files, standard input or the bundled example.

Reads JSON, JSON Lines, msgpack, TCP publisher frames or whole RabbitMQ
bodies and prints the samples and events in them as a table or JSON;
``--secret`` checks signatures; ``--example`` decodes the capture bundled
with the library.
"""

from __future__ import annotations

import argparse
import json
import sys
from importlib import resources
from typing import Any, Iterable, Iterator, Sequence

import attrs

from ceilocompat._documents import documents
from ceilocompat._envelope import loads
from ceilocompat._errors import DecodeError
from ceilocompat._payload import decode_batch
from ceilocompat._signing import verify_signature
from ceilocompat.cli.exit_codes import ExitCode
from ceilocompat.cli.tables import format_table as _table
from ceilocompat.models import Event, Sample

EXAMPLE_CAPTURE = "example-capture.jsonl"


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
    if name.endswith(".jsonl"):
        for number, line in enumerate(data.splitlines(), 1):
            if line.strip():
                yield f"{name}:{number}", line
    else:
        yield name, data


def decode_inputs(inputs: Iterable[tuple[str, bytes]], secret: str | None, legacy: bool) -> Iterator[Row]:
    """Decode every input into rows; bad input becomes a row with its error."""
    for origin, data in inputs:
        try:
            parsed = loads(data)
            for index, obj in enumerate(parsed):
                prefix = f"frame[{index}]" if len(parsed) > 1 else ""
                for path, payload, model, _note in documents(obj):
                    yield from _rows(origin, _join(prefix, path), payload, model, secret, legacy)
        except DecodeError as exc:
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
    if secret is None:
        return ""
    wire = item.received
    try:
        if verify_signature(wire, secret):
            return "valid"
        if legacy and verify_signature(wire, secret, legacy=True):
            return "valid (legacy)"
    except DecodeError as exc:
        return f"unverifiable: {exc.reason}"
    return "INVALID"


def _summary(model: Sample | Event) -> tuple[str, str, str, str]:
    if isinstance(model, Sample):
        volume = "null" if model.counter_volume is None else format(model.counter_volume, ".15g")
        return "sample", model.counter_name, model.resource_id, f"{volume} {model.counter_unit}"
    return "event", model.event_type, model.message_id, f"{len(model.traits)} traits"


def _time_of(model: Sample | Event) -> str:
    return model.timestamp if isinstance(model, Sample) else model.generated


def format_table(rows: Sequence[Row], show_signature: bool) -> str:
    """A plain-text table of decoded rows, errors listed after it."""
    header = ["origin", "kind", "name", "resource / id", "value", "time", "unknown keys"]
    if show_signature:
        header.append("signature")
    table = []
    for row in rows:
        if row.model is None:
            continue
        kind, name, ident, value = _summary(row.model)
        line = [row.origin, kind, name, ident, value, _time_of(row.model), str(len(row.model.unknown_keys()))]
        if show_signature:
            line.append(row.signature)
        table.append(line)
    lines = [_table(header, table, right=(6,), width=None)]
    errors = [f"{r.origin}: cannot decode {r.error}" for r in rows if r.error is not None]
    decoded = len(table)
    lines.append("")
    lines.append(f"{decoded} decoded, {len(errors)} undecodable" + _signature_totals(rows, show_signature))
    return "\n".join(lines + errors)


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
        if row.model is None:
            entry["error"] = {"path": row.error.path, "reason": row.error.reason, "message": str(row.error)}
        else:
            entry["kind"] = "sample" if isinstance(row.model, Sample) else "event"
            entry["wire"] = row.model.to_wire()
            entry["unknown_keys"] = row.model.unknown_keys()
            if row.signature:
                entry["signature"] = row.signature
        out.append(entry)
    return out


def command_decode(args: argparse.Namespace) -> int:
    if not args.files and not args.example:
        print("ceilocompat decode: give FILE arguments, '-' for standard input, or --example", file=sys.stderr)
        return ExitCode.USAGE
    inputs = example_inputs() if args.example else read_inputs(args.files)
    try:
        rows = list(decode_inputs(inputs, args.secret, args.legacy))
    except OSError as exc:
        print(f"ceilocompat decode: {exc}", file=sys.stderr)
        return ExitCode.USAGE
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
    decode.add_argument(
        "--legacy", action="store_true", help="also accept Python 2 era signatures (Ceilometer < 8.0.0)"
    )
    decode.set_defaults(handler=command_decode)
    return decode

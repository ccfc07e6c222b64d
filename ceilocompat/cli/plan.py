"""``ceilocompat plan``: print an upgrade path, check an inventory, fingerprint pipelines.

- ``ceilocompat plan [--path full|partial]`` prints the ordered steps of the
  path (default ``partial``), each with its conditions and what to verify
  after it.
- ``ceilocompat plan --inventory FILE [--path ...]`` checks a YAML or JSON
  inventory against the rules of the path; ``--example [NAME]`` checks an
  inventory bundled with ceilocompat.
- ``ceilocompat plan --fingerprint FILE...`` prints the canonical
  fingerprint of pipeline definitions, one line per file.

``--json`` prints the same as JSON. Exit status: 0 when all is well, 1 when
the inventory breaks a rule, 2 when an input cannot be read or is malformed.

>>> import contextlib, io
>>> from ceilocompat.cli import main
>>> out = io.StringIO()
>>> with contextlib.redirect_stdout(out):
...     status = main(["plan", "--example", "mid-upgrade"])
>>> status, out.getvalue().splitlines()[-1]
(0, 'no violations')
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib import resources
from typing import Any

from ceilocompat.cli.exit_codes import ExitCode, error
from ceilocompat.upgrade.inventory import InventoryError, load_inventory
from ceilocompat.upgrade.pipelines import FingerprintError, fingerprint_file
from ceilocompat.upgrade.plan import PATHS, check_inventory, format_path, path_as_dict
from ceilocompat.upgrade.rules import format_report, report_as_dict

__all__ = ["EXAMPLES", "command_plan", "example_path", "register"]

#: Inventories bundled in ``ceilocompat/upgrade/examples/inventory-<name>.yaml``.
EXAMPLES = ("mid-upgrade", "broken")


def example_path(name: str) -> str:
    """The file of a bundled example inventory.

    >>> example_path("broken").endswith("inventory-broken.yaml")
    True
    """
    if name not in EXAMPLES:
        raise ValueError(f"no example inventory {name!r} (known: {', '.join(EXAMPLES)})")
    return str(resources.files("ceilocompat.upgrade").joinpath("examples").joinpath(f"inventory-{name}.yaml"))


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2))


def _command_inventory(file: str, path: str, as_json: bool) -> int:
    try:
        inventory = load_inventory(file)
    except InventoryError as exc:
        error("plan", f"cannot check the inventory, {len(exc.problems)} problem(s):")
        print(str(exc), file=sys.stderr)
        return ExitCode.USAGE
    violations = check_inventory(inventory, path)
    if as_json:
        _print_json(report_as_dict(inventory, violations, path))
    else:
        print(format_report(inventory, violations, path))
    return ExitCode.PROBLEMS if violations else ExitCode.OK


def _command_fingerprint(files: Sequence[str], as_json: bool) -> int:
    results = []
    status = ExitCode.OK
    for file in files:
        try:
            results.append({"file": file, "fingerprint": fingerprint_file(file)})
        except FingerprintError as exc:
            error("plan", str(exc))
            status = ExitCode.USAGE
    if as_json:
        _print_json(results)
    else:
        for result in results:
            print(f"{result['fingerprint']}  {result['file']}")
        distinct = len({r["fingerprint"] for r in results})
        if len(results) > 1:
            print(f"{len(results)} files, {distinct} distinct fingerprint{'s' if distinct != 1 else ''}")
    return status


def command_plan(args: argparse.Namespace) -> int:
    """Run ``ceilocompat plan`` with parsed arguments."""
    path = args.path or "partial"
    if args.fingerprint:
        if args.path:
            error("plan", "--path has no meaning with --fingerprint")
            return ExitCode.USAGE
        return _command_fingerprint(args.fingerprint, args.json)
    if args.example:
        return _command_inventory(example_path(args.example), path, args.json)
    if args.inventory:
        return _command_inventory(args.inventory, path, args.json)
    if args.json:
        _print_json(path_as_dict(PATHS[path]))
    else:
        print(format_path(PATHS[path]))
    return ExitCode.OK


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``plan`` command to ``ceilocompat``'s subparsers."""
    plan = subparsers.add_parser(
        "plan",
        help="print an upgrade path, check an inventory against it, fingerprint pipelines",
        description=(
            "Print the ordered steps of the spec's full or partial upgrade path with what to verify "
            "after each, check an inventory of running services against the path's rules, or print "
            "canonical fingerprints of pipeline.yaml / event_pipeline.yaml files."
        ),
        epilog="Exit status: 0 all well, 1 the inventory breaks a rule, 2 an input cannot be read or is malformed.",
    )
    plan.add_argument("--path", choices=sorted(PATHS), help="upgrade path (default: partial)")
    mode = plan.add_mutually_exclusive_group()
    mode.add_argument("--inventory", metavar="FILE", help="check this YAML or JSON inventory against the path")
    mode.add_argument(
        "--example", nargs="?", const=EXAMPLES[0], choices=EXAMPLES,
        help=f"check an inventory bundled with ceilocompat (default: {EXAMPLES[0]})",
    )
    mode.add_argument(
        "--fingerprint", nargs="+", metavar="FILE", help="print the canonical fingerprint of pipeline files"
    )
    plan.add_argument("--json", action="store_true", help="print JSON instead of text")
    plan.set_defaults(handler=command_plan)
    return plan


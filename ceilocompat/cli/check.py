"""``ceilocompat check``: the additive-only checker on the command line.

Exit 0 with a summary of what was checked, 1 with one line per violation,
2 for a usage error (a model that does not import, a missing directory).
``--write-new-manifests`` then writes the manifest of every model version
that has none yet (released manifests are never touched).

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="ceilocompat")
>>> _ = register(parser.add_subparsers())
>>> args = parser.parse_args(["check", "--model", "ceilocompat:Sample"])
>>> [m.__wire__.name for m in args.models]
['sample']
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from typing import Any

from ceilocompat._errors import DecodeError
from ceilocompat.cli.exit_codes import ExitCode, error
from ceilocompat.evolution.checker import IncompatibleChange, check, write_new_manifests
from ceilocompat.evolution.manifest import PACKAGE_MANIFESTS, PACKAGE_MODELS, import_model
from ceilocompat.releases import known_release


def model_argument(spec: str) -> Any:
    """An argparse type: the wire model named ``package.module:Class``.

    >>> model_argument("ceilocompat.models:Event").__wire__.name
    'event'
    """
    try:
        return import_model(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def command_check(args: argparse.Namespace) -> int:
    models = args.models or PACKAGE_MODELS
    if args.models and args.manifests is None:
        error("check", "--model needs --manifests DIR (your models' own manifests)")
        return ExitCode.USAGE
    directory = args.manifests or PACKAGE_MANIFESTS
    try:
        if args.oldest_release is not None:
            known_release(args.oldest_release)
    except ValueError as exc:
        error("check", f"--oldest-release: {exc}")
        return ExitCode.USAGE
    try:
        if args.write_new_manifests:
            for path in write_new_manifests(models, directory, oldest_release=args.oldest_release):
                print(f"wrote {path}", file=sys.stderr)
        report = check(models, directory, oldest_release=args.oldest_release)
    except IncompatibleChange as exc:
        error("check", "not writing manifests, the models break released ones:")
        print("\n".join(str(v) for v in exc.violations))
        return ExitCode.PROBLEMS
    except (OSError, ValueError) as exc:  # DecodeError is a ValueError: a bad manifest file
        problem = "bad manifest" if isinstance(exc, DecodeError) else "cannot check"
        error("check", f"{problem}: {exc}")
        return ExitCode.USAGE
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    elif report.ok:
        print(report.summary())
    else:
        print("\n".join(str(v) for v in report.violations))
    return ExitCode.OK if report.ok else ExitCode.PROBLEMS


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``check`` command to a ``ceilocompat`` argument parser."""
    parser = subparsers.add_parser(
        "check",
        help="check that the models only added to their released manifests",
        description="Compare the live models with every released manifest; one line per violation.",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--manifests",
        type=pathlib.Path,
        metavar="DIR",
        help="manifest directory (default: ceilocompat's own; required with --model)",
    )
    parser.add_argument(
        "--model",
        dest="models",
        action="append",
        type=model_argument,
        metavar="MODULE:CLASS",
        help="a wire model to check instead of ceilocompat's own (repeatable)",
    )
    parser.add_argument(
        "--oldest-release",
        metavar="RELEASE",
        help="oldest Ceilometer release still running (e.g. 2024.1): "
        "deprecated fields whose drop_after is older may be gone",
    )
    parser.add_argument(
        "--write-new-manifests",
        action="store_true",
        help="after a clean check, write the manifests of model versions that have none",
    )
    parser.set_defaults(handler=command_check)
    return parser

"""``ceilocompat check``: the additive-only checker on the command line.

Exit 0 with a summary of what was checked, 1 with one line per violation,
2 for a usage error (a model that does not import, a missing directory).
``--write-new-manifests`` then writes the manifest of every model version
that has none yet (released manifests are never touched).

>>> import argparse
>>> parser = argparse.ArgumentParser(prog="ceilocompat")
>>> register(parser.add_subparsers())
>>> args = parser.parse_args(["check", "--model", "ceilocompat:Sample"])
>>> [m.__wire__.name for m in args.models]
['sample']
"""

from __future__ import annotations

import argparse
import importlib
import json
import pathlib
import sys
from typing import Any

from ceilocompat.checker import IncompatibleChange, check, write_new_manifests
from ceilocompat.errors import DecodeError
from ceilocompat.manifest import PACKAGE_MANIFESTS, PACKAGE_MODELS, schema_of

EXIT_OK, EXIT_VIOLATIONS, EXIT_USAGE = 0, 1, 2


def import_model(spec: str) -> Any:
    """Import a wire model named ``package.module:Class``.

    >>> import_model("ceilocompat.models:Event").__wire__.name
    'event'
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise argparse.ArgumentTypeError(f"{spec!r}: name a model as module:Class, e.g. mypackage.models:Reading")
    try:
        model = getattr(importlib.import_module(module_name), attribute)
        schema_of(model)
    except (ImportError, AttributeError, TypeError) as exc:
        raise argparse.ArgumentTypeError(f"{spec}: {exc}") from None
    return model


def command_check(args: argparse.Namespace) -> int:
    models = args.models or PACKAGE_MODELS
    if args.models and args.manifests is None:
        print("ceilocompat check: --model needs --manifests DIR (your models' own manifests)", file=sys.stderr)
        return EXIT_USAGE
    directory = args.manifests or PACKAGE_MANIFESTS
    try:
        if args.write_new_manifests:
            for path in write_new_manifests(models, directory, oldest_release=args.oldest_release):
                print(f"wrote {path}", file=sys.stderr)
        report = check(models, directory, oldest_release=args.oldest_release)
    except IncompatibleChange as exc:
        print("ceilocompat check: not writing manifests, the models break released ones:", file=sys.stderr)
        print("\n".join(str(v) for v in exc.violations))
        return EXIT_VIOLATIONS
    except (OSError, ValueError) as exc:  # DecodeError is a ValueError: a bad manifest file
        problem = "bad manifest" if isinstance(exc, DecodeError) else "cannot check"
        print(f"ceilocompat check: {problem}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    elif report.ok:
        print(report.summary())
    else:
        print("\n".join(str(v) for v in report.violations))
    return EXIT_OK if report.ok else EXIT_VIOLATIONS


def register(subparsers: Any) -> None:
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
        type=import_model,
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

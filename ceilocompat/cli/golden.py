"""``ceilocompat golden``: write the golden payloads of model versions that have none yet.

Existing golden files are never touched: once written, a golden payload is
kept forever and every later model must still decode it.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Any

from ceilocompat.cli.check import model_argument
from ceilocompat.cli.exit_codes import ExitCode, refuse
from ceilocompat.evolution.golden import DEFAULT_DIRECTORY, write_golden
from ceilocompat.evolution.manifest import PACKAGE_MODELS

__all__ = ["command_golden", "register"]


def command_golden(args: argparse.Namespace) -> int:
    """Run ``ceilocompat golden`` with parsed arguments."""
    try:
        written = write_golden(args.models or PACKAGE_MODELS, args.out)
    except (OSError, KeyError) as exc:
        return refuse("golden", str(exc))
    for path in written:
        print(f"wrote {path}")
    print(f"{len(written)} golden payloads written, existing ones kept", file=sys.stderr)
    return ExitCode.OK


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``golden`` command to ``ceilocompat``'s subparsers."""
    parser = subparsers.add_parser(
        "golden",
        help="write the golden payloads of model versions that have none",
        description="Write full, nulls and minimal golden payloads for every model version without them; "
        "existing files are never touched.",
    )
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_DIRECTORY, metavar="DIR",
                        help=f"golden corpus directory (default: {DEFAULT_DIRECTORY})")
    parser.add_argument("--model", dest="models", action="append", type=model_argument, metavar="MODULE:CLASS",
                        help="a wire model of your own instead of ceilocompat's (repeatable)")
    parser.set_defaults(handler=command_golden)
    return parser

"""``ceilocompat``: the argument parser and the entry point over every command.

>>> build_parser().prog
'ceilocompat'
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

from ceilocompat.cli import check, decode, golden, plan, rehearse
from ceilocompat.cli.exit_codes import ExitCode

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``ceilocompat`` parser with every command registered."""
    parser = argparse.ArgumentParser(
        prog="ceilocompat",
        description="Read, check and rehearse Ceilometer's message bus across releases.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (decode, check, plan, rehearse, golden):
        command.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ceilocompat`` with *argv* (default: the process arguments); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return ExitCode.USAGE
    try:
        return int(args.handler(args))
    except BrokenPipeError:  # e.g. ``ceilocompat plan | head``: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK

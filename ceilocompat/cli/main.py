"""``ceilocompat``: the argument parser and the entry point over every command.

Every error is one line on standard error, ``ceilocompat <command>: ...``;
a mistake in the arguments exits with :attr:`ExitCode.USAGE`. Warnings
logged by the libraries underneath (oslo.messaging retrying a broker host)
are one line each too (:mod:`ceilocompat.cli.logs`).

>>> build_parser().prog
'ceilocompat'
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import ceilocompat
from ceilocompat.cli import check, decode, environments, golden, matrix, plan, rehearse
from ceilocompat.cli.exit_codes import ExitCode
from ceilocompat.cli.logs import show_warnings_in_one_line

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, without the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The ``ceilocompat`` parser with every command registered."""
    parser = _Parser(
        prog="ceilocompat",
        description="Read, check and rehearse Ceilometer's message bus across releases.",
    )
    parser.add_argument("--version", action="version", version=f"ceilocompat {ceilocompat.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (decode, check, plan, rehearse, environments, matrix, golden):
        subparser = command.register(commands)
        subparser.set_defaults(parser=subparser)  # to report stray arguments as that command's
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``ceilocompat`` with *argv* (default: the process arguments); return the exit status."""
    parser = build_parser()
    args, stray = parser.parse_known_args(argv)
    if stray:
        getattr(args, "parser", parser).error(f"unrecognized arguments: {' '.join(stray)}")
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return ExitCode.USAGE
    show_warnings_in_one_line()
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:  # Ctrl-C: what was started has been stopped on the way out
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # e.g. ``ceilocompat plan | head``: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK

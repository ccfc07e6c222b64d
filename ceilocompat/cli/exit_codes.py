"""The exit status of every ``ceilocompat`` command, one meaning per number, and its error lines.

>>> [(code.name, int(code)) for code in ExitCode]
[('OK', 0), ('PROBLEMS', 1), ('USAGE', 2), ('INTERRUPTED', 130)]
>>> import contextlib, io
>>> with contextlib.redirect_stderr(io.StringIO()) as err:
...     status = refuse("decode", "give FILE arguments")
>>> int(status), err.getvalue()
(2, 'ceilocompat decode: give FILE arguments\\n')
"""

from __future__ import annotations

import enum
import sys

__all__ = ["ExitCode", "error", "refuse"]


class ExitCode(enum.IntEnum):
    """What a command's exit status says."""

    #: Everything checked is as it should be.
    OK = 0
    #: The command ran and found problems: undecodable input, signatures that
    #: do not verify, broken rules or contracts, samples lost in a rehearsal.
    PROBLEMS = 1
    #: The command could not do what was asked: bad arguments, an input that
    #: cannot be read or is not what the command takes, an unreachable broker.
    USAGE = 2
    #: Interrupted (Ctrl-C, SIGINT), as shells report it: 128 + 2.
    INTERRUPTED = 130


def error(command: str, message: str) -> None:
    """Say what went wrong in one line on standard error: ``ceilocompat <command>: <message>``."""
    print(f"ceilocompat {command}: {message}", file=sys.stderr)


def refuse(command: str, message: str) -> ExitCode:
    """:func:`error`, then :attr:`ExitCode.USAGE` to return: the command could not do what was asked."""
    error(command, message)
    return ExitCode.USAGE

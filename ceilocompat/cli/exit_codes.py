"""The exit status of every ``ceilocompat`` command: one meaning per number.

>>> [(code.name, int(code)) for code in ExitCode]
[('OK', 0), ('PROBLEMS', 1), ('USAGE', 2)]
"""

from __future__ import annotations

import enum

__all__ = ["ExitCode"]


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

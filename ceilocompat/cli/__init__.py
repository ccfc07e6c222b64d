"""The ``ceilocompat`` command line: one module per command, one exit-code enum, one table printer.

>>> from ceilocompat.cli import ExitCode, main
>>> int(ExitCode.USAGE)
2
"""

from ceilocompat.cli.exit_codes import ExitCode
from ceilocompat.cli.main import build_parser, main

__all__ = ["ExitCode", "build_parser", "main"]

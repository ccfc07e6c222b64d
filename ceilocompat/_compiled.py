"""Whether ceilocompat runs its compiled accelerators, where they were built.

The pure-Python implementations are the reference and the fallback;
``CEILOCOMPAT_PURE_PYTHON=1`` (any value but empty or ``0``), set before
ceilocompat is imported, chooses them everywhere.

>>> pure_python_forced() in (True, False)
True
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def pure_python_forced() -> bool:
    """True when ``CEILOCOMPAT_PURE_PYTHON`` asks for the pure-Python implementations."""
    return os.environ.get("CEILOCOMPAT_PURE_PYTHON", "") not in ("", "0")


def compiled_module(name: str) -> ModuleType | None:
    """The compiled module ``ceilocompat.<name>``, or None where it was not built.

    Whatever ``CEILOCOMPAT_PURE_PYTHON`` says, so that tests can compare
    both implementations in one run.

    >>> compiled_module("no_such_accelerator") is None
    True
    """
    try:
        return importlib.import_module(f"ceilocompat.{name}")
    except ImportError:
        return None

"""Whether ceilocompat runs its compiled accelerators, where they were built.

The pure-Python implementations are the reference and the fallback;
``CEILOCOMPAT_PURE_PYTHON=1`` (any value but empty or ``0``), set before
ceilocompat is imported, chooses them everywhere.

>>> pure_python_forced() in (True, False)
True
"""

from __future__ import annotations

import os


def pure_python_forced() -> bool:
    """True when ``CEILOCOMPAT_PURE_PYTHON`` asks for the pure-Python implementations."""
    return os.environ.get("CEILOCOMPAT_PURE_PYTHON", "") not in ("", "0")

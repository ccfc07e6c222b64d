"""Importing ceilocompat prints nothing: a library must not write to the terminal of its users.

oslo.messaging imports eventlet, which announces its own deprecation on
import with a nine-line warning; ``ceilocompat._messaging`` silences that one
notice. Each import runs in a fresh interpreter with Python's default warning
filters (no ``PYTHONWARNINGS``), as ``python -c "import ..."`` would.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import subprocess_env

PUBLIC_MODULES = [
    "ceilocompat",
    "ceilocompat.models",
    "ceilocompat.routing",
    "ceilocompat.partitioning",
    "ceilocompat.releases",
    "ceilocompat.evolution",
    "ceilocompat.pytest_plugin",
    "ceilocompat.testing",
    "ceilocompat.testing.fixtures",
    "ceilocompat.upgrade",
    "ceilocompat.upgrade.rehearsal",
    "ceilocompat.cli",
]

CODE = {f"import {module}": f"import {module}" for module in PUBLIC_MODULES}
# The names that need oslo.messaging are loaded on first use: that import must be quiet too.
CODE["ceilocompat.CompatEndpoint (lazy)"] = "import ceilocompat; ceilocompat.CompatEndpoint"
CODE["ceilocompat.Publisher (lazy)"] = "import ceilocompat; ceilocompat.Publisher"


def quiet_env() -> dict[str, str]:
    env = subprocess_env()
    env.pop("PYTHONWARNINGS", None)  # Python's default filters, not the caller's
    return env


@pytest.mark.parametrize("code", list(CODE.values()), ids=list(CODE))
def test_import_prints_nothing(code):
    result = subprocess.run([sys.executable, "-c", code], env=quiet_env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == ""
    assert result.stderr == ""


def test_the_lazy_import_does_load_oslo_messaging():
    """The lazy case above is not vacuous: touching a consumer name imports oslo.messaging (and eventlet)."""
    code = ("import sys, ceilocompat; before = 'oslo_messaging' in sys.modules; ceilocompat.CompatEndpoint; "
            "print(before, 'oslo_messaging' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], env=quiet_env(), capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.split() == ["False", "True"], result.stderr[-3000:]

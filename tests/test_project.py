"""The README's commands are the ones CI runs and they work."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    set_up = text.split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", set_up, re.S)


def test_readme_starts_with_install_main_and_test_commands():
    install, main, tests = readme_commands()[:3]
    assert "pip install" in install
    assert main.startswith("ceilocompat ")
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert tests in [line.strip() for line in ci], "CI must run exactly the README's test command"


def test_readme_main_command_runs():
    main = readme_commands()[1]
    args = re.findall(r"'[^']*'|\S+", main)[1:]
    result = subprocess.run(
        [sys.executable, "-m", "ceilocompat", *[a.strip("'") for a in args]], capture_output=True, timeout=300
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    assert b"nothing lost" in result.stdout
    assert b"Traceback" not in result.stderr

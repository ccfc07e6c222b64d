"""The README's commands are the ones CI runs and they work."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import yaml

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


def test_pre_commit_runs_the_lint_and_type_checks_of_the_test_command():
    tests = readme_commands()[2]
    checks = [command for command in tests.split(" && ") if command.split()[0] in ("ruff", "mypy")]
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    entries = [hook["entry"] for repo in config["repos"] for hook in repo["hooks"]]
    assert checks, "the README's test command runs ruff and mypy"
    assert entries == checks, "pre-commit must run the same ruff and mypy commands as the README's test command"


def test_ci_builds_installs_and_uses_the_wheel():
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert "bash .ci/wheel-smoke" in ci
    assert ci.index("bash .ci/wheel-smoke") < ci.index(readme_commands()[2])

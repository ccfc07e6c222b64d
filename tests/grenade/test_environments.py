"""Release environments: which recipe a release gets, and what a build records."""

from __future__ import annotations

import json
import pathlib

import pytest

from ceilocompat.grenade import environments
from ceilocompat.grenade.environments import build_environment, candidate_recipes, series_of

ALL = {f"3.{minor}": f"/py/3.{minor}" for minor in range(6, 14)}


@pytest.mark.parametrize("release, series", [
    ("9.0.7", "pike"), ("12.1.1", "stein"), ("13.1.2", "train"), ("19.1.0", "zed"), ("20.0.0", "2023.1"),
    ("21.0.1", "2023.2"), ("24.0.2", "2025.1"), ("26.0.0", "2026.1"), ("27.0.0", "master"),
])
def test_each_release_installs_with_its_series_constraints(release, series):
    assert series_of(release) == series
    assert (environments.constraints_dir() / f"{series}.txt").is_file(), "../shared/openstack-constraints"


def test_a_release_first_tries_an_interpreter_its_series_supports_then_the_fallbacks():
    recipes = candidate_recipes("17.0.0", ALL)
    assert [(r.python, r.series) for r in recipes] == [("3.9", "xena"), ("3.11", "xena"), ("3.11", None)]
    assert [(r.python, r.series, r.pins) for r in candidate_recipes("12.0.0", ALL)][-1] == (
        "3.11", None, ("oslo.utils<5.1",))
    only_311 = candidate_recipes("13.0.0", {"3.11": "/py/3.11"})
    assert [(r.python, r.series) for r in only_311] == [("3.11", "train"), ("3.11", None)]
    assert candidate_recipes("17.0.0", {}) == []


def test_a_release_without_interpreter_fails_with_the_reason_and_is_remembered(tmp_path):
    env = build_environment("17.0.0", root=tmp_path, interpreters={})
    assert not env.ok and "no Python 3 interpreter" in env.reason
    assert json.loads((tmp_path / "17.0.0" / "failed.json").read_text())["ok"] is False
    again = build_environment("17.0.0", root=tmp_path, interpreters=ALL)  # not retried without rebuild
    assert not again.ok and again.reason == env.reason


def test_the_constraints_file_drops_only_the_ceilometer_line(tmp_path):
    written = environments._constraints_without_ceilometer("2023.1", tmp_path)
    text = written.read_text()
    assert "ceilometer===" not in text and "ceilometermiddleware===" in text and "oslo.messaging===" in text


@pytest.mark.parametrize("output, line", [
    ("Collecting x\nERROR: No matching distribution found for grpcio==1.15.0\n",
     "ERROR: No matching distribution found for grpcio==1.15.0"),
    ("Traceback (most recent call last):\n  File ...\nImportError: cannot import name 'md5' from "
     "'oslo_utils.secretutils'\n", "ImportError: cannot import name 'md5' from 'oslo_utils.secretutils'"),
    ("", "failed without output"),
])
def test_a_failed_build_is_told_in_one_line(output, line):
    assert environments._last_error(output) == line


@pytest.mark.parametrize("content", ["[]", "{}", "not json"])
def test_a_damaged_cache_entry_is_no_crash(tmp_path, content):
    (tmp_path / "17.0.0").mkdir()
    (tmp_path / "17.0.0" / "failed.json").write_text(content)
    env = build_environment("17.0.0", root=tmp_path, interpreters={})
    assert env.release == "17.0.0" and not env.ok


WITH_27 = {"2.7": "/py/2.7", **ALL}


@pytest.mark.parametrize("release, series", [
    ("8.1.5", "ocata"), ("9.0.6", "pike"), ("9.0.7", "pike"), ("10.0.1", "queens"), ("11.0.0", "rocky"),
    ("11.1.0", "rocky"),
])
def test_releases_before_12_get_their_series_under_3_6_then_2_7_and_no_fallback(release, series):
    recipes = candidate_recipes(release, WITH_27)
    assert [(r.python, r.interpreter, r.series, r.pins) for r in recipes] == [
        ("3.6", "/py/3.6", series, ()), ("2.7", "/py/2.7", series, ())]
    assert [(r.python, r.series) for r in candidate_recipes(release, {"2.7": "/py/2.7", "3.11": "/py/3.11"})] == [
        ("2.7", series)]
    assert candidate_recipes(release, {"3.11": "/py/3.11", "3.7": "/py/3.7"}) == []


def test_releases_from_12_keep_their_recipes_when_2_7_is_there():
    assert candidate_recipes("12.0.0", WITH_27) == candidate_recipes("12.0.0", ALL)
    assert [r.python for r in candidate_recipes("12.0.0", WITH_27)] == ["3.6", "3.11", "3.11"]


def test_an_old_release_without_its_interpreters_says_which_it_needs(tmp_path):
    env = build_environment("9.0.7", root=tmp_path, interpreters={"3.11": "/py/3.11"})
    assert not env.ok and env.reason == "no Python 3.6 or 2.7 interpreter for this release on this machine"
    assert json.loads((tmp_path / "9.0.7" / "failed.json").read_text())["reason"] == env.reason


def _fake_python(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def test_python_2_7_is_found_beside_python_3_and_the_first_directory_wins(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    py27 = _fake_python(first / "python2.7")
    py36 = _fake_python(first / "python3.6")
    for name in ("python2.7", "python3.6", "python3.9", "python2", "python2.6", "python3.6-config", "python3.6m"):
        _fake_python(second / name)
    (second / "python3.9").chmod(0o644)  # not executable
    found = environments.find_interpreters([str(first), str(second)])
    assert found == {"2.7": py27, "3.6": py36}
    assert list(found) == ["2.7", "3.6"]


def test_the_pyenv_root_is_searched_for_2_7_before_path(tmp_path, monkeypatch):
    for version in ("2.7.18", "3.6.15", "3.11.7"):
        (tmp_path / "versions" / version / "bin").mkdir(parents=True)
    (tmp_path / "versions" / "2.6.9" / "bin").mkdir(parents=True)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("PATH", "/somewhere/bin")
    dirs = environments._interpreter_dirs()
    assert dirs == [str(tmp_path / "versions" / v / "bin") for v in ("2.7.18", "3.11.7", "3.6.15")] + [
        "/somewhere/bin"]


@pytest.mark.parametrize("release, manager", [
    ("8.1.5", "ceilometer.agent.manager"), ("9.0.7", "ceilometer.agent.manager"),
    ("10.0.1", "ceilometer.polling.manager"), ("11.1.0", "ceilometer.polling.manager"),
    ("27.0.0", "ceilometer.polling.manager"),
])
def test_the_probe_imports_each_layouts_polling_manager(release, manager):
    modules = environments.agent_modules(release)
    assert manager in modules and "ceilometer.notification" in modules
    assert {"ceilometer.agent.manager", "ceilometer.polling.manager"} & set(modules) == {manager}
    assert repr(modules) in environments._probe_code(release)


@pytest.mark.parametrize("release, python, tools", [
    ("8.1.5", "2.7", ("pip<21", "setuptools<45", "wheel<0.38")),
    ("9.0.7", "3.6", ("pip<22", "setuptools<46", "wheel<0.38")),
    ("12.0.0", "3.6", ("pip<22", "setuptools<60", "wheel<0.38")),
    ("13.1.2", "3.7", ("pip<24.1", "setuptools<68", "wheel<0.43")),
])
def test_old_series_get_packaging_tools_that_still_build_their_sdists(release, python, tools):
    recipe = environments.Recipe(release, python, f"/py/{python}", series_of(release))
    assert environments.packaging_tools(recipe) == tools


def _record_commands(monkeypatch):
    commands = []

    class Done:
        returncode, stdout, stderr = 0, "", ""

    def run(command, **kwargs):
        commands.append(command)
        return Done()

    monkeypatch.setattr(environments.subprocess, "run", run)
    return commands


def test_a_2_7_environment_is_made_by_the_tools_virtualenv_not_venv(tmp_path, monkeypatch):
    commands = _record_commands(monkeypatch)
    made = []
    monkeypatch.setattr(environments, "_virtualenv", lambda root, timeout: made.append(root) or ("/tools/python", ""))
    recipe = environments.Recipe("8.1.5", "2.7", "/py/2.7", "ocata")
    assert environments._install(tmp_path / "8.1.5", recipe, 60) is None
    assert made == [tmp_path]
    assert commands[0] == ["/tools/python", "-m", "virtualenv", "--quiet", "--no-periodic-update", "-p", "/py/2.7",
                           str(tmp_path / "8.1.5")]
    assert commands[1][-3:] == ["pip<21", "setuptools<45", "wheel<0.38"]
    assert commands[2][-3:-1] == ["ceilometer==8.1.5", "-c"]
    assert "ceilometer===" not in (tmp_path / "8.1.5" / "upper-constraints.txt").read_text()


def test_a_3_6_environment_of_an_old_series_is_made_by_venv(tmp_path, monkeypatch):
    commands = _record_commands(monkeypatch)
    monkeypatch.setattr(environments, "_virtualenv", lambda root, timeout: pytest.fail("no virtualenv for 3.6"))
    recipe = environments.Recipe("9.0.7", "3.6", "/py/3.6", "pike")
    assert environments._install(tmp_path / "9.0.7", recipe, 60) is None
    assert commands[0] == ["/py/3.6", "-m", "venv", str(tmp_path / "9.0.7")]
    assert "setuptools<46" in commands[1]


def test_the_tools_that_make_2_7_environments_are_made_once_and_their_failure_is_told(tmp_path, monkeypatch):
    commands = _record_commands(monkeypatch)

    def made(command, **kwargs):
        commands.append(command)
        if command[1:3] == ["-m", "venv"]:
            _fake_python(pathlib.Path(command[3]) / "bin" / "python")
        return type("Done", (), {"returncode": 0, "stdout": "", "stderr": ""})()

    monkeypatch.setattr(environments.subprocess, "run", made)
    python, error = environments._virtualenv(tmp_path, 60)
    assert (python, error) == (str(environments.tools_dir(tmp_path) / "bin" / "python"), "")
    assert environments.tools_dir(tmp_path).parent == tmp_path / ".tools"
    assert commands[1][-1] == "virtualenv<20.22" and len(commands) == 2
    assert environments._virtualenv(tmp_path, 60) == (python, "") and len(commands) == 2  # kept

    def fails(command, **kwargs):
        return type("Done", (), {"returncode": 1, "stdout": "", "stderr": "ERROR: no virtualenv here\n"})()

    monkeypatch.setattr(environments.subprocess, "run", fails)
    python, error = environments._virtualenv(tmp_path / "other", 60)
    assert python is None and error == "cannot make the Python 2.7 tools (virtualenv<20.22): ERROR: no virtualenv here"


@pytest.mark.skipif("2.7" not in environments.find_interpreters(), reason="no python2.7 on this machine")
def test_the_probe_and_the_polling_script_are_python_2_7(tmp_path):
    import shutil
    import subprocess

    python27 = environments.find_interpreters()["2.7"]
    script = tmp_path / "release_polling.py"
    shutil.copy(pathlib.Path(environments.__file__).with_name("release_polling.py"), script)
    probe = tmp_path / "probe.py"
    probe.write_text(environments._probe_code("8.1.5"))
    done = subprocess.run([python27, "-c", "import sys, py_compile\nfor f in sys.argv[1:]: py_compile.compile(f, "
                           "doraise=True)", str(script), str(probe)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "ceilocompat" not in script.read_text().split('"""', 2)[2]

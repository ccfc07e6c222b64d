"""Release environments: which recipe a release gets, and what a build records."""

from __future__ import annotations

import json

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

"""The spec's upgrade paths as data, and ``ceilocompat plan`` on them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ceilocompat.routing import EVENT_ROUTE, POLLING_ROUTE, SAMPLE_ROUTE
from ceilocompat.upgrade import plan
from ceilocompat.upgrade.plan import PATHS, Action, Condition
from ceilocompat.upgrade.rules import RULES, Rule
from ceilocompat.upgrade.services import SERVICES, consumers_of, service_named

SPEC = Path(__file__).resolve().parents[3] / "shared" / "seed" / "rolling-upgrades.rst"
SPEC_ORDER = ["database", "collector", "notification-agent", "polling-agent", "api"]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ceilocompat", *args], capture_output=True, text=True, timeout=120)


def test_the_spec_services_in_its_advised_order():
    assert [s.name for s in SERVICES] == SPEC_ORDER
    for path in PATHS.values():
        assert [step.service.name for step in path.steps] == SPEC_ORDER


def test_full_path_replaces_and_partial_path_adds_alongside():
    assert [s.action for s in PATHS["full"].steps] == [Action.MIGRATE] + [Action.REPLACE] * 4
    # The api is behind WSGI: only ever one version, even in the partial path.
    expected = [Action.MIGRATE, *[Action.ADD_ALONGSIDE] * 3, Action.REPLACE]
    assert [s.action for s in PATHS["partial"].steps] == expected


def test_every_step_says_what_to_verify_after_it():
    for path in PATHS.values():
        for step in path.steps:
            assert step.checks, f"{path.name}: {step.service.name} has no checks"
            assert step.summary


def test_only_the_api_may_be_upgraded_at_any_time():
    assert [s.service.name for s in PATHS["full"].steps if s.any_time] == ["api"]


def test_full_path_polling_step_keeps_the_spec_checks():
    step = PATHS["full"].step_for("polling-agent")
    assert "Polling agents on all hosts are stopped." in step.preconditions
    assert any("data is again being polled" in check for check in step.checks)


def test_partial_path_conditions_name_the_rules_that_check_them():
    partial = PATHS["partial"]
    assert "database-first" in {c.rule.id for c in partial.step_for("database").conditions}
    notification = {c.rule.id for c in partial.step_for("notification-agent").conditions}
    expected = {"notification-pipeline-mismatch", "partition-queues", "unpinned-producer", "strict-consumer"}
    assert expected <= notification
    polling = {c.rule.id for c in partial.step_for("polling-agent").conditions}
    assert {"polling-group-shared", "polling-pollsters-overlap"} <= polling
    assert [c.rule.id for c in partial.step_for("api").conditions] == ["api-single-version"]
    assert "advisable" in partial.notes[0] and "database be upgraded first" in partial.notes[0]
    assert "poll both the new pollsters and the old ones" in partial.step_for("polling-agent").follow_up


def test_rules_of_each_path():
    assert [r.id for r in PATHS["full"].rules] == [
        "database-first", "strict-consumer", "full-path-mixed-releases", "full-path-order"]
    assert "full-path-order" not in {r.id for r in PATHS["partial"].rules}
    named = {r.id for path in PATHS.values() for r in path.rules}
    assert named == set(RULES), "a rule no path names would never be checked"


def test_every_rule_has_its_check_beside_it():
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id and isinstance(rule, Rule) and callable(rule.check)
        assert rule.source in ("spec", "wire", "ceilocompat") and rule.fix and rule.title


def test_conditions_name_rule_objects_of_the_registry():
    for path in PATHS.values():
        for step in path.steps:
            for condition in step.conditions:
                assert isinstance(condition, Condition)
                assert condition.rule is None or RULES[condition.rule.id] is condition.rule


def test_who_consumes_whom_comes_from_the_routes():
    assert [s.name for s in consumers_of(service_named("polling-agent"))] == ["notification-agent"]
    assert [s.name for s in consumers_of(service_named("notification-agent"))] == ["collector"]
    assert consumers_of(service_named("collector")) == ()
    assert service_named("notification-agent").consumes == (POLLING_ROUTE,)
    assert set(service_named("collector").consumes) == {SAMPLE_ROUTE, EVENT_ROUTE}


@pytest.mark.parametrize("spelling, name", [
    ("ceilometer-polling", "polling-agent"), ("Polling Agent", "polling-agent"),
    ("notification_agent", "notification-agent"), ("ceilometer-collector", "collector"), ("DB", "database"),
])
def test_service_spellings(spelling, name):
    assert service_named(spelling).name == name


def test_step_for_an_unknown_service():
    with pytest.raises(KeyError, match="unknown service 'scheduler'"):
        PATHS["full"].step_for("scheduler")


@pytest.mark.skipif(not SPEC.exists(), reason="the seed spec is not beside the checkout")
def test_the_spec_text_is_where_the_data_comes_from():
    spec = " ".join(SPEC.read_text().split())
    assert "you should verify that data is again being polled" in spec
    assert "only ever one version of API service running" in spec
    assert "in its own partitioning group and poll only the new pollsters" in spec


def test_plan_full_prints_numbered_steps_with_checks():
    result = run("plan", "--path", "full")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    heads = [line for line in out.splitlines() if line[:1].isdigit()]
    assert [h.split(" (")[0] for h in heads] == ["1. database: migrate", "2. collector: replace",
                                                 "3. notification-agent: replace", "4. polling-agent: replace",
                                                 "5. api: replace"], "the steps' labels, as a rehearsal names them"
    assert "stop every old instance, then start the new release" in heads[1]
    assert out.count("verify after:") == 5
    assert "(at any point)" in heads[4]


def test_plan_defaults_to_the_partial_path():
    result = run("plan")
    assert result.returncode == 0
    assert result.stdout.startswith("Partial upgrade of services (partial path)")
    assert "start the new release alongside the old one" in result.stdout
    assert "[polling-group-shared]" in result.stdout


def test_plan_json_is_the_path_data():
    result = run("plan", "--path", "partial", "--json")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert data == json.loads(json.dumps(plan.path_as_dict(PATHS["partial"])))
    assert [s["service"] for s in data["steps"]] == SPEC_ORDER
    assert data["steps"][3]["follow_up"].startswith("After all old agents are upgraded")
    assert all(s["checks"] for s in data["steps"])


def test_plan_rejects_an_unknown_path():
    result = run("plan", "--path", "sideways")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "Traceback" not in result.stderr


def test_plan_help_is_registered_in_the_main_parser():
    from ceilocompat.cli import build_parser

    help_text = build_parser().format_help()
    assert "plan" in help_text and "decode" in help_text

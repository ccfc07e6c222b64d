"""Each rule of ceilocompat.upgrade.rules, broken alone; clean inventories break none."""

from __future__ import annotations

import json

import pytest

from ceilocompat.cli.plan import example_path
from ceilocompat.models import Sample, model_version
from ceilocompat.releases import parse_release
from ceilocompat.upgrade.inventory import load_inventory
from ceilocompat.upgrade.plan import check_inventory
from ceilocompat.upgrade.rules import RULES
from inventories import BROKEN, CLEAN, hosts, notif, poller, svc, violations


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_an_inventory_breaking_one_rule_reports_exactly_that_rule(case, folder):
    rule, path, data, phrase = BROKEN[case]
    found = violations(data, folder, path)
    assert {v.rule.id for v in found} == {rule}, [v.reason for v in found]
    assert any(phrase in v.reason for v in found), [v.reason for v in found]


def test_every_rule_has_an_inventory_that_breaks_it():
    assert {rule for rule, *_ in BROKEN.values()} == set(RULES)


@pytest.mark.parametrize("case", sorted(CLEAN))
def test_clean_inventories_report_nothing(case, folder):
    path, data = CLEAN[case]
    assert violations(data, folder, path) == []


def test_the_bundled_clean_example_has_no_violations():
    inventory = load_inventory(example_path("mid-upgrade"))
    assert len(inventory.instances) == 9 and inventory.hosts == ["ctl-1", "ctl-2", "compute-1"]
    assert check_inventory(inventory) == []
    # Its two partitioning agents are compared on equal pipelines written differently.
    first, second = (i for i in inventory.instances if i.workload_partitioning)
    assert first.pipeline != second.pipeline and first.pipeline_fingerprint == second.pipeline_fingerprint


def test_the_bundled_broken_example_breaks_the_partial_path_rules():
    found = check_inventory(load_inventory(example_path("broken")))
    assert {v.rule.id for v in found} == {"database-first", "notification-pipeline-mismatch", "partition-queues",
                                       "polling-group-shared", "unpinned-producer"}


def test_a_violation_names_every_instance_involved(folder):
    found = violations(hosts(a=[notif("9.0.0", "a.yaml")], b=[notif("10.0.0", "a.yaml"), notif("10.0.0", "a2.yaml",
                                                                                              name="b2")]), folder)
    assert [(v.rule.id, v.subjects) for v in found] == [("partition-queues", ("b/notification-agent", "b2",
                                                                           "a/notification-agent"))]


def test_releases_map_to_sample_versions_through_the_model_data():
    # 7.1.0 and 8.1.0 got monotonic_time by backport, 18.1.0 and 19.1.0 user_name/project_name
    # (ModelVersion.also_in); a backport reaches the later point releases of its series only.
    assert [model_version(Sample, r) for r in ("7.0.5", "7.1.0", "7.1.1", "8.0.0", "8.1.5", "9.0.0")] == [
        "1.0", "1.1", "1.1", "1.0", "1.1", "1.1"]
    assert [model_version(Sample, r) for r in ("18.0.0", "18.1.0", "18.2.3", "19.0.0", "19.1.0", "2023.1")] == [
        "1.1", "1.2", "1.2", "1.1", "1.2", "1.2"]
    assert parse_release("2015.1.0").key == (4, 0, 0) and parse_release("yoga").key == (18, 0, 0)
    assert parse_release("10.0.0.0rc1") == parse_release("10.0.0")


def test_json_inventory_with_relative_pipelines(folder):
    (folder / "sub").mkdir()
    (folder / "sub" / "inv.json").write_text(json.dumps(hosts(
        a=[notif("7.0.0", "../a.yaml")], b=[notif("9.0.0", "../b.yaml")])))
    inventory = load_inventory(folder / "sub" / "inv.json")
    assert [v.rule.id for v in check_inventory(inventory)] == ["notification-pipeline-mismatch"]


@pytest.mark.parametrize("agent, strict", [
    ("18.0.0", False), ("18.1.0", True), ("19.0.0", False), ("19.1.0", True), ("20.0.0", False),
    ("21.0.0", True), ("21.0.1", True), ("22.0.0", False), ("27.0.0", False),
])
def test_strict_readers_are_the_releases_that_really_lose_old_batches(agent, strict, folder):
    """What the releases' own agents do with a 17.0.0 polling batch (tests/grenade/test_real_services.py)."""
    found = violations(hosts(ctl=[svc("database", agent), svc("notification-agent", agent)],
                             compute=[poller("17.0.0", ["cpu"])]), folder)
    assert [v.rule.id for v in found] == (["strict-consumer"] if strict else [])


def test_only_rules_whose_breach_loses_items_on_the_bus_say_so():
    from ceilocompat.grenade.matrix import predicted_loss

    assert sorted(r.id for r in RULES.values() if r.loses_data) == [
        "notification-pipeline-mismatch", "partition-queues", "strict-consumer"]
    # a 27.0.0 polling agent beside a 17.0.0 agent breaks unpinned-producer, which real agents tolerate
    assert predicted_loss("27.0.0", "17.0.0") == [] and predicted_loss("17.0.0", "21.0.1") == ["strict-consumer"]

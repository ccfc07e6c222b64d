"""Inventory checks: each rule broken alone, clean inventories, malformed ones."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from ceilocompat.cli.plan import example_path
from ceilocompat.upgrade.inventory import InventoryError, load_inventory, parse_inventory
from ceilocompat.upgrade.plan import check_inventory
from ceilocompat.upgrade.rules import RULES
from ceilocompat.models import model_version
from ceilocompat.releases import parse_release
from ceilocompat.models import Sample

PIPELINE_A = """
sources: [{name: meter_source, meters: ['*'], sinks: [meter_sink]}]
sinks: [{name: meter_sink, publishers: ['notifier://']}]
"""
# The same pipelines as A, written another way.
PIPELINE_A2 = """
# reformatted
sinks:
  - publishers: [notifier://]
    name: meter_sink
sources:
  - name: meter_source
    sinks: [meter_sink]
    meters: ["*"]
"""
PIPELINE_B = """
sources: [{name: meter_source, meters: ['*', '!cpu'], sinks: [meter_sink]}]
sinks: [{name: meter_sink, publishers: ['notifier://']}]
"""
EVENTS_A = "sources: [{name: e, events: ['*'], sinks: [s]}]\nsinks: [{name: s, publishers: [notifier://]}]"
EVENTS_B = "sources: [{name: e, events: ['image.*'], sinks: [s]}]\nsinks: [{name: s, publishers: [notifier://]}]"


def svc(service: str, release: str, **settings) -> dict:
    return {"service": service, "release": release, **settings}


def notif(release: str, pipeline: str | None = None, **settings) -> dict:
    if pipeline is not None:
        settings.update(workload_partitioning=True, pipeline=pipeline)
    return svc("notification-agent", release, **settings)


def poller(release: str, pollsters: list[str], namespaces=("central",), **settings) -> dict:
    return svc("polling-agent", release, pollsters=list(pollsters), namespaces=list(namespaces), **settings)


def hosts(**services: list[dict]) -> dict:
    return {"hosts": [{"name": name, "services": entries} for name, entries in services.items()]}


@pytest.fixture
def folder(tmp_path):
    for name, text in {"a.yaml": PIPELINE_A, "a2.yaml": PIPELINE_A2, "b.yaml": PIPELINE_B,
                       "ea.yaml": EVENTS_A, "eb.yaml": EVENTS_B}.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def violations(data: dict, folder, path: str = "partial"):
    return check_inventory(parse_inventory(data, str(folder)), path)


# Each inventory breaks exactly one rule: (rule, path, inventory, a phrase of the reason).
BROKEN = {
    "database-first": ("database-first", "partial", hosts(
        ctl=[svc("database", "9.0.0"), svc("collector", "10.0.0")]), "the database (ctl/database) is still at 9.0.0"),
    "pipeline-mismatch": ("notification-pipeline-mismatch", "partial", hosts(
        a=[svc("database", "9.0.0"), notif("7.0.0", "a.yaml")], b=[notif("9.0.0", "b.yaml")]),
        "pipeline configuration differs"),
    "event-pipeline-mismatch": ("notification-pipeline-mismatch", "partial", hosts(
        a=[notif("7.0.0", "a.yaml", event_pipeline="ea.yaml")],
        b=[notif("9.0.0", "a2.yaml", event_pipeline="eb.yaml")]), "event pipeline"),
    "pipe-with-ipc": ("partition-queues", "partial", hosts(
        a=[svc("database", "10.0.0"), notif("9.0.0", "a.yaml")], b=[notif("10.0.0", "a2.yaml")]),
        "9.0.0 uses ceilometer-pipe-* queues but 10.0.0 uses ceilometer_ipc-* queues"),
    "publisher-id-filter": ("partition-queues", "partial", hosts(
        a=[notif("6.0.0", "a.yaml")], b=[notif("7.0.0", "a.yaml")]),
        "7.0.0 filters partitioning messages on publisher_id, which 6.0.0 does not set"),
    "partitioning-with-none": ("partition-queues", "partial", hosts(
        a=[notif("9.0.0", "a.yaml")], b=[notif("12.0.0")]),
        "12.0.0 has no workload partitioning queues"),
    "new-pollsters-in-old-group": ("polling-group-shared", "partial", hosts(
        a=[poller("9.0.0", ["image.size"])], b=[poller("10.0.0", ["image.size", "volume.size"])]),
        "adds pollsters volume.size but shares partitioning group central-global"),
    "new-pollsters-same-prefix": ("polling-group-shared", "partial", hosts(
        a=[poller("9.0.0", ["image.size"], partitioning_group_prefix="x")],
        b=[poller("10.0.0", ["volume.size"], partitioning_group_prefix="x")]), "central-x-global"),
    "own-group-polls-old-pollsters": ("polling-pollsters-overlap", "partial", hosts(
        a=[poller("9.0.0", ["image.size"])],
        b=[poller("10.0.0", ["image.size", "volume.size"], partitioning_group_prefix="queens")]),
        "also polls image.size"),
    "own-group-wildcard-covers-old": ("polling-pollsters-overlap", "partial", hosts(
        a=[poller("9.0.0", ["disk.read.bytes"])], b=[poller("10.0.0", ["disk.*"], partitioning_group_prefix="q")]),
        "also polls disk.*"),
    "own-group-old-wildcard": ("polling-pollsters-overlap", "partial", hosts(
        a=[poller("9.0.0", ["disk.*"])], b=[poller("10.0.0", ["disk.read.bytes"], partitioning_group_prefix="q")]),
        "also polls disk.read.bytes"),
    "polling-newer-than-notification": ("unpinned-producer", "partial", hosts(
        a=[poller("20.0.0", ["cpu"], namespaces=["compute"]), notif("18.0.0")]),
        "sends sample keys project_name, publisher_id, user_name"),
    "notification-newer-than-collector": ("unpinned-producer", "partial", hosts(
        a=[notif("9.0.0"), svc("collector", "8.0.0")]), "sends sample keys monotonic_time"),
    "pinned-but-still-too-new": ("unpinned-producer", "partial", hosts(
        a=[notif("20.0.0", pin={"sample": "1.1"}), svc("collector", "8.0.0")]),
        "pinned to sample model 1.1) sends sample keys monotonic_time"),
    "strict-21-with-old-polling": ("strict-consumer", "partial", hosts(
        a=[poller("18.0.0", ["cpu"]), notif("21.0.0")]),
        "a/notification-agent (21.0.0) requires sample keys user_name, project_name, which a/polling-agent "
        "(18.0.0, sample model 1.1) does not send"),
    "strict-21-with-pinned-polling": ("strict-consumer", "partial", hosts(
        a=[poller("21.0.0", ["cpu"], pin={"sample": "1.1"}), notif("21.0.0")], b=[notif("18.0.0")]),
        "raises KeyError and is lost"),
    "full-strict-21-before-polling": ("strict-consumer", "full", hosts(
        a=[svc("collector", "21.0.0"), notif("21.0.0"), poller("18.0.0", ["cpu"])]), "user_name"),
    "two-apis": ("api-single-version", "partial", hosts(
        a=[svc("api", "8.0.0")], b=[svc("api", "9.0.0")]), "several api releases run at once"),
    "full-two-collectors": ("full-path-mixed-releases", "full", hosts(
        a=[svc("collector", "9.0.0")], b=[svc("collector", "10.0.0")]), "the collector runs several releases"),
    "full-notification-before-collector": ("full-path-order", "full", hosts(
        a=[svc("collector", "9.0.0"), notif("10.0.0")]), "upgrades every collector before any notification agent"),
    "full-polling-before-notification": ("full-path-order", "full", hosts(
        a=[notif("9.0.0"), poller("10.0.0", ["cpu"])]), "before any polling agent"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_an_inventory_breaking_one_rule_reports_exactly_that_rule(case, folder):
    rule, path, data, phrase = BROKEN[case]
    found = violations(data, folder, path)
    assert {v.rule.id for v in found} == {rule}, [v.reason for v in found]
    assert any(phrase in v.reason for v in found), [v.reason for v in found]


def test_every_rule_has_an_inventory_that_breaks_it():
    assert {rule for rule, *_ in BROKEN.values()} == set(RULES)


CLEAN = {
    "full-path-in-order": ("full", hosts(
        a=[svc("database", "10.0.0"), svc("collector", "10.0.0"), notif("10.0.0", "a.yaml")],
        b=[notif("10.0.0", "a2.yaml"), poller("9.0.0", ["cpu"], namespaces=["compute"]), svc("api", "8.0.0")])),
    "new-notification-agent-not-partitioning": ("partial", hosts(
        a=[notif("9.0.0", "a.yaml")], b=[notif("10.0.0", workload_partitioning=False)])),
    "releases-without-partitioning-ignore-the-flag": ("partial", hosts(
        a=[notif("12.0.0", "a.yaml")], b=[notif("27.0.0", "b.yaml")])),
    "same-pipelines-written-differently": ("partial", hosts(
        a=[notif("7.0.0", "a.yaml", event_pipeline="ea.yaml")], b=[notif("9.0.0", "a2.yaml")])),
    "same-release-different-pipelines": ("partial", hosts(a=[notif("9.0.0", "a.yaml")], b=[notif("9.0.0", "b.yaml")])),
    "stable-backport-knows-the-new-keys": ("partial", hosts(
        a=[poller("20.0.0", ["cpu"]), notif("18.1.0"), notif("19.1.0")])),
    "fixed-strict-reader": ("partial", hosts(a=[poller("18.0.0", ["cpu"]), notif("22.0.0")])),
    "backported-keys-for-strict-reader": ("full", hosts(a=[notif("21.0.0"), poller("19.1.0", ["cpu"])])),
    "pinned-producer": ("partial", hosts(a=[notif("20.0.0", pin={"sample": "1.0"}), svc("collector", "8.0.0")])),
    "new-pollsters-in-their-own-group": ("partial", hosts(
        a=[poller("9.0.0", ["image.size"])], b=[poller("10.0.0", ["volume.size"], partitioning_group_prefix="q")])),
    "compute-agents-on-other-hosts": ("partial", hosts(
        a=[poller("9.0.0", ["cpu"], namespaces=["compute"])],
        b=[poller("10.0.0", ["cpu", "memory.usage"], namespaces=["compute"])])),
    "same-pollsters-in-the-old-group": ("partial", hosts(
        a=[poller("9.0.0", ["disk.*", "cpu"], namespaces=["compute"]),
           poller("10.0.0", ["cpu", "disk.read.bytes"], namespaces=["compute"])])),
    "no-database-listed": ("partial", hosts(a=[svc("collector", "10.0.0"), svc("api", "8.0.0")])),
    "mixed-releases-are-the-partial-path": ("partial", hosts(
        a=[svc("collector", "9.0.0"), svc("collector", "10.0.0", name="new-collector")])),
}


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
    # 18.1.0 and 19.1.0 got user_name/project_name by backport (ModelVersion.also_in).
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


# --------------------------------------------------------------------------
# Malformed inventories


@pytest.mark.parametrize("data, message", [
    ([1, 2], "must be a mapping, not a list"),
    ({}, "missing key 'hosts'"),
    ({"hosts": []}, "hosts: must list at least one host"),
    ({"hosts": {"ctl-1": []}}, "hosts: must be a list of hosts, not a mapping"),
    ({"hosts": [{"name": "h"}]}, "hosts[0]: missing key 'services'"),
    ({"hosts": [{"name": "h", "services": {"api": "9.0.0"}}]}, "hosts[0].services: must be a list, not a mapping"),
    (hosts(h=["api"]), "hosts[0].services[0]: must be a mapping, not a str"),
    ({"hosts": [{"name": "h", "services": []}, {"name": "h", "services": []}]}, "hosts[1].name: host 'h' is listed twice"),
    (hosts(h=[{"release": "9.0.0"}]), "hosts[0].services[0]: missing key 'service'"),
    (hosts(h=[{"service": "api"}]), "hosts[0].services[0]: missing key 'release'"),
    (hosts(h=[svc("scheduler", "9.0.0")]), "hosts[0].services[0].service: unknown service 'scheduler' (known: database,"),
    (hosts(h=[svc("api", 9.0)]), 'hosts[0].services[0].release: must be a string, not the number 9.0 (quote it: "9.0")'),
    (hosts(h=[svc("api", "nine")]), "hosts[0].services[0].release: 'nine' is not a Ceilometer release"),
    (hosts(h=[svc("api", "9.0.0", pollsters=["cpu"])]), "unknown key 'pollsters' (allowed: service, release, name)"),
    (hosts(h=[notif("9.0.0", workload_partioning=True)]), "unknown key 'workload_partioning' (did you mean 'workload_partitioning'?)"),
    (hosts(h=[notif("9.0.0", workload_partitioning="yes")]), "workload_partitioning: must be true or false, not a str"),
    (hosts(h=[notif("9.0.0", workload_partitioning=True)]), "needs 'pipeline'"),
    (hosts(h=[notif("9.0.0", "missing.yaml")]), "pipeline: cannot read"),
    (hosts(h=[notif("9.0.0", "broken.yaml")]), "broken.yaml: not valid YAML"),
    (hosts(h=[svc("polling-agent", "9.0.0")]), "missing key 'pollsters'"),
    (hosts(h=[svc("polling-agent", "9.0.0", pollsters=5)]), "pollsters: must be a list of strings, not a int"),
    (hosts(h=[poller("9.0.0", ["cpu", None])]), "pollsters[1]: must be a non-empty string, not null"),
    (hosts(h=[poller("9.0.0", ["!cpu"])]), "exclusions like '!cpu' are not supported"),
    (hosts(h=[notif("9.0.0", pin={"sample": "2.0"})]), "pin.sample: '2.0' is not a sample model version (known: 1.0, 1.1, 1.2)"),
    (hosts(h=[notif("9.0.0", pin={"sample": 1.1})]), 'pin.sample: must be a string, not the number 1.1 (quote it: "1.1")'),
    (hosts(h=[notif("9.0.0", pin={"samples": "1.0"})]), "unknown key 'samples' (did you mean 'sample'?)"),
    (hosts(h=[svc("collector", "9.0.0", pin={"sample": "1.0"})]), "unknown key 'pin'"),
    (hosts(h=[svc("api", "9.0.0", name="x"), svc("api", "9.0.0", name="x")]), "two services are called 'x'"),
    (hosts(h=[svc("api", "9.0.0"), svc("api", "9.0.0")], g=[svc("api", "9.0.0", name="h/api#2")]),
     "two services are called 'h/api#2'"),
])
def test_malformed_inventories_raise_one_clear_error(data, message, folder):
    (folder / "broken.yaml").write_text("sources: [")
    with pytest.raises(InventoryError) as caught:
        parse_inventory(data, str(folder), origin="inv.yaml")
    assert message in str(caught.value), str(caught.value)
    assert str(caught.value).startswith("inv.yaml: ")


def test_every_problem_is_reported_at_once(folder):
    data = hosts(h=[svc("api", "nine"), svc("scheduler", "9.0.0")], g=[poller("9.0.0", [], bad=1)])
    with pytest.raises(InventoryError) as caught:
        parse_inventory(data, str(folder))
    assert len(caught.value.problems) == 3, caught.value.problems


@pytest.mark.parametrize("name, text, message", [
    ("inv.yaml", "hosts: [", "not valid YAML"),
    ("inv.json", '{"hosts": [}', "not valid JSON"),
    ("inv.yaml", "", "must be a mapping, not null"),
])
def test_unparseable_files(name, text, message, tmp_path):
    (tmp_path / name).write_text(text)
    with pytest.raises(InventoryError, match=message):
        load_inventory(tmp_path / name)


# --------------------------------------------------------------------------
# The command line


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ceilocompat", "plan", *args], capture_output=True, text=True,
                          timeout=120)


def write(folder, data) -> str:
    path = folder / "inventory.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_cli_clean_inventory_exits_0(folder):
    result = run("--inventory", write(folder, CLEAN["same-pipelines-written-differently"][1]))
    assert result.returncode == 0, result.stderr
    assert result.stdout.rstrip().endswith("no violations")


def test_cli_violations_exit_1_with_rule_ids_and_reasons(folder):
    rule, _path, data, phrase = BROKEN["pipe-with-ipc"]
    result = run("--inventory", write(folder, data))
    assert result.returncode == 1
    assert f"[{rule}]" in result.stdout and phrase in result.stdout and "fix:" in result.stdout
    assert result.stdout.rstrip().endswith("1 violation")


def test_cli_json_report(folder):
    _rule, path, data, _phrase = BROKEN["full-notification-before-collector"]
    result = run("--inventory", write(folder, data), "--path", path, "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["ok"] is False and report["path"] == "full" and report["services"] == 2
    assert [v["rule"] for v in report["violations"]] == ["full-path-order"]
    assert set(report["violations"][0]) == {"rule", "title", "source", "subjects", "reason", "fix"}


def test_the_path_decides_which_rules_apply(folder):
    inventory = write(folder, BROKEN["full-two-collectors"][2])
    assert run("--inventory", inventory).returncode == 0
    assert run("--inventory", inventory, "--path", "full").returncode == 1


def test_cli_malformed_inventory_exits_2_without_traceback(folder):
    result = run("--inventory", write(folder, hosts(h=[svc("api", "nine"), svc("collector", 10)])))
    assert result.returncode == 2
    assert "cannot check the inventory, 2 problem(s)" in result.stderr
    assert "hosts[0].services[0].release: 'nine' is not a Ceilometer release" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_cli_missing_inventory_file():
    result = run("--inventory", "/nonexistent/inventory.yaml")
    assert result.returncode == 2
    assert "cannot read it: No such file or directory" in result.stderr and "Traceback" not in result.stderr


def test_cli_bundled_examples():
    assert run("--example").returncode == 0
    broken = run("--example", "broken", "--json")
    assert broken.returncode == 1 and not json.loads(broken.stdout)["ok"]
    assert run("--example", "nonesuch").returncode == 2

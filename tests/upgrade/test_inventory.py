"""Reading inventories (ceilocompat.upgrade.inventory): malformed ones raise one clear error."""

from __future__ import annotations

import pytest

from ceilocompat.upgrade.inventory import InventoryError, load_inventory, parse_inventory
from inventories import hosts, notif, poller, svc


@pytest.mark.parametrize("data, message", [
    ([1, 2], "must be a mapping, not a list"),
    ({}, "missing key 'hosts'"),
    ({"hosts": []}, "hosts: must list at least one host"),
    ({"hosts": {"ctl-1": []}}, "hosts: must be a list of hosts, not a mapping"),
    ({"hosts": [{"name": "h"}]}, "hosts[0]: missing key 'services'"),
    ({"hosts": [{"name": "h", "services": {"api": "9.0.0"}}]}, "hosts[0].services: must be a list, not a mapping"),
    (hosts(h=["api"]), "hosts[0].services[0]: must be a mapping, not a str"),
    ({"hosts": [{"name": "h", "services": []}, {"name": "h", "services": []}]},
     "hosts[1].name: host 'h' is listed twice"),
    (hosts(h=[{"release": "9.0.0"}]), "hosts[0].services[0]: missing key 'service'"),
    (hosts(h=[{"service": "api"}]), "hosts[0].services[0]: missing key 'release'"),
    (hosts(h=[svc("scheduler", "9.0.0")]),
     "hosts[0].services[0].service: unknown service 'scheduler' (known: database,"),
    (hosts(h=[svc("api", 9.0)]),
     'hosts[0].services[0].release: must be a string, not the number 9.0 (quote it: "9.0")'),
    (hosts(h=[svc("api", "nine")]), "hosts[0].services[0].release: 'nine' is not a Ceilometer release"),
    (hosts(h=[svc("api", "9.0.0", pollsters=["cpu"])]), "unknown key 'pollsters' (allowed: service, release, name)"),
    (hosts(h=[notif("9.0.0", workload_partioning=True)]),
     "unknown key 'workload_partioning' (did you mean 'workload_partitioning'?)"),
    (hosts(h=[notif("9.0.0", workload_partitioning="yes")]), "workload_partitioning: must be true or false, not a str"),
    (hosts(h=[notif("9.0.0", workload_partitioning=True)]), "needs 'pipeline'"),
    (hosts(h=[notif("9.0.0", "missing.yaml")]), "pipeline: cannot read"),
    (hosts(h=[notif("9.0.0", "broken.yaml")]), "broken.yaml: not valid YAML"),
    (hosts(h=[svc("polling-agent", "9.0.0")]), "missing key 'pollsters'"),
    (hosts(h=[svc("polling-agent", "9.0.0", pollsters=5)]), "pollsters: must be a list of strings, not a int"),
    (hosts(h=[poller("9.0.0", ["cpu", None])]), "pollsters[1]: must be a non-empty string, not null"),
    (hosts(h=[poller("9.0.0", ["!cpu"])]), "exclusions like '!cpu' are not supported"),
    (hosts(h=[notif("9.0.0", pin={"sample": "2.0"})]),
     "pin.sample: '2.0' is not a sample model version (known: 1.0, 1.1, 1.2)"),
    (hosts(h=[notif("9.0.0", pin={"sample": 1.1})]),
     'pin.sample: must be a string, not the number 1.1 (quote it: "1.1")'),
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

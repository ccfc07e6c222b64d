"""``ceilocompat plan --inventory``, run as users run it."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from inventories import BROKEN, CLEAN, hosts, svc


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

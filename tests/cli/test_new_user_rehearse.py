"""``ceilocompat rehearse`` as a new user runs it: every mistake is one line on stderr and exit 2, never a hang."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest


def rehearse(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ceilocompat", "rehearse", *args], capture_output=True, text=True,
                          timeout=timeout)


def one_line_usage_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ceilocompat rehearse: "), result.stderr[-2000:]
    return lines[0]


@pytest.mark.parametrize("url, says", [
    ("bogus://x", "no oslo.messaging driver for bogus://"),
    ("not a url", "not a transport URL"),
])
def test_a_bad_transport_url_is_one_line(url, says):
    assert says in one_line_usage_error(rehearse("--transport", url))


def test_an_unreachable_broker_is_named_and_given_up_on():
    started = time.monotonic()
    line = one_line_usage_error(rehearse("--transport", "rabbit://guest:s3cr3t@127.0.0.1:1/", "--connect-timeout", "2",
                                         timeout=60))
    assert "cannot reach the broker at 127.0.0.1:1" in line
    assert "s3cr3t" not in line and "guest" not in line
    assert time.monotonic() - started < 60


@pytest.mark.parametrize("args, says", [
    (["--from", "27.0.0", "--to", "18.0.0"], "must be newer"),
    (["--from", "18.0.0", "--to", "18.0.0"], "must be newer"),
    (["--from", "99.0.0"], "newer than any Ceilometer release"),
    (["--dwell", "-1"], "argument --dwell: must be a number of seconds"),
    (["--dwell", "nan"], "argument --dwell: must be a number of seconds"),
    (["--dwell", "inf"], "argument --dwell: must be a number of seconds"),
    (["--connect-timeout", "0"], "argument --connect-timeout: must be a number of seconds"),
    (["--samples", "abc"], "argument --samples: must be a whole number of at least 1, not 'abc'"),
    (["--samples", "0"], "argument --samples: must be a whole number of at least 1"),
    (["--nodes", "0"], "argument --nodes: must be a whole number of at least 1"),
    (["--kill-node", "--nodes", "2"], "--kill-node needs a cluster whose majority survives"),
    (["--partition-node", "--nodes", "2"], "--partition-node needs a cluster whose majority survives"),
    (["--partition-node", "--kill-node", "--nodes", "3"], "choose one"),
    (["--nodes", "3", "--transport", "rabbit://h/"], "start their own broker; leave out --transport"),
    (["--restart-broker", "--nodes", "3"], "with --nodes use --kill-node"),
    (["--real", "--start-broker", "--quorum-queues"], "--quorum-queues: the real services run on one RabbitMQ node"),
    (["--config-file", "/nonexistent/ceilometer.conf"], "config file /nonexistent/ceilometer.conf: no such file"),
    (["--config-file", "/"], "config file /: not a file"),
])
def test_arguments_are_refused_before_anything_runs(args, says):
    assert says in one_line_usage_error(rehearse(*args))


def test_samples_means_exactly_that_many_and_the_table_names_its_units():
    result = rehearse("--samples", "500", "--dwell", "0.2", "--path", "full")
    assert result.returncode == 0, result.stderr[-3000:]
    progress = [line for line in result.stderr.splitlines() if "produced so far" in line]
    assert progress[-1].strip().startswith("samples produced so far: 500 of 500; waiting on ")
    lines = result.stdout.splitlines()
    assert lines[0].split()[:5] == ["step", "/", "consumer", "group", "items"]
    assert all(len(line) <= 100 for line in lines)
    rows = [line.split() for line in lines if line.startswith("   ")]
    per_kind: dict[tuple[str, str], int] = {}
    for group, kind, produced, *_ in rows:
        per_kind[group, kind] = per_kind.get((group, kind), 0) + int(produced)
    assert per_kind["notification-agent", "samples"] == per_kind["collector", "samples"] == 500
    assert ("collector", "events") in per_kind and ("notification-agent", "events") not in per_kind
    assert f"produced: 500 samples by the polling agents, {per_kind['collector', 'events']} events by" in result.stdout


def test_json_report_counts_by_kind():
    result = rehearse("--samples", "37", "--dwell", "0.2", "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(result.stdout)
    assert data["produced"]["samples"] == 37 and data["produced"]["samples_by_faults"] == 0
    samples = [g for s in data["steps"] for g in s["groups"] if g["kind"] == "sample" and g["group"] == "collector"]
    assert sum(g["produced"] for g in samples) == 37


def test_plan_and_rehearse_name_steps_alike():
    plan = subprocess.run([sys.executable, "-m", "ceilocompat", "plan", "--path", "full"], capture_output=True,
                          text=True, timeout=120)
    heads = [line.split(" (")[0] for line in plan.stdout.splitlines() if line[:1].isdigit()]
    result = rehearse("--samples", "10", "--dwell", "0.1", "--path", "full")
    steps = [line.split("] ", 1)[1] for line in result.stderr.splitlines() if line.startswith("[")]
    assert heads == [f"{n}. {label}" for n, label in enumerate(steps, 1)]
    assert heads[0] == "1. database: migrate"


def test_a_bad_config_file_value_is_one_line_naming_file_and_option(tmp_path):
    conf = tmp_path / "ceilometer.conf"
    conf.write_text("[oslo_messaging_rabbit]\nheartbeat_timeout_threshold = soon\n")
    line = one_line_usage_error(rehearse("--config-file", str(conf)))
    assert f"config file {conf}: [oslo_messaging_rabbit] heartbeat_timeout_threshold:" in line


def test_the_transport_url_of_a_config_file_is_used(tmp_path):
    conf = tmp_path / "ceilometer.conf"
    conf.write_text("[DEFAULT]\ntransport_url = rabbit://ceilometer:s3cr3t@127.0.0.1:1/\n")
    line = one_line_usage_error(rehearse("--config-file", str(conf), "--connect-timeout", "2", timeout=60))
    assert "cannot reach the broker at 127.0.0.1:1" in line and "s3cr3t" not in line

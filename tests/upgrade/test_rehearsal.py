"""Rehearsals of both upgrade paths: fake:// in-process and a real RabbitMQ."""

from __future__ import annotations

from pathlib import Path

import pytest

from ceilocompat.cli.rehearse import format_report
from ceilocompat.upgrade.faults import crash_a_consumer, restarting
from ceilocompat.upgrade.rehearsal import Rehearsal
from ceilocompat.upgrade.rehearsal_bus import RehearsalBus as Bus


@pytest.mark.parametrize("path", ["full", "partial"])
def test_both_paths_lose_nothing_on_fake_transport(path):
    report = Rehearsal(path=path, samples=200, dwell=1.0).run()
    assert report.lost == 0 and report.rejected == 0 and report.ok
    samples = [g for s in report.steps for g in s.groups if g.kind == "sample"]
    assert {g.group for g in samples} == {"notification-agent", "collector"}
    produced = sum(g.produced for g in samples if g.group == "notification-agent")
    assert produced == report.samples_produced == 200, "exactly the samples asked for"
    assert all(g.produced > 0 for s in report.steps for g in s.groups), "every step carried traffic"
    events = [g for s in report.steps for g in s.groups if g.kind == "event"]
    assert {g.group for g in events} == {"collector"}, "collectors also get the agents' events"
    assert sum(g.consumed for g in events) == report.events_produced > 0
    services = [s.label.split(":")[0] for s in report.steps]
    assert services == ["database", "collector", "notification-agent", "polling-agent", "api"]
    data = report.as_dict()
    assert data["lost"] == 0 and data["ok"] is True and len(data["steps"]) == 5
    assert data["produced"] == {"samples": 200, "samples_by_faults": 0, "events": report.events_produced}
    assert {g["kind"] for g in data["steps"][0]["groups"]} == {"sample", "event"}


def test_a_forward_held_up_after_its_samples_arrived_still_has_its_event_collected(monkeypatch):
    """A publish confirm lost in a broker restart holds a notification agent's forward for seconds after its
    samples reached the collectors; the rehearsal waits for that batch's event instead of ending without it."""
    import threading
    import time

    from ceilocompat.upgrade import rehearsal as module

    forward, last_step, held = module.Publisher.publish_wire, threading.Event(), []

    def held_forward(self, wires):
        sent = forward(self, wires)
        if last_step.is_set() and threading.current_thread() is not threading.main_thread():
            held.append(len(wires))
            time.sleep(1.5)  # the samples are on the bus; the agent is not done with the batch
        return sent

    monkeypatch.setattr(module.Publisher, "publish_wire", held_forward)
    report = Rehearsal(path="partial", samples=40, dwell=0.3, hooks={5: lambda _rehearsal: last_step.set()}).run()
    assert held, "a forward was held up in the last step"
    assert report.ok and report.lost == 0, format_report(report)


def test_a_strict_old_consumer_is_caught():
    """An old consumer that requires user_name, as Ceilometer 21.0.0 did, loses old producers' batches."""
    report = Rehearsal(path="partial", samples=100, strict_fields=("user_name",), dwell=1.0, settle_timeout=5).run()
    assert not report.ok
    assert report.lost > 0 and report.rejected > 0
    first = report.steps[0].groups[0]
    assert (first.group, first.kind) == ("notification-agent", "sample") and first.lost == first.produced
    assert any("KeyError" in note and "user_name" in note for note in report.events)
    assert "FAILED" in report.summary()


def test_pinned_new_producers_lose_nothing():
    report = Rehearsal(path="full", samples=60, pin_new_producers=True, dwell=0.5).run()
    assert report.ok


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown path"):
        Rehearsal(path="sideways")
    with pytest.raises(ValueError):
        Rehearsal(samples=0)
    with pytest.raises(ValueError, match="must be newer"):
        Rehearsal(from_release="27.0.0", to_release="18.0.0")
    with pytest.raises(ValueError, match="real broker"):
        crash_a_consumer(Rehearsal())


def test_rehearsal_traffic_stays_off_real_queues():
    bus = Bus("rabbit://guest:guest@127.0.0.1:5672/", "abc")
    assert bus.samples.exchange == bus.events.exchange == "ceilocompat_rehearsal_abc"
    assert all(q.startswith("rehearsal_abc_") for q in bus.queues())
    assert bus.polling.event_type == "telemetry.polling"


@pytest.mark.rabbitmq
def test_partial_path_on_rabbitmq_with_a_broker_restart_and_a_crashed_consumer(rabbitmq):
    report = Rehearsal(
        path="partial", transport_url=rabbitmq.url, samples=150, dwell=2.0,
        hooks={2: restarting(rabbitmq), 3: crash_a_consumer},
    ).run()
    assert report.lost == 0 and report.rejected == 0, format_report(report)
    assert report.samples_produced == 150 and report.extra_samples > 0, "faults' samples are counted apart"
    assert any("restarted RabbitMQ" in n for n in report.events)
    assert any("killed a collector" in n for n in report.events)
    leftovers = [q for q in rabbitmq.queues() if q.startswith("rehearsal_")]
    assert leftovers == [], "the rehearsal removes its queues"


@pytest.mark.rabbitmq
def test_full_path_on_rabbitmq(rabbitmq):
    report = Rehearsal(path="full", transport_url=rabbitmq.url, samples=100, dwell=1.0).run()
    assert report.ok, format_report(report)


def rehearse(*args: str, tmpdir: Path | None = None):
    import os
    import subprocess
    import sys

    env = {**os.environ, "TMPDIR": str(tmpdir)} if tmpdir is not None else None
    return subprocess.run([sys.executable, "-m", "ceilocompat", "rehearse", *args], capture_output=True, text=True,
                          timeout=600, env=env)


def test_rehearse_command_json_and_exit_codes():
    import json

    ok = rehearse("--samples", "60", "--dwell", "0.5", "--json", "--path", "full")
    assert ok.returncode == 0, ok.stderr
    data = json.loads(ok.stdout)
    assert data["lost"] == 0 and data["path"] == "full" and data["transport"] == "fake://"
    assert "[1/5] database: migrate" in ok.stderr, "progress is shown while it runs"
    strict = rehearse("--samples", "40", "--dwell", "0.5", "--strict-consumer", "user_name")
    assert strict.returncode == 1 and "FAILED" in strict.stdout
    assert rehearse("--crash-consumer").returncode == 2
    assert rehearse("--samples", "0").returncode == 2


@pytest.mark.rabbitmq
def test_rehearse_command_starts_restarts_and_crashes_on_its_own_broker(rabbitmq, tmp_path):
    import json

    result = rehearse("--restart-broker", "--crash-consumer", "--samples", "120", "--dwell", "1", "--json",
                      tmpdir=tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads(result.stdout)
    assert data["lost"] == 0 and data["rejected"] == 0
    assert len(data["events"]) == 2
    assert list(tmp_path.iterdir()) == [], "the private broker's and the crashed collector's directories are removed"


@pytest.mark.rabbitmq
def test_a_host_that_is_down_fails_the_check_of_every_host_but_not_the_check_of_any(rabbitmq):
    from ceilocompat.testing._processes import free_port

    closed = f"127.0.0.1:{free_port()}"
    bus = Bus(rabbitmq.url.rstrip("/") + f",guest:guest@{closed}/", "abc")
    with pytest.raises(ConnectionError, match=f"cannot reach the broker at {closed} "):
        bus.check_reachable(5.0)
    bus.check_reachable(5.0, every_host=False)  # the cluster lost a node, not the broker
    nobody = Bus(f"rabbit://guest:guest@{closed}/", "abc")
    with pytest.raises(ConnectionError, match=closed):
        nobody.check_reachable(5.0, every_host=False)

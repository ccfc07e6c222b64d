"""The rehearsal for real: an upgrade path walked with real releases' services on RabbitMQ.

17.0.0 polling agents send no ``user_name``; a 27.0.0 agent reads it with a
default, a 21.0.0 agent requires it. So 17.0.0 -> 27.0.0 loses nothing on
either path, and 17.0.0 -> 21.0.0 loses the old polling agents' batches in
the steps where they run beside a 21.0.0 agent, as the planner predicts.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import uuid

import pytest

from bus import broker_transport, wait_until
from ceilocompat.grenade import Topics
from ceilocompat.grenade.nova import NovaNotifier, nova_notifications
from ceilocompat.grenade.rehearsal import RealRehearsal, StepPrediction, crash_an_agent
from ceilocompat.grenade.tap import NOVA_EXCHANGE, BusTap
from ceilocompat.routing import notification_transport
from ceilocompat.upgrade.rehearsal import Generation
from conftest import subprocess_env
from release_environments import environment


def ceilocompat(*args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ceilocompat", *args], capture_output=True, text=True,
                          timeout=timeout, env=subprocess_env(**env))


@pytest.mark.parametrize("args, says", [
    (["--real"], "--start-broker or --transport rabbit://"),
    (["--real", "--transport", "fake://"], "--start-broker or --transport rabbit://"),
    (["--real", "--start-broker", "--pin"], "--pin"),
    (["--real", "--start-broker", "--strict-consumer", "user_name"], "--strict-consumer"),
    (["--real", "--restart-broker", "--crash-consumer"], "--restart-broker, --crash-consumer"),
    (["--polling-script"], "--polling-script is for the real services of --real; add --real"),
    (["--crash-agent", "--start-broker"], "--crash-agent is for the real services of --real; add --real"),
])
def test_real_rehearsals_refuse_what_they_cannot_do_in_one_line(args, says):
    result = ceilocompat("rehearse", *args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("ceilocompat rehearse: ") and says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not result.stdout


def test_a_real_rehearsal_needs_rabbitmq_and_real_releases():
    with pytest.raises(ValueError, match="rabbit://"):
        RealRehearsal(transport_url="fake://")
    with pytest.raises(ValueError, match="simulated"):
        RealRehearsal(transport_url="rabbit://h:5672/", strict_fields=["user_name"])
    with pytest.raises(ValueError, match="simulated"):
        RealRehearsal(transport_url="rabbit://h:5672/", pin_new_producers=True)


@pytest.mark.parametrize("predicted, lost, agrees", [((), 0, True), (("strict-consumer",), 40, True),
                                                     (("strict-consumer",), 0, False), ((), 3, False)])
def test_a_step_agrees_when_a_loss_was_predicted_exactly_when_there_was_one(predicted, lost, agrees):
    assert StepPrediction(3, "notification-agent: replace", (("17.0.0", "21.0.0"),), predicted, lost).agrees is agrees


@pytest.mark.rabbitmq
def test_the_tap_learns_nova_notifications_from_the_bus_with_the_ids_oslo_gave_them(rabbitmq):
    topics = Topics.for_run(uuid.uuid4().hex[:8])
    transport = broker_transport(rabbitmq)
    nova_transport = notification_transport(__import__("oslo_config").cfg.ConfigOpts(), rabbitmq.url,
                                            exchange=NOVA_EXCHANGE)
    seen: list[tuple[str, str]] = []
    tap = BusTap(transport, topics, on_notification=lambda message_id, event_type: seen.append((message_id,
                                                                                                 event_type)))
    try:
        tap.start()
        NovaNotifier(nova_transport, topics).publish(4)
        wait_until(lambda: len(seen) == 4, timeout=30, what="the tap to see four notifications")
        bundled = [n["event_type"] for n in nova_notifications()]
        assert [event_type for _, event_type in seen] == (bundled * 2)[:4]
        assert len({message_id for message_id, _ in seen}) == 4
    finally:
        tap.stop()
        nova_transport.cleanup()
        transport.cleanup()
    with pytest.raises(ValueError, match="nova"):
        NovaNotifier(transport, topics)


@pytest.mark.rabbitmq
@pytest.mark.grenade
@pytest.mark.parametrize("path, crash", [("full", False), ("partial", True)])
def test_an_old_release_upgrades_to_the_newest_with_real_services_and_nothing_lost(rabbitmq, tmp_path, path, crash):
    envs = {Generation.OLD: environment("17.0.0"), Generation.NEW: environment("27.0.0")}
    rehearsal = RealRehearsal(path=path, transport_url=rabbitmq.url, from_release="17.0.0", to_release="27.0.0",
                              samples=150, environments=envs, workdir=tmp_path, progress=print,
                              hooks={2: crash_an_agent} if crash else None)
    report = rehearsal.run()
    assert report.samples_produced == 150 and report.events_produced > 0, report.as_dict()
    if crash:  # the samples produced while no agent ran waited in the queue for the restarted one
        assert report.extra_samples == 50 and any("killed with SIGKILL in step 2" in n for n in report.events)
    assert report.ok and report.lost == 0 and report.agrees, report.as_dict()
    for generation, release in (("old", "17.0.0"), ("new", "27.0.0")):  # their real ceilometer-polling polled
        log = tmp_path / f"polling-{generation}-{release}" / f"polling-agent-{release}.log"
        assert "rehearsal.resource.value" in log.read_text(), log
    agents = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("agent-"))
    assert [name.split("-", 2)[2] for name in agents] == ["old-17.0.0"] * (2 if crash else 1) + ["new-27.0.0"]
    assert all((tmp_path / name / f"notification-agent-{name.rsplit('-', 1)[1]}.log").stat().st_size > 0
               for name in agents)
    leftover = {name: q for name, q in rabbitmq.queues().items() if rehearsal.run_id in name}
    assert not leftover, leftover


@pytest.mark.rabbitmq
@pytest.mark.grenade
def test_a_strict_agent_beside_old_polling_agents_loses_what_the_plan_predicts_and_says_why(rabbitmq, tmp_path):
    environment("17.0.0"), environment("21.0.0")
    result = ceilocompat("rehearse", "--real", "--transport", rabbitmq.url, "--path", "full", "--from", "17.0.0",
                         "--to", "21.0.0", "--samples", "150", "--json", timeout=900, TMPDIR=str(tmp_path))
    assert result.returncode == 1, result.stderr[-2000:]
    report = json.loads(result.stdout)
    # The services' logs stay for the operator, where the report says: in the temporary directory it was given.
    assert pathlib.Path(report["logs"]).parent == tmp_path and (pathlib.Path(report["logs"]) / "conf").is_dir()
    lost_steps = {p["label"]: p for p in report["predictions"] if p["lost"]}
    assert sorted(lost_steps) == ["notification-agent: replace", "polling-agent: replace"], report["predictions"]
    assert all(p["predicted"] == ["strict-consumer"] for p in lost_steps.values())
    assert report["agrees"] is True and report["lost"] > 0 and report["rejected"] == 0
    assert report["produced"]["samples"] == 150
    assert any("KeyError: 'user_name'" in note and "21.0.0" in note for note in report["events"]), report["events"]

"""Rehearsals on a 3-node RabbitMQ cluster that loses the node leading the consumed queues mid-path."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ceilocompat.upgrade.faults import NodeLoss
from ceilocompat.upgrade.rehearsal import Rehearsal

pytestmark = pytest.mark.rabbitmq

KILL_STEP, BACK_STEP = 3, 4


@pytest.fixture
def cluster(rabbitmq_cluster):
    """The session's cluster, every node running again after the test whatever happened."""
    yield rabbitmq_cluster
    for index, node in enumerate(rabbitmq_cluster.nodes):
        if not node.running:
            rabbitmq_cluster.start_node(index)
    rabbitmq_cluster.wait_until_clustered()


def rehearse(cluster, path, *, quorum, **kwargs):
    loss = NodeLoss(cluster, failover_timeout=kwargs.pop("failover_timeout", 30.0))
    rehearsal = Rehearsal(path=path, transport_url=cluster.url, samples=200, dwell=2.0, quorum_queues=quorum,
                          hooks={KILL_STEP: loss.kill, BACK_STEP: loss.restart}, **kwargs)
    return rehearsal, loss, rehearsal.run()


@pytest.mark.parametrize("path", ["partial", "full"])
def test_quorum_queues_lose_nothing_when_their_leader_dies(cluster, path):
    rehearsal, loss, report = rehearse(cluster, path, quorum=True)
    assert report.error is None, report.error
    assert (report.lost, report.rejected, report.duplicated) == (0, 0, 0), report.summary()
    assert report.ok and report.queues == "quorum"
    assert loss.killed is not None and loss.failover is not None and loss.failover < 30
    assert any("killed RabbitMQ node" in note for note in report.events)
    assert any("new leader" in note for note in report.events)
    assert all(host in report.transport for host in rehearsal.bus.hosts)  # every host, no credentials
    assert "guest" not in report.transport
    # The broker holds nothing of the rehearsal afterwards, and nothing at all is left in any queue.
    queues = cluster.queues()
    assert not [name for name in queues if rehearsal.run_id in name], sorted(queues)
    assert report.left_behind == ()


def test_classic_queues_lose_what_was_on_the_dead_node_and_say_so(cluster):
    _rehearsal, _loss, report = rehearse(cluster, "partial", quorum=False, failover_timeout=5.0, settle_timeout=15.0)
    assert report.queues == "classic durable"
    assert not report.ok
    # What the dead node held is lost: in its queues, or never sent when a publish needed them.
    assert report.lost > 0, report.summary()
    assert report.error is None  # the walk ran to the end and the report tells the loss
    assert any("classic queues live on one node" in note for note in report.events)
    if report.unsent:
        assert any("could not publish" in note for note in report.events)
        assert "never sent: publish failed" in report.summary()


def test_the_command_line_kills_a_node_of_its_own_cluster_and_exits_0():
    proc = subprocess.run(
        [sys.executable, "-m", "ceilocompat", "rehearse", "--start-broker", "--nodes", "3", "--kill-node",
         "--quorum-queues", "--path", "full", "--samples", "150", "--dwell", "2"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "starting a private 3-node RabbitMQ cluster" in proc.stderr
    assert "! killed RabbitMQ node" in proc.stdout and "new leader" in proc.stdout
    assert "(quorum queues): 0 lost" in proc.stdout


def test_a_broker_gone_for_good_ends_the_walk_in_a_report(tmp_path):
    from ceilocompat.testing import RabbitMQBroker

    broker = RabbitMQBroker(tmp_path / "broker")
    broker.start()
    try:
        def lose_the_broker(rehearsal):
            rehearsal.produce(10)
            broker.kill()

        report = Rehearsal(path="partial", transport_url=broker.url, samples=100, dwell=1.0, settle_timeout=10,
                           hooks={KILL_STEP: lose_the_broker}).run()
    finally:
        broker.close()
    assert report.error is not None and report.error.startswith(f"broker error in step {KILL_STEP}: ConnectionError")
    assert not report.ok and report.lost > 0
    assert f"stopped early: {report.error}" in report.summary()
    assert report.left_behind  # nobody answered the clean-up, and the report says so
    assert any("could not remove from the broker" in note for note in report.events)

"""Rehearsals on three RabbitMQ nodes as three hosts (network namespaces), one cut off mid-path and healed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ceilocompat.testing import NetnsCluster, RabbitMQUnavailable
from ceilocompat.upgrade.faults import NodeLoss
from ceilocompat.upgrade.rehearsal import Rehearsal

pytestmark = pytest.mark.rabbitmq

CUT_STEP, HEAL_STEP = 3, 4


@pytest.fixture(scope="module")
def hosts(tmp_path_factory):
    cluster = NetnsCluster(tmp_path_factory.mktemp("netns-cluster"), nodes=3)
    try:
        cluster.start()
    except RabbitMQUnavailable as exc:
        cluster.close()
        pytest.fail(f"a cluster in network namespaces cannot start here: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.close()


def test_a_node_cut_off_and_healed_loses_and_duplicates_nothing(hosts):
    partition = NodeLoss(hosts, partition=True)
    rehearsal = Rehearsal(path="partial", transport_url=hosts.url, samples=200, dwell=2.0, quorum_queues=True,
                          hooks={CUT_STEP: partition.kill, HEAL_STEP: partition.restart})
    report = hosts.client.call(rehearsal.run)  # the rehearsal's connections start in the client namespace
    assert report.error is None, report.error
    assert (report.lost, report.rejected, report.duplicated) == (0, 0, 0), report.summary()
    assert report.ok
    # The new leader's election shows in the cluster's metadata 25 to 60+ s after the cut; what matters is
    # that the traffic meanwhile was neither lost nor handed over twice.
    assert any("cut RabbitMQ node" in note for note in report.events)
    assert any("healed the network" in note for note in report.events)
    assert not hosts.partitioned
    assert not [name for name in hosts.queues() if rehearsal.run_id in name]


def test_with_classic_queues_what_is_published_while_their_node_is_cut_off_is_reported_lost(hosts):
    partition = NodeLoss(hosts, partition=True)
    rehearsal = Rehearsal(path="partial", transport_url=hosts.url, samples=100, dwell=2.0, quorum_queues=False,
                          hooks={CUT_STEP: partition.kill, HEAL_STEP: partition.restart})
    report = hosts.client.call(rehearsal.run)
    assert report.error is None, report.error
    assert report.lost > 0 and not report.ok, report.summary()  # RabbitMQ's, and said: not hidden
    (why,) = [note for note in report.events if note.startswith("no new leader")]
    assert "classic queues live on one node: cut off with it" in why
    assert any("healed the network" in note and "rejoined the cluster" in note for note in report.events)
    assert not hosts.partitioned
    assert not [name for name in hosts.queues() if rehearsal.run_id in name]


def test_the_command_line_cuts_a_node_of_its_own_cluster_off_and_exits_0():
    proc = subprocess.run(
        [sys.executable, "-m", "ceilocompat", "rehearse", "--start-broker", "--nodes", "3", "--partition-node",
         "--quorum-queues", "--path", "full", "--samples", "150", "--dwell", "2"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "3-node RabbitMQ cluster in network namespaces" in proc.stderr
    assert "! cut RabbitMQ node" in proc.stdout and "! healed the network" in proc.stdout
    assert "(quorum queues): 0 lost, 0 rejected, 0 duplicates removed" in proc.stdout


class StandInCluster:
    """A cluster whose healed node rejoins after a hung-boot restart, or never (*forms* False)."""

    def __init__(self, forms: bool) -> None:
        from types import SimpleNamespace

        self.nodes = (SimpleNamespace(nodename="n1@10.77.0.1"),)
        self.hung_restarts = ["n1@10.77.0.1"]  # an earlier heal's
        self.forms = forms
        self.calls: list[tuple[str, float]] = []

    def heal(self, index):
        self.calls.append(("heal", index))

    def wait_until_clustered(self, timeout):
        from ceilocompat.testing import RabbitMQError

        self.calls.append(("wait", timeout))
        if not self.forms:
            raise RabbitMQError("the cluster did not form within 7 s")
        self.hung_restarts.append(self.nodes[0].nodename)


@pytest.mark.parametrize("forms, note", [
    (False, "healed the network of RabbitMQ node n1@10.77.0.1, but the cluster did not form within 7 s"),
    (True, "healed the network of RabbitMQ node n1@10.77.0.1; its broker hung on Erlang's global sync as it "
           "resumed (rabbitmq-server#6034) and was restarted; it rejoined the cluster"),
])
def test_a_healed_node_that_hangs_or_does_not_rejoin_is_noted_and_the_walk_goes_on(forms, note):
    from types import SimpleNamespace

    cluster = StandInCluster(forms)
    notes = []
    loss = NodeLoss(cluster, partition=True, rejoin_timeout=7.0)
    loss.killed = 0
    loss.restart(SimpleNamespace(note=notes.append))  # returns: the walk goes on
    assert cluster.calls == [("heal", 0), ("wait", 7.0)]
    assert notes == [note]


def test_a_healed_node_that_rejoins_by_itself_is_noted_without_a_restart():
    from types import SimpleNamespace

    cluster = StandInCluster(True)
    cluster.wait_until_clustered = lambda timeout: None  # RabbitMQ resumed it: nothing restarted this time
    notes = []
    loss = NodeLoss(cluster, partition=True, rejoin_timeout=7.0)
    loss.killed = 0
    loss.restart(SimpleNamespace(note=notes.append))
    assert notes == ["healed the network of RabbitMQ node n1@10.77.0.1; it rejoined the cluster"]

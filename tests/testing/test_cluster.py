"""The private RabbitMQ cluster (ceilocompat.testing.RabbitMQCluster), on the session's
``rabbitmq_cluster``: it forms, a quorum queue survives its leader's death, the dead
node rejoins, policies apply. Every test leaves the cluster whole."""

from __future__ import annotations

import contextlib
import json
import time
import uuid

import kombu
import pytest

from ceilocompat.testing import RabbitMQCluster, RabbitMQError, _processes
from ceilocompat.testing.rabbitmq import GLOBAL_HANG_WORKAROUND

pytestmark = pytest.mark.rabbitmq

WAIT = 60


def kombu_url(url: str) -> str:
    """A rabbit:// URL of one or more hosts as kombu's failover list."""
    hosts = url.removeprefix("rabbit://").rstrip("/").split(",")
    return ";".join(f"amqp://{h}//" for h in hosts)


def publish(url: str, queue: kombu.Queue, count: int, tag: str = "m") -> None:
    with kombu.Connection(kombu_url(url), transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        for n in range(count):
            producer.publish({"n": n, "tag": tag}, routing_key=queue.name, declare=[queue],
                             delivery_mode=2, retry=True)


def drain(url: str, queue: kombu.Queue, expected: int, timeout: float = WAIT) -> list[dict]:
    """Consume (and ack) until *expected* bodies came, then half a second more for extras."""
    got: list[dict] = []
    deadline = time.monotonic() + timeout
    with kombu.Connection(kombu_url(url)) as conn, conn.Consumer(
            [queue], accept=["json"], callbacks=[lambda body, msg: (got.append(body), msg.ack())]):
        while len(got) < expected and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                conn.drain_events(timeout=1)
        try:
            while True:
                conn.drain_events(timeout=0.5)
        except TimeoutError:
            return got


def eventually(check, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not true within {timeout} s"
        time.sleep(0.5)


def test_the_cluster_forms_with_every_node(rabbitmq_cluster: RabbitMQCluster):
    cluster = rabbitmq_cluster
    names = sorted(n.nodename for n in cluster.nodes)
    assert len(names) == 3 and len(set(names)) == 3
    for node in cluster.nodes:
        status = node.cluster_status()
        assert sorted(status["running_nodes"]) == names
        assert sorted(status["disk_nodes"]) == names
        assert status["partitions"] == {}
    # One private epmd for all, private ports, a URL of every node.
    assert len(cluster.epmds) == 1 and {n.epmd_port for n in cluster.nodes} != {4369}
    ports = [n.amqp_port for n in cluster.nodes] + [n.dist_port for n in cluster.nodes]
    assert len(set(ports)) == 6 and 5672 not in ports
    assert cluster.url == "rabbit://" + ",".join(
        f"guest:guest@127.0.0.1:{n.amqp_port}" for n in cluster.nodes) + "/"
    assert [n.url for n in cluster.nodes] == [
        f"rabbit://guest:guest@127.0.0.1:{n.amqp_port}/" for n in cluster.nodes]
    status = json.loads(cluster.nodes[2].ctl("status", "--formatter", "json"))
    assert status["data_directory"].startswith(str(cluster.base_dir))
    assert status["config_files"] == [str(cluster.nodes[2].base_dir / "etc" / "rabbitmq.conf")]


def test_a_quorum_queue_keeps_its_messages_when_its_leader_is_killed(rabbitmq_cluster):
    cluster = rabbitmq_cluster
    name = f"cc-quorum-{uuid.uuid4().hex[:8]}"
    queue = kombu.Queue(name, durable=True, queue_arguments={"x-queue-type": "quorum"})
    publish(cluster.url, queue, 200, tag="before")
    leader = cluster.queue_leader(name)
    assert leader is not None
    eventually(lambda: cluster.queues()[name].messages == 200)  # quorum counts lag a little

    tree = [t for pid in cluster.nodes[leader].pids for t in _processes.descendants(pid)]
    cluster.kill_node(leader)
    try:
        assert not cluster.nodes[leader].running
        assert tree and [p for p, s in tree if _processes.alive(p, s)] == []
        deadline = time.monotonic() + WAIT
        while (new_leader := cluster.queue_leader(name)) in (leader, None):
            assert time.monotonic() < deadline, "no new leader was elected"
            time.sleep(0.2)
        assert new_leader != leader
        publish(cluster.url, queue, 50, tag="during")
        got = drain(cluster.url, queue, 250)
    finally:
        cluster.start_node(leader)

    assert sorted((b["tag"], b["n"]) for b in got) == sorted(
        [("before", n) for n in range(200)] + [("during", n) for n in range(50)])
    # The killed node rejoined, with its data, and is a member of the queue again.
    cluster.wait_until_clustered(WAIT)
    rows = {r["name"]: r for r in cluster._list_queues("/", "name", "members", "online")}
    deadline = time.monotonic() + WAIT
    while cluster.nodes[leader].nodename not in rows[name]["online"]:
        assert time.monotonic() < deadline, rows[name]
        time.sleep(0.5)
        rows = {r["name"]: r for r in cluster._list_queues("/", "name", "members", "online")}
    assert sorted(rows[name]["members"]) == sorted(n.nodename for n in cluster.nodes)
    assert cluster.wait_until_drained([name])[name].messages == 0
    cluster.ctl("delete_queue", name)


def test_queue_leader_names_the_node_holding_a_classic_queue(rabbitmq_cluster):
    cluster = rabbitmq_cluster
    name = f"cc-classic-{uuid.uuid4().hex[:8]}"
    queue = kombu.Queue(name, durable=True)
    # Declared through node 3, a classic queue lives there.
    publish(cluster.nodes[2].url, queue, 3)
    assert cluster.queue_leader(name) == 2
    assert cluster.queue_leader(f"cc-missing-{uuid.uuid4().hex[:8]}") is None

    cluster.stop_node(2)
    try:
        stats = cluster.queues()[name]  # asked of a node still running
        assert not stats.available and stats.messages == 0
        with pytest.raises(Exception, match="stayed on the broker"):
            cluster.wait_until_drained([name], timeout=0.5)
    finally:
        cluster.start_node(2)
    cluster.wait_until_clustered(WAIT)
    assert cluster.queues()[name].messages == 3
    assert len(drain(cluster.url, queue, 3)) == 3
    cluster.ctl("delete_queue", name)


def test_a_node_hung_after_rabbitmqs_global_workaround_is_restarted_and_rejoins(rabbitmq_cluster):
    cluster = rabbitmq_cluster
    node = cluster.nodes[1]
    before = list(cluster.hung_restarts)
    starts = node.starts
    node.ctl("stop_app")  # the VM answers, the RabbitMQ application does not run: as in the hung boot
    try:
        # Not serving is not enough: a node that never logged the workaround is left alone.
        with pytest.raises(RabbitMQError, match="did not form within 3 s"):
            cluster.wait_until_clustered(3, restart_hung_after=0)
        assert cluster.hung_restarts == before and node.starts == starts
        # The line RabbitMQ 3.10 logs once its boot has waited 20 s on Erlang's global sync.
        with open(node.node_log, "a") as log:
            log.write(f"2026-12-02 20:08:01.322230+00:00 [info] <0.1199.0> {GLOBAL_HANG_WORKAROUND}: "
                      "global state on a peer seems broken\n")
        assert node.waits_on_global_sync()
        with pytest.raises(RabbitMQError, match="did not form within 3 s"):
            cluster.wait_until_clustered(3, restart_hung_after=None)
        assert cluster.hung_restarts == before and node.starts == starts
        cluster.wait_until_clustered(WAIT, restart_hung_after=1)
    finally:
        if not node.serving():
            node.restart()
    assert cluster.hung_restarts == [*before, node.nodename] and node.starts == starts + 1
    assert node.serving() and not node.waits_on_global_sync()  # its new boot is past the line


@pytest.mark.parametrize("service", ["rabbitmq", "rabbitmq_cluster"])
def test_a_max_length_policy_bounds_a_queue(service, request):
    broker = request.getfixturevalue(service)
    policy, prefix = f"cc-bound-{uuid.uuid4().hex[:8]}", f"cc-bounded-{uuid.uuid4().hex[:8]}"
    name = f"{prefix}-q"
    broker.set_policy(policy, f"^{prefix}-", {"max-length": 5})
    try:
        assert broker.policies()[policy]["definition"] in ({"max-length": 5}, '{"max-length":5}')
        queue = kombu.Queue(name, durable=True)
        publish(broker.url, queue, 20)
        assert broker.queues()[name].messages == 5
        # The newest five stayed (drop-head).
        assert [b["n"] for b in drain(broker.url, queue, 5)] == [15, 16, 17, 18, 19]
    finally:
        broker.clear_policy(policy)
    assert policy not in broker.policies()
    publish(broker.url, queue, 20)
    assert broker.queues()[name].messages == 20
    broker.ctl("delete_queue", name)

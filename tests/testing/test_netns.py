"""Three RabbitMQ nodes as three hosts in network namespaces (ceilocompat.testing.NetnsCluster):
one cut off pauses (pause_minority) while a client in the client namespace goes on through
the other two; healed, the cluster is whole again; every namespace goes at close.

The module shares one cluster; its last test closes it."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid

import pytest

from ceilocompat.testing import NetnsCluster, RabbitMQError, RabbitMQUnavailable, _processes, find_rabbitmq
from conftest import subprocess_env

pytestmark = pytest.mark.rabbitmq

REPO = pathlib.Path(__file__).resolve().parents[2]
WAIT = 120

CLIENT = textwrap.dedent("""
    import json, sys, time
    import kombu

    url, name, publish, expect = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    hosts = url.removeprefix("rabbit://").rstrip("/").split(",")
    queue = kombu.Queue(name, durable=True, queue_arguments={"x-queue-type": "quorum"})
    got = []
    with kombu.Connection(";".join(f"amqp://{h}//" for h in hosts), connect_timeout=3,
                          transport_options={"confirm_publish": True}) as conn:
        conn.ensure_connection(max_retries=10)
        producer = conn.Producer()
        for n in range(publish):
            producer.publish({"n": n}, routing_key=name, declare=[queue], delivery_mode=2, retry=True)
        deadline = time.monotonic() + 60
        while len(got) < expect and time.monotonic() < deadline:
            with conn.Consumer([queue], accept=["json"],
                               callbacks=[lambda body, msg: (got.append(body["n"]), msg.ack())]):
                try:
                    while len(got) < expect:
                        conn.drain_events(timeout=1)
                except TimeoutError:
                    pass
        print(json.dumps({"host": conn.host, "got": got}))
""")


def ip(*args: str) -> str:
    """``ip ARGS``'s output; it must succeed."""
    return subprocess.run(["ip", *args], capture_output=True, text=True,  # noqa: S607 - iproute2's, as PATH finds it
                          check=True).stdout


def ip_netns_list() -> set[str]:
    return {line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()}


@pytest.fixture(scope="module")
def netns_cluster(tmp_path_factory):
    try:
        find_rabbitmq()
    except RabbitMQUnavailable as exc:
        pytest.skip(str(exc))
    cluster = NetnsCluster(tmp_path_factory.mktemp("netns"), nodes=3)
    try:
        cluster.start()
    except RabbitMQUnavailable as exc:
        cluster.close()
        pytest.skip(str(exc))
    try:
        yield cluster
    finally:
        cluster.close()


def client(cluster: NetnsCluster, tmp_path, name: str, publish: int, expect: int) -> dict:
    script = tmp_path / "client.py"
    script.write_text(CLIENT)
    proc = cluster.run_in_client([sys.executable, str(script), cluster.url, name, str(publish), str(expect)],
                                 capture_output=True, text=True, timeout=180, env=subprocess_env(), cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.splitlines()[-1])


def test_the_nodes_are_hosts_of_their_own(netns_cluster):
    cluster = netns_cluster
    assert [n.host.address for n in cluster.nodes] == ["10.77.0.1", "10.77.0.2", "10.77.0.3"]
    assert all(n.nodename.endswith(f"@{n.host.address}") and n.longnames for n in cluster.nodes)
    assert len({n.host.netns for n in cluster.nodes}) == 3 and len(cluster.epmds) == 3
    assert set(cluster.namespaces) <= ip_netns_list()
    assert sorted(cluster.nodes[0].cluster_status()["running_nodes"]) == sorted(
        n.nodename for n in cluster.nodes)
    assert cluster.url == "rabbit://" + ",".join(
        f"guest:guest@10.77.0.{i + 1}:{n.amqp_port}" for i, n in enumerate(cluster.nodes)) + "/"
    # Not reachable from the caller's own namespace: the nodes live elsewhere.
    assert cluster.run_in_client(["ip", "-4", "-o", "addr", "show", "eth0"], capture_output=True,
                                 text=True).stdout.split()[3] == "10.77.0.100/24"


def test_a_partitioned_node_pauses_and_clients_go_on_through_the_others(netns_cluster, tmp_path):
    cluster = netns_cluster
    name = f"cc-partition-{uuid.uuid4().hex[:8]}"
    assert client(cluster, tmp_path, name, publish=100, expect=0)["got"] == []
    cut = cluster.queue_leader(name)
    assert cut is not None
    rest = [i for i in range(3) if i != cut]

    cluster.partition(cut)
    try:
        assert cluster.partitioned == {cut}
        deadline = time.monotonic() + WAIT
        while cluster.nodes[cut].serving():  # pause_minority: it stops serving
            assert time.monotonic() < deadline, "the cut-off node did not pause"
            time.sleep(0.5)
        # The majority sees the node gone once its own net tick times out, which may come after the pause.
        majority = sorted(cluster.nodes[i].nodename for i in rest)
        while sorted(cluster.nodes[rest[0]].cluster_status()["running_nodes"]) != majority:
            assert time.monotonic() < deadline, "the majority still counts the cut-off node as running"
            time.sleep(0.5)
        outcome = client(cluster, tmp_path, name, publish=100, expect=200)
    finally:
        cluster.heal(cut)

    assert sorted(outcome["got"]) == sorted(list(range(100)) * 2)
    assert outcome["host"].split(":")[0] != cluster.nodes[cut].host.address
    restarted_before = list(cluster.hung_restarts)
    cluster.wait_until_clustered(WAIT)
    # Only the node that paused may have hung in its restart (RabbitMQ 3.10.8 on Erlang 25, see waits_on_global_sync).
    assert cluster.hung_restarts[len(restarted_before):] in ([], [cluster.nodes[cut].nodename])
    assert cluster.partitioned == set()
    for node in cluster.nodes:
        assert node.serving() and node.cluster_status()["partitions"] == {}
    assert cluster.wait_until_drained([name], timeout=30)[name].messages == 0
    cluster.ctl("delete_queue", name)


def test_a_failed_network_set_up_removes_what_it_created(tmp_path):
    cluster = NetnsCluster(tmp_path / "broken", nodes=3)
    # The client namespace's name is taken: set-up fails half-way through.
    ip("netns", "add", cluster.client_namespace)
    try:
        with pytest.raises(RabbitMQError, match=cluster.client_namespace):
            cluster.start()
        left = ip_netns_list() & set(cluster.namespaces)
        assert left == {cluster.client_namespace}
        assert cluster.pids == []
    finally:
        ip("netns", "delete", cluster.client_namespace)


def test_without_permission_for_namespaces_start_says_so():
    with tempfile.TemporaryDirectory(prefix="ceilocompat-nobody-") as home:
        os.chmod(home, 0o777)  # noqa: S103 - the child runs as nobody; pytest's temporary directories are root's alone
        unprivileged_start(pathlib.Path(home))


def unprivileged_start(tmp_path: pathlib.Path) -> None:
    script = textwrap.dedent(f"""
        from ceilocompat.testing import NetnsCluster, RabbitMQUnavailable
        cluster = NetnsCluster({str(tmp_path / "c")!r}, nodes=3)
        try:
            cluster.start()
        except RabbitMQUnavailable as exc:
            print("unavailable:", exc)
        finally:
            cluster.close()
    """)
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",  # noqa: S607 - util-linux's, as PATH finds it
                           "--clear-groups", "--inh-caps=-all", sys.executable, "-c", script],
                          capture_output=True, text=True, timeout=60, env=subprocess_env(HOME=str(tmp_path)),
                          cwd="/")
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "unavailable: network namespaces are not permitted here: ip netns add "), proc.stdout


def test_close_stops_every_node_and_removes_every_namespace(netns_cluster):
    cluster = netns_cluster  # the last test of the module
    tree = [t for pid in cluster.pids for t in _processes.descendants(pid)]
    assert tree and set(cluster.namespaces) <= ip_netns_list()
    cluster.kill_node(2)
    cluster.close()
    assert [p for p, s in tree if _processes.alive(p, s)] == []
    assert ip_netns_list() & set(cluster.namespaces) == set()
    assert os.path.isdir(cluster.base_dir)

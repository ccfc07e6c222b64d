"""What the cluster and the node leave behind: nothing, after a kill, a failed start,
or the death of the process that started them."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from ceilocompat.testing import RabbitMQCluster, RabbitMQError, _processes
from conftest import subprocess_env

REPO = pathlib.Path(__file__).resolve().parents[2]

#: Where a RabbitMQ or Erlang install would write if it were not kept private.
OUTSIDE = [pathlib.Path.home() / ".erlang.cookie", pathlib.Path("/var/lib/rabbitmq"),
           pathlib.Path("/var/log/rabbitmq"), pathlib.Path("/etc/rabbitmq")]


def snapshot() -> dict[str, object]:
    state: dict[str, object] = {}
    for path in OUTSIDE:
        for p in [path, *(sorted(path.rglob("*")) if path.is_dir() else ())]:
            try:
                st = p.stat()
                state[str(p)] = (st.st_mtime_ns, st.st_size)
            except OSError:
                state[str(p)] = None
    return state


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line holds *text*."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = pathlib.Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
            state = pathlib.Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and text.encode() in cmdline:
            found.append(int(entry))
    return found


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def recorded(cluster: RabbitMQCluster) -> list[tuple[int, str]]:
    return [t for pid in cluster.pids for t in _processes.descendants(pid)]


def assert_nothing_left(cluster: RabbitMQCluster, tree: list[tuple[int, str]], before: dict) -> None:
    survivors = [pid for pid, start in tree if _processes.alive(pid, start)]
    assert survivors == [], f"processes of the cluster survived close(): {survivors}"
    assert processes_mentioning(str(cluster.base_dir)) == []
    assert cluster.pids == [] and not any(e.running for e in cluster.epmds.values())
    assert snapshot() == before, "something outside base_dir changed"


@pytest.mark.rabbitmq
def test_close_after_a_kill_leaves_no_process_and_nothing_outside_base_dir(tmp_path):
    system_epmd, system_broker = listening(4369), listening(5672)
    before = snapshot()
    cluster = RabbitMQCluster(tmp_path / "cluster", nodes=3)
    try:
        cluster.start()
        tree = recorded(cluster)
        assert len({pid for pid, _ in tree}) >= 7  # three VMs and their helpers, one epmd
        cluster.kill_node(1)
        assert not cluster.nodes[1].running and cluster.nodes[0].running
    finally:
        cluster.close()
    assert_nothing_left(cluster, tree, before)
    cluster.close()  # twice is fine
    # Neither a system epmd nor a system broker was started (or stopped) on the way.
    assert (listening(4369), listening(5672)) == (system_epmd, system_broker)


@pytest.mark.rabbitmq
def test_a_start_that_fails_half_way_stops_what_it_started(tmp_path):
    before = snapshot()
    cluster = RabbitMQCluster(tmp_path / "cluster", nodes=2)
    with socket.socket() as squatter:  # node 2 cannot listen for AMQP
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind(("127.0.0.1", cluster.nodes[1].amqp_port))
        squatter.listen()
        tree: list[tuple[int, str]] = []
        original_start = cluster.nodes[1].start

        def start_and_record(*args, **kwargs):
            original_start(*args, **kwargs)
            tree.extend(recorded(cluster))

        cluster.nodes[1].start = start_and_record
        with pytest.raises((RabbitMQError, TimeoutError)):
            cluster.start(timeout=60)
    assert tree, "the nodes were never launched"
    assert_nothing_left(cluster, tree, before)


@pytest.mark.rabbitmq
def test_a_killed_test_process_leaves_no_broker_behind(tmp_path):
    # The node is started from a short-lived thread, then its starter dies by SIGKILL.
    script = textwrap.dedent(f"""
        import sys, threading
        from ceilocompat.testing import RabbitMQBroker
        broker = RabbitMQBroker({str(tmp_path / "node")!r})
        t = threading.Thread(target=broker.start)
        t.start(); t.join()
        assert broker.running
        print(" ".join(map(str, broker.pids)), flush=True)
        sys.stdin.read()
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=subprocess_env(), cwd=REPO)
    tree: list[tuple[int, str]] = []
    try:
        line = child.stdout.readline()
        pids = [int(p) for p in line.split()]
        assert len(pids) >= 3, line  # the start script, the VM, epmd...
        tree += [t for pid in pids for t in _processes.descendants(pid)]
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        deadline = time.monotonic() + 60
        while any(_processes.alive(p, s) for p, s in tree):
            assert time.monotonic() < deadline, [p for p, s in tree if _processes.alive(p, s)]
            time.sleep(0.2)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        _processes.signal_alive(tree, signal.SIGKILL)
    assert processes_mentioning(str(tmp_path / "node")) == []


def test_the_testing_helpers_use_no_preexec_fn():
    sources = sorted((REPO / "ceilocompat" / "testing").glob("*.py"))
    assert sources
    assert [p.name for p in sources if "preexec_fn=" in p.read_text()] == []

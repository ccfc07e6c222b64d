"""What a private RabbitMQ cluster costs beside one node, and how fast a quorum queue fails over.

``python -m benchmarks.rabbitmq_cluster [--nodes N] [--rounds R]`` starts,
in each round, one private :class:`~ceilocompat.testing.RabbitMQBroker` and
one :class:`~ceilocompat.testing.RabbitMQCluster` of N nodes (3), one after
the other on the same machine, and prints both start times and their ratio.
On the cluster it then declares a quorum queue, kills its leader with
SIGKILL and times until the cluster names a new leader, and until the
killed node is back (``start_node``). ``--netns`` adds the same round on a
:class:`~ceilocompat.testing.NetnsCluster` (root only) and times how long a
cut-off node takes to pause and, healed, to rejoin (that time includes the
restart of a node whose boot hung on Erlang's global sync, which the round
prints; see ``RabbitMQCluster.wait_until_clustered``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import kombu

from ceilocompat.testing import NetnsCluster, RabbitMQBroker, RabbitMQCluster, find_rabbitmq


def timed(fn) -> float:
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def declare_quorum_queue(url: str) -> str:
    name = f"bench-quorum-{uuid.uuid4().hex[:8]}"
    with kombu.Connection(url.replace("rabbit://", "amqp://")) as conn:
        kombu.Queue(name, durable=True, queue_arguments={"x-queue-type": "quorum"},
                    channel=conn.channel()).declare()
    return name


def failover(cluster: RabbitMQCluster) -> tuple[float, float]:
    """Seconds from SIGKILL of the leader to a new leader, and to the node's return."""
    name = declare_quorum_queue(cluster.nodes[0].url)
    leader = cluster.queue_leader(name)
    killed = time.monotonic()
    cluster.kill_node(leader)
    while cluster.queue_leader(name) in (leader, None):
        time.sleep(0.05)
    elected = time.monotonic() - killed
    back = timed(lambda: cluster.start_node(leader))
    return elected, back


def partition(cluster: NetnsCluster) -> tuple[float, float]:
    """Seconds until a cut-off node pauses, and from the heal until the cluster is whole."""
    cut = time.monotonic()
    cluster.partition(0)
    while cluster.nodes[0].serving():
        time.sleep(0.2)
    paused = time.monotonic() - cut
    cluster.heal(0)
    whole = timed(lambda: cluster.wait_until_clustered(120))
    if cluster.hung_restarts:
        print(f"restarted after hanging on Erlang's global sync: {', '.join(cluster.hung_restarts)}", flush=True)
    return paused, whole


def one_round(base: Path, nodes: int, netns: bool) -> dict[str, float]:
    binaries = find_rabbitmq()
    row: dict[str, float] = {}
    node = RabbitMQBroker(base / "node", binaries)
    try:
        row["node start"] = timed(node.start)
    finally:
        node.close()
    kinds = [(RabbitMQCluster, "cluster", failover, ("new leader after kill", "killed node back"))]
    if netns:
        kinds.append((NetnsCluster, "netns cluster", partition, ("cut-off node paused", "whole again after heal")))
    for kind, label, measure, keys in kinds:
        cluster = kind(base / label.replace(" ", "-"), nodes=nodes, binaries=binaries)
        try:
            row[f"{label} start"] = timed(cluster.start)
            row.update(zip(keys, measure(cluster), strict=True))
        finally:
            cluster.close()
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--netns", action="store_true", help="also time a partition in network namespaces")
    args = parser.parse_args(argv)
    rows = []
    for r in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="ceilocompat-bench-") as base:
            rows.append(one_round(Path(base), args.nodes, args.netns))
        print(f"round {r + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in rows[-1].items()), flush=True)
    print(f"\nmedian of {args.rounds} rounds, {args.nodes} nodes:")
    for key in rows[0]:
        print(f"  {key:24} {statistics.median(row[key] for row in rows):7.2f} s")
    ratio = statistics.median(row["cluster start"] / row["node start"] for row in rows)
    print(f"  cluster start / node start {ratio:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

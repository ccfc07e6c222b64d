"""Samples per second through one RabbitMQ node and through a 3-node cluster with quorum queues, in one run.

``python -m benchmarks.cluster_throughput [--samples N] [--rounds R]``
starts a private node and a private cluster side by side, then, round by
round and alternating which goes first, publishes N samples (batches of 50,
ceilocompat's ``Publisher``) and times until a ``CompatEndpoint`` in a
pool has handled them all: on the node with classic durable queues, on the
cluster with quorum queues (replicated on three nodes, every publish
confirmed by a majority). It prints each round, the median samples per
second of each, and their ratio (cluster / node) from the same run.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from ceilocompat import SAMPLE_ROUTE, CompatEndpoint, Publisher, Sample, compat_listener, notification_transport
from ceilocompat.config import messaging_config
from ceilocompat.testing import RabbitMQBroker, RabbitMQCluster, find_rabbitmq


def samples(count: int) -> list[Sample]:
    return [Sample(counter_name="cpu", counter_type="cumulative", counter_unit="ns", counter_volume=i,
                   resource_id=f"vm-{i % 7}", timestamp="2026-11-20T00:00:00", user_name="alice",
                   message_id=f"m-{i}") for i in range(count)]


def throughput(url: str, *, quorum: bool, items: list[Sample], timeout: float = 300.0) -> float:
    """Samples per second from the first publish until a pool consumer has handled every one."""
    topic = f"bench_{uuid.uuid4().hex[:8]}"
    route = dataclasses.replace(SAMPLE_ROUTE, topic=topic)
    conf = messaging_config(quorum_queues=quorum)
    conf.set_default("amqp_durable_queues", True, group="oslo_messaging_rabbit")
    transport = notification_transport(conf, url)
    done = threading.Event()
    handled = [0]

    def handle(batch: list, _delivery: object) -> None:
        handled[0] += len(batch)
        if handled[0] >= len(items):
            done.set()

    listener = compat_listener(transport, [CompatEndpoint(route, handle)], pool=f"{topic}_collector")
    listener.start()
    try:
        publisher = Publisher(transport, route, "telemetry.publisher.bench")
        publisher.publish(items[:1])  # declares the queues before the clock starts
        while handled[0] < 1:
            time.sleep(0.01)
        handled[0] = 0
        done.clear()
        start = time.monotonic()
        publisher.publish(items)
        if not done.wait(timeout):
            raise RuntimeError(f"only {handled[0]} of {len(items)} samples handled within {timeout:g} s")
        return len(items) / (time.monotonic() - start)
    finally:
        listener.stop()
        listener.wait()
        transport.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--nodes", type=int, default=3)
    args = parser.parse_args(argv)
    items = samples(args.samples)
    binaries = find_rabbitmq()
    with tempfile.TemporaryDirectory(prefix="ceilocompat-bench-") as base:
        node = RabbitMQBroker(Path(base) / "node", binaries)
        cluster = RabbitMQCluster(Path(base) / "cluster", nodes=args.nodes, binaries=binaries)
        try:
            node.start()
            cluster.start()
            sides = {"one node, classic durable queues": (node.url, False),
                     f"{args.nodes}-node cluster, quorum queues": (cluster.url, True)}
            rates: dict[str, list[float]] = {label: [] for label in sides}
            for r in range(args.rounds):
                order = list(sides) if r % 2 == 0 else list(reversed(sides))
                for label in order:
                    url, quorum = sides[label]
                    rates[label].append(throughput(url, quorum=quorum, items=items))
                print(f"round {r + 1}: " + "; ".join(f"{label} {rates[label][-1]:,.0f}/s" for label in sides),
                      flush=True)
        finally:
            cluster.close()
            node.close()
    medians = {label: statistics.median(values) for label, values in rates.items()}
    print(f"\nmedian of {args.rounds} rounds, {args.samples} samples each:")
    for label, value in medians.items():
        print(f"  {label:40} {value:9,.0f} samples/s")
    node_rate, cluster_rate = medians.values()
    print(f"  cluster / node {cluster_rate / node_rate:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

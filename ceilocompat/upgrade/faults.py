"""Faults injected into a rehearsal: a broker restart, a cluster node lost, a consumer killed mid-batch.

Each fault is a hook, ``hook(rehearsal)``, that
:class:`~ceilocompat.upgrade.rehearsal.Rehearsal` runs in the middle of a
step (``hooks={step number: hook}``). A fault uses only the rehearsal's
public side: :meth:`~ceilocompat.upgrade.rehearsal.Rehearsal.produce`,
:meth:`~ceilocompat.upgrade.rehearsal.Rehearsal.note` and its ledger.
"""

from __future__ import annotations

import itertools
import multiprocessing
import pathlib
import shutil
import tempfile
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ceilocompat._consumers import CompatEndpoint, ConsumerPolicy, compat_listener
from ceilocompat.testing import RabbitMQError
from ceilocompat.upgrade.rehearsal_bus import GROUPS, RehearsalBus

if TYPE_CHECKING:  # pragma: no cover
    from ceilocompat.testing import RabbitMQBroker
    from ceilocompat.upgrade.rehearsal import Rehearsal

__all__ = ["NodeLoss", "crash_a_consumer", "restarting"]


def restarting(broker: RabbitMQBroker) -> Callable[[Rehearsal], None]:
    """A hook that restarts *broker* (a :class:`~ceilocompat.testing.RabbitMQBroker`)."""

    def restart(rehearsal: Rehearsal) -> None:
        rehearsal.produce(10)  # in flight while the broker goes down
        broker.restart()
        rehearsal.note("restarted RabbitMQ in the middle of the step")

    return restart


class NodeLoss:
    """Lose the RabbitMQ node that leads the rehearsal's consumed queues, then bring it back.

    :meth:`kill` is the hook of the step in which the node is lost: some
    samples are produced just before, the node's VM is killed (SIGKILL, the
    way a host dies) or, with *partition*, its network is cut off from the
    other nodes and the clients, and more samples flow meanwhile; it notes
    how long the queues took to get a new leader (quorum queues), or that
    they went down with the node (classic queues). :meth:`restart` is the
    hook of a later step: the node starts again with its data, or its
    network is healed, and it rejoins. *cluster* is a
    :class:`~ceilocompat.testing.RabbitMQCluster` (a
    :class:`~ceilocompat.testing.NetnsCluster` for partitions).
    """

    def __init__(self, cluster: Any, failover_timeout: float = 30.0, *, partition: bool = False,
                 rejoin_timeout: float = 180.0) -> None:
        self.cluster = cluster
        self.failover_timeout = failover_timeout
        #: Seconds a healed node has to rejoin before the walk goes on without it (noted in the report).
        self.rejoin_timeout = rejoin_timeout
        self.partition = partition
        self.killed: int | None = None
        #: Seconds from the kill until every consumed queue had a live leader again (None: it never did).
        self.failover: float | None = None

    def kill(self, rehearsal: Rehearsal) -> None:
        queues = [rehearsal.bus.pool(group) for group in GROUPS]
        leaders = [self.cluster.queue_leader(q) for q in queues]
        known = [i for i in leaders if i is not None]
        victim = max(set(known), key=known.count) if known else 0
        name = self.cluster.nodes[victim].nodename
        rehearsal.produce(10)  # in flight while the node goes down
        began = time.monotonic()
        if self.partition:
            self.cluster.partition(victim)
        else:
            self.cluster.kill_node(victim)
        self.killed = victim
        led = ", ".join(q for q, i in zip(queues, leaders, strict=True) if i == victim) or "none of the consumed queues"
        how = "cut RabbitMQ node {} off the network" if self.partition else "killed RabbitMQ node {} (SIGKILL)"
        rehearsal.note(f"{how.format(name)}, which led {led}")
        rehearsal.produce(10)  # produced while the node is down
        while time.monotonic() - began < self.failover_timeout:
            now = [self.cluster.queue_leader(q) for q in queues]
            if all(i is not None and i != victim for i in now):
                self.failover = time.monotonic() - began
                rehearsal.note(f"every consumed queue had a new leader {self.failover:.1f}s after the kill")
                return
            time.sleep(0.2)
        classic = rehearsal.bus.queue_kind != "quorum"
        if self.partition and not classic:
            rehearsal.note(f"the cluster's metadata still named {name} as the queues' leader after "
                           f"{self.failover_timeout:g}s (a partitioned cluster's metadata lags its queues)")
            return
        if not classic:
            why = ""
        elif self.partition:
            why = (" (classic queues live on one node: cut off with it, they take nothing published to them "
                   "meanwhile; quorum queues fail over)")
        else:
            why = " (classic queues live on one node: they are down with it)"
        rehearsal.note(f"no new leader for the queues of node {name} within {self.failover_timeout:g}s{why}")

    def restart(self, rehearsal: Rehearsal) -> None:
        if self.killed is None:
            return
        node = self.cluster.nodes[self.killed]
        if self.partition:
            self.cluster.heal(self.killed)
            restarted = len(self.cluster.hung_restarts)
            try:  # a paused minority node restarts its broker once it sees the majority: slow on a busy machine
                self.cluster.wait_until_clustered(timeout=self.rejoin_timeout)
            except RabbitMQError as exc:
                rehearsal.note(f"healed the network of RabbitMQ node {node.nodename}, but {exc}")
                return
            hung = ("; its broker hung on Erlang's global sync as it resumed (rabbitmq-server#6034) "
                    "and was restarted" if node.nodename in self.cluster.hung_restarts[restarted:] else "")
            rehearsal.note(f"healed the network of RabbitMQ node {node.nodename}{hung}; it rejoined the cluster")
        else:
            self.cluster.start_node(self.killed)
            rehearsal.note(f"restarted RabbitMQ node {node.nodename}; it rejoined the cluster")


def crash_a_consumer(rehearsal: Rehearsal, timeout: float = 60.0) -> None:
    """Start a collector in a child process and kill it (SIGKILL) mid-batch.

    The child holds a batch unacknowledged when it dies; the broker hands
    that batch to the surviving collectors. Needs a real broker.
    """
    if not rehearsal.bus.is_rabbit:
        raise ValueError("crashing a consumer needs a real broker (a rabbit:// transport)")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="ceilocompat-crash-"))
    ids_path = workdir / "delivered.txt"
    marker = workdir / "crashing"
    context = multiprocessing.get_context("spawn")
    child = context.Process(
        target=_crashing_collector,
        args=(rehearsal.bus, rehearsal.secret, str(ids_path), str(marker)),
        daemon=True,
    )
    child.start()
    deadline = time.monotonic() + timeout
    try:
        while not marker.exists():
            if time.monotonic() > deadline or not child.is_alive():
                raise RuntimeError("the collector to be crashed never received a batch")
            rehearsal.produce(5)
            time.sleep(0.2)
    finally:
        if child.is_alive():
            child.kill()
        child.join(30)
        delivered = ids_path.read_text().split("\n") if ids_path.exists() else []
        shutil.rmtree(workdir, ignore_errors=True)
    for line in filter(None, delivered):
        kind, message_id = line.split(" ", 1)
        rehearsal.ledger.record_delivered("collector", kind, [message_id])
    rehearsal.note(f"killed a collector (pid {child.pid}) in the middle of a batch")


def _crashing_collector(bus: RehearsalBus, secret: str, ids_path: str, marker: str) -> None:
    """A child process: a collector that records what it handled, then hangs mid-batch."""
    transport = bus.transport()
    calls = itertools.count(1)
    record = pathlib.Path(ids_path)

    def handler(kind: str) -> Callable[[list, Any], None]:
        def handle(items: list, _delivery: Any) -> None:
            if next(calls) >= 3:
                pathlib.Path(marker).write_text(kind)
                time.sleep(3600)  # the batch stays unacknowledged until the process is killed
            with record.open("a") as out:
                out.write("".join(f"{kind} {item.message_id}\n" for item in items))

        return handle

    policy = ConsumerPolicy(signatures="verify", secret=secret)
    endpoints = [
        CompatEndpoint(bus.samples, handler("sample"), policy=policy),
        CompatEndpoint(bus.events, handler("event"), policy=policy),
    ]
    compat_listener(transport, endpoints, pool=bus.pool("collector")).start()
    while True:
        time.sleep(1)

"""A private N-node RabbitMQ cluster, for rehearsals and tests that lose a node.

:class:`RabbitMQCluster` runs *nodes* :class:`~ceilocompat.testing.RabbitMQBroker`
nodes under one directory: private node names, one private Erlang cookie,
and on loopback one private ``epmd`` that every node shares (never the
system epmd on 4369), each node with its own AMQP and distribution ports.

The cluster forms by classic config peer discovery: every node's
``rabbitmq.conf`` lists all node names, and all nodes boot at once. Since
RabbitMQ 3.8.18 nodes booting in parallel take a cluster-wide lock before
they choose to start blank or join, so exactly one cluster forms, and it
costs one boot instead of ``stop_app``/``join_cluster``/``start_app``
round trips per node. A node that was stopped or killed comes back with
its data and rejoins by itself. :meth:`~RabbitMQCluster.start` returns once
every node accepts AMQP and the first node sees them all running.

``.url`` is the multi-host transport URL oslo.messaging takes
(``rabbit://guest:guest@127.0.0.1:P1,guest:guest@127.0.0.1:P2,.../``) and
``.nodes`` the nodes, each with its own ``.url``. Partition handling is
``pause_minority`` unless told otherwise.

A cluster that is started is closed, whatever happens::

    cluster = RabbitMQCluster(tmp_path, nodes=3)
    try:
        cluster.start()
        ...
        cluster.kill_node(cluster.queue_leader("metering.sample"))
    finally:
        cluster.close()

A cluster has at least one node:

>>> from ceilocompat.testing import RabbitMQCluster
>>> RabbitMQCluster("/nonexistent", nodes=0)
Traceback (most recent call last):
...
ValueError: a cluster needs at least one node, not 0
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from ceilocompat.testing._processes import LOOPBACK, Host
from ceilocompat.testing.rabbitmq import (
    START_TIMEOUT,
    STOP_TIMEOUT,
    Epmd,
    RabbitMQBroker,
    RabbitMQError,
    _Binaries,
    _BrokerAdmin,
    find_rabbitmq,
    reserve_port,
)

__all__ = ["RabbitMQCluster"]

#: Seconds a node may go on waiting on Erlang's global sync after RabbitMQ's workaround ran before it is restarted.
HUNG_GRACE = 15.0

_LOG = logging.getLogger(__name__)


class RabbitMQCluster(_BrokerAdmin):
    """*nodes* private RabbitMQ nodes clustered under *base_dir*; see the module docstring.

    *hosts*, one :class:`~ceilocompat.testing._processes.Host` per node, puts
    nodes on hosts of their own (network namespaces, see
    :class:`~ceilocompat.testing.NetnsCluster`): each host then runs its own
    epmd on the same private port, and node names are long
    (``...n1@10.77.0.1``). *net_ticktime* is how long (seconds) a node takes
    to call an unreachable peer down.
    """

    def __init__(self, base_dir: Path | str, nodes: int = 3, binaries: _Binaries | None = None, *,
                 partition_handling: str = "pause_minority", net_ticktime: int | None = None,
                 hosts: Sequence[Host] | None = None) -> None:
        if nodes < 1:
            raise ValueError(f"a cluster needs at least one node, not {nodes}")
        if hosts is not None and len(hosts) != nodes:
            raise ValueError(f"{nodes} nodes need {nodes} hosts, not {len(hosts)}")
        self.binaries = binaries or find_rabbitmq()
        self.base_dir = Path(base_dir)
        self.partition_handling = partition_handling
        hosts = list(hosts) if hosts is not None else [LOOPBACK] * nodes
        tag = f"ceilocompat{uuid.uuid4().hex[:8]}"
        epmd_port = reserve_port()
        self.epmds: dict[Host, Epmd] = {h: Epmd(self.binaries.epmd, epmd_port, h) for h in hosts}
        names = tuple(f"{tag}n{i + 1}@{'localhost' if h == LOOPBACK else h.address}"
                      for i, h in enumerate(hosts))
        cookie = uuid.uuid4().hex
        self.nodes: list[RabbitMQBroker] = [
            RabbitMQBroker(self.base_dir / f"node{i + 1}", self.binaries, nodename=name, host=host,
                           epmd=self.epmds[host], cookie=cookie, peers=names,
                           partition_handling=partition_handling, net_ticktime=net_ticktime)
            for i, (name, host) in enumerate(zip(names, hosts, strict=True))
        ]
        self.url = "rabbit://" + ",".join(
            f"guest:guest@{n.host.address}:{n.amqp_port}" for n in self.nodes) + "/"
        #: Nodes restarted because their boot hung on Erlang's global sync, in order.
        self.hung_restarts: list[str] = []
        self._lock = threading.RLock()

    # -- lifecycle ---------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Boot every node at once; return when all are running and clustered.

        On failure every process started so far is stopped before the error
        is raised.
        """
        with self._lock:
            deadline = time.monotonic() + timeout
            try:
                for epmd in self.epmds.values():
                    epmd.start()
                for node in self.nodes:
                    node.start(wait=False)
                for node in self.nodes:
                    node.wait_until_started(max(1.0, deadline - time.monotonic()))
                self.wait_until_clustered(max(1.0, deadline - time.monotonic()))
            except BaseException:
                self.close()
                raise

    def wait_until_clustered(self, timeout: float = START_TIMEOUT, among: Sequence[int] | None = None, *,
                             restart_hung_after: float | None = HUNG_GRACE) -> None:
        """Wait until each node of *among* (default: all) sees all of them running.

        A node whose boot still waits on Erlang's ``global`` sync
        *restart_hung_after* seconds after RabbitMQ's own workaround ran (see
        :meth:`~ceilocompat.testing.RabbitMQBroker.waits_on_global_sync`) is
        restarted with its data, as an operator would; ``hung_restarts``
        names it. None leaves it waiting.
        """
        indexes = list(range(len(self.nodes))) if among is None else list(among)
        wanted = {self.nodes[i].nodename for i in indexes}
        deadline = time.monotonic() + timeout
        seen: dict[str, object] = {}
        hung_since: dict[int, float] = {}
        while True:
            pending = []
            for i in indexes:
                node = self.nodes[i]
                try:
                    running = set(node.cluster_status().get("running_nodes", ()))
                except RabbitMQError as exc:
                    running = set()
                    seen[node.nodename] = f"{str(exc).splitlines()[0]} (its log: {node.node_log})"
                    if restart_hung_after is not None:
                        self._restart_if_hung(i, hung_since, restart_hung_after, deadline)
                else:
                    seen[node.nodename] = sorted(running)
                if running != wanted:
                    pending.append(i)
            indexes = pending
            if not indexes:
                return
            if time.monotonic() >= deadline:
                raise RabbitMQError(f"the cluster did not form within {timeout:.0f} s; "
                                    f"running nodes as each node sees them: {seen}")
            time.sleep(0.5)

    def _restart_if_hung(self, i: int, hung_since: dict[int, float], after: float, deadline: float) -> None:
        """Restart node *i* once its boot has waited on global sync *after* seconds past the first sight of it."""
        node = self.nodes[i]
        if not (node.running and node.waits_on_global_sync()):
            hung_since.pop(i, None)
            return
        since = hung_since.setdefault(i, time.monotonic())
        if time.monotonic() - since < after:
            return
        del hung_since[i]
        _LOG.warning("RabbitMQ node %s waits on Erlang's global sync after its own workaround ran "
                     "(rabbitmq-server#6034); restarting it", node.nodename)
        self.hung_restarts.append(node.nodename)
        try:
            node.restart(max(1.0, deadline - time.monotonic()))
        except (RabbitMQError, TimeoutError) as exc:
            _LOG.warning("restarting RabbitMQ node %s: %s", node.nodename, str(exc).splitlines()[0])

    def stop_node(self, i: int, timeout: float = STOP_TIMEOUT) -> None:
        """Stop node *i* gracefully (its data stays)."""
        self._node(i).stop(timeout)

    def kill_node(self, i: int) -> None:
        """SIGKILL every process of node *i* at once, the way a host dies."""
        self._node(i).kill()

    def start_node(self, i: int, timeout: float = START_TIMEOUT) -> None:
        """Start node *i* again with its data; return when it accepts AMQP (it has rejoined)."""
        self._node(i).start(timeout)

    def close(self) -> None:
        """Stop every node (at once) and every epmd, whatever state they are in. Safe to call twice."""
        with self._lock:
            errors: list[BaseException] = []

            def stop(node: RabbitMQBroker) -> None:
                try:
                    node.stop()
                except BaseException as exc:  # noqa: BLE001 - lost in this thread otherwise; close() raises it
                    errors.append(exc)

            try:
                threads = [threading.Thread(target=stop, args=(n,)) for n in self.nodes]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            finally:
                for node in self.nodes:
                    if node.running:
                        node.kill()
                for epmd in self.epmds.values():
                    epmd.close()
            if errors:
                raise RabbitMQError(f"stopping the cluster: {errors[0]}")

    # -- inspection --------------------------------------------------------

    @property
    def pids(self) -> list[int]:
        """Pids of the live processes the cluster started (node trees and epmds)."""
        pids = [p for n in self.nodes for p in n.pids]
        pids += [e.pid for e in self.epmds.values() if e.pid is not None]
        return pids

    def index_of(self, nodename: str) -> int | None:
        """The index of the node called *nodename*, or None."""
        for i, node in enumerate(self.nodes):
            if node.nodename == nodename:
                return i
        return None

    def queue_leader(self, name: str, vhost: str = "/") -> int | None:
        """Index of the node leading quorum queue *name*, or holding classic queue *name*.

        As the cluster's metadata says: just after the leader died it names
        the dead node until a new leader is elected. None when the queue
        does not exist.
        """
        code = (f"case rabbit_amqqueue:lookup(rabbit_misc:r({_erlang_binary(vhost)}, queue, "
                f"{_erlang_binary(name)})) of {{ok, Q}} -> case amqqueue:get_pid(Q) of "
                "{_, N} -> N; P when is_pid(P) -> node(P); _ -> none end; _ -> none end.")
        return self.index_of(self.ctl("eval", code).strip().strip("'"))

    def ctl(self, *args: str, timeout: float = 60) -> str:
        """``rabbitmqctl ARGS`` asked of the first running node that answers."""
        errors = []
        for i in self._ask_order():
            try:
                return self.nodes[i].ctl(*args, timeout=timeout)
            except RabbitMQError as exc:
                errors.append(f"{self.nodes[i].nodename}: {str(exc).splitlines()[0]}")
        raise RabbitMQError("no node of the cluster answered: " + ("; ".join(errors) or "none is running"))

    def _ask_order(self) -> list[int]:
        return [i for i, n in enumerate(self.nodes) if n.running]

    def _node(self, i: int) -> RabbitMQBroker:
        if not 0 <= i < len(self.nodes):
            raise IndexError(f"node index {i} is out of range for a {len(self.nodes)}-node cluster")
        return self.nodes[i]


def _erlang_binary(text: str) -> str:
    """*text* as an Erlang binary literal, safe whatever it holds.

    >>> _erlang_binary("q1")
    '<<113,49>>'
    """
    return "<<" + ",".join(str(b) for b in text.encode()) + ">>"

"""A RabbitMQ cluster whose nodes are hosts of their own, for network partitions.

:class:`NetnsCluster` is a :class:`~ceilocompat.testing.RabbitMQCluster`
whose nodes each run in a network namespace the cluster creates
(``ip netns add``), wired by veth pairs to a bridge that lives in one more
namespace of its own, with private addresses (``10.77.0.1`` and up, the
client ``10.77.0.100``). A client namespace on the same bridge is where
clients run: ``.url`` is reachable from there, not from the caller's own
namespace. The root namespace's interfaces, routes and firewall are never
touched, and ``close()`` removes every namespace it created (their veths go
with them), even after a failure.

Node names are long names on the addresses (``...n1@10.77.0.1``), so no
``/etc/hosts`` entry is needed; each host runs its own private epmd, all on
one port. :meth:`~NetnsCluster.partition` pulls node *i*'s cable at the
bridge, cutting it off from the other nodes and from clients;
:meth:`~NetnsCluster.heal` plugs it back. With ``pause_minority`` (the
default) the cut-off node pauses once ``net_ticktime`` (10 s here) tells
it the others are gone, and resumes after the heal.

It needs root (``ip netns``); without it :meth:`~NetnsCluster.start` raises
:class:`~ceilocompat.testing.RabbitMQUnavailable` with the reason::

    cluster = NetnsCluster(tmp_path, nodes=3)
    try:
        cluster.start()
        cluster.partition(0)
        cluster.run_in_client([sys.executable, "publish.py", cluster.url], check=True)
        cluster.heal(0)
        cluster.wait_until_clustered()
    finally:
        cluster.close()

>>> NetnsCluster.addresses("10.77.0", 3)
['10.77.0.1', '10.77.0.2', '10.77.0.3']
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path

from ceilocompat.testing._processes import Host, launch
from ceilocompat.testing.cluster import RabbitMQCluster
from ceilocompat.testing.rabbitmq import (
    START_TIMEOUT,
    RabbitMQError,
    RabbitMQUnavailable,
    _Binaries,
)

__all__ = ["NetnsCluster"]

#: The bridge's interface name, inside the bridge namespace.
BRIDGE = "br0"


class NetnsCluster(RabbitMQCluster):
    """*nodes* RabbitMQ nodes as hosts in network namespaces; see the module docstring.

    ``client_namespace`` names the namespace clients run in; ``client`` is
    that :class:`~ceilocompat.testing._processes.Host`, ``namespaces`` every
    namespace the cluster creates, ``partitioned`` the nodes cut off now.
    """

    def __init__(self, base_dir: Path | str, nodes: int = 3, binaries: _Binaries | None = None, *,
                 partition_handling: str = "pause_minority", net_ticktime: int = 10,
                 subnet: str = "10.77.0") -> None:
        tag = f"cc{uuid.uuid4().hex[:8]}"
        self.bridge_namespace = f"{tag}-br"
        self.client_namespace = f"{tag}-client"
        self.client = Host(f"{subnet}.100", self.client_namespace)
        node_namespaces = [f"{tag}-n{i + 1}" for i in range(max(nodes, 0))]
        node_addresses = self.addresses(subnet, len(node_namespaces))
        hosts = [Host(a, ns) for a, ns in zip(node_addresses, node_namespaces, strict=True)]
        self.namespaces = [self.bridge_namespace, *node_namespaces, self.client_namespace]
        # (namespace, address, bridge-side veth) of every host on the bridge: the nodes, then the client.
        self._wiring = [(ns, a, _port(i))
                        for i, (ns, a) in enumerate(zip(node_namespaces, node_addresses, strict=True))]
        self._wiring.append((self.client_namespace, self.client.address, "vclient"))
        self.partitioned: set[int] = set()
        self._created: list[str] = []
        super().__init__(base_dir, nodes, binaries, partition_handling=partition_handling,
                         net_ticktime=net_ticktime, hosts=hosts)

    @staticmethod
    def addresses(subnet: str, count: int) -> list[str]:
        """The nodes' addresses in *subnet* (its first three octets)."""
        return [f"{subnet}.{i + 1}" for i in range(count)]

    # -- lifecycle ---------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Create the namespaces and the bridge, then start the cluster in them."""
        with self._lock:
            try:
                self._create_network()
            except BaseException:
                self.close()
                raise
            super().start(timeout)

    def close(self) -> None:
        """Stop every node and epmd, then remove every namespace created. Safe to call twice."""
        with self._lock:
            try:
                super().close()
            finally:
                self._remove_network()

    def partition(self, i: int) -> None:
        """Cut node *i* off from the other nodes and from clients (its bridge port goes down)."""
        self._node(i)
        _ip("-n", self.bridge_namespace, "link", "set", _port(i), "down")
        self.partitioned.add(i)

    def heal(self, i: int) -> None:
        """Connect node *i* again."""
        self._node(i)
        _ip("-n", self.bridge_namespace, "link", "set", _port(i), "up")
        self.partitioned.discard(i)

    # -- clients -----------------------------------------------------------

    def run_in_client(self, argv: Sequence[str], **kwargs) -> subprocess.CompletedProcess:
        """``subprocess.run(argv, **kwargs)`` inside the client namespace."""
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.run([*self.client.prefix, *argv], **kwargs)

    def popen_in_client(self, argv: Sequence[str], **kwargs) -> subprocess.Popen:
        """Start *argv* inside the client namespace, in a session of its own
        (dying with the caller, as the nodes do); the caller stops it."""
        return launch(list(argv), host=self.client, **kwargs)

    # -- the network -------------------------------------------------------

    def _create_network(self) -> None:
        if shutil.which("ip") is None:
            raise RabbitMQUnavailable("ip (iproute2) not found on PATH; network namespaces need it")
        try:
            self._add_namespace(self.bridge_namespace)
        except RabbitMQError as exc:
            raise RabbitMQUnavailable(f"network namespaces are not permitted here: {exc}") from None
        br = self.bridge_namespace
        _ip("-n", br, "link", "add", BRIDGE, "type", "bridge")
        _ip("-n", br, "link", "set", BRIDGE, "up")
        for netns, address, port in self._wiring:
            self._add_namespace(netns)
            _ip("-n", br, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", netns)
            _ip("-n", br, "link", "set", port, "master", BRIDGE)
            _ip("-n", br, "link", "set", port, "up")
            _ip("-n", netns, "link", "set", "lo", "up")
            _ip("-n", netns, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", netns, "link", "set", "eth0", "up")

    def _add_namespace(self, name: str) -> None:
        _ip("netns", "add", name)
        self._created.append(name)

    def _remove_network(self) -> None:
        errors = []
        while self._created:
            name = self._created.pop()
            try:
                _ip("netns", "delete", name)
            except RabbitMQError as exc:
                errors.append(str(exc))
        self.partitioned.clear()
        if errors:
            raise RabbitMQError("removing network namespaces: " + "; ".join(errors))

    def _ask_order(self) -> list[int]:
        running = super()._ask_order()
        return sorted(running, key=lambda i: i in self.partitioned)


def _port(i: int) -> str:
    """The bridge-side veth of node *i*."""
    return f"vnode{i + 1}"


def _ip(*args: str) -> None:
    """Run iproute2's ``ip ARGS``, found on PATH as for Host.prefix's ``ip netns exec``."""
    try:
        proc = subprocess.run(["ip", *args], stdin=subprocess.DEVNULL,  # noqa: S607 - see the docstring
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RabbitMQError(f"ip {' '.join(args)}: {exc}") from None
    if proc.returncode != 0:
        reason = (proc.stderr.strip() or proc.stdout.strip() or f"exit {proc.returncode}").splitlines()[0]
        raise RabbitMQError(f"ip {' '.join(args)}: {reason}")

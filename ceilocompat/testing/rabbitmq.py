"""A private RabbitMQ node on loopback, for rehearsals and functional tests.

:class:`RabbitMQBroker` starts ``rabbitmq-server`` (the Debian/Ubuntu
package, or any install with the scripts on ``PATH``) under a directory of
its own:

* its own node name, AMQP port, Erlang distribution port and its own
  ``epmd`` on a private port, all on 127.0.0.1 and chosen free;
* its own config, ``enabled_plugins`` (empty: no management plugin), data,
  logs, Erlang cookie (``HOME``) and an empty ``rabbitmq-env.conf``, so
  nothing under ``/etc/rabbitmq`` or ``/var/lib/rabbitmq`` is read or
  written and a system broker on 5672 is never touched.

It has ``.url`` (``rabbit://guest:guest@127.0.0.1:PORT/``), ``.restart()``
(same node, same data), ``.kill()`` (SIGKILL, the way a host dies),
``.queues()`` (depth and unacknowledged count per queue, through
``rabbitmqctl``), ``.wait_until_drained()``, ``.set_policy()`` and
``.clear_policy()``. ``.close()`` stops the node, every process it started
and its epmd; only processes this module started are ever signalled.
Processes are launched through ``setpriv --pdeathsig TERM`` when util-linux
``setpriv`` is on ``PATH`` (see :mod:`ceilocompat.testing._processes`), so a
killed test process leaves no broker behind. ``CEILOCOMPAT_RABBITMQ_BIN_DIR``
points at a directory holding ``rabbitmq-server`` and ``rabbitmqctl``.

A policy bounds a queue, on one node as on a cluster::

    broker.set_policy("bounded", "^metering\\.", {"max-length": 1000})
    broker.clear_policy("bounded")
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

from ceilocompat.testing._processes import (
    LOOPBACK,
    Host,
    descendants,
    free_port,
    free_port_block,
    launch,
    stop_tree,
)

__all__ = [
    "Epmd",
    "QueueStats",
    "QueuesNotDrained",
    "RabbitMQBroker",
    "RabbitMQError",
    "RabbitMQUnavailable",
    "find_rabbitmq",
]

#: Seconds allowed for the node to accept AMQP connections.
START_TIMEOUT = 60.0
#: Seconds allowed for a graceful stop before processes are killed.
STOP_TIMEOUT = 30.0
#: What RabbitMQ's node log says when a boot has waited 20 s on Erlang's ``global`` sync.
GLOBAL_HANG_WORKAROUND = "Global hang workaround"
#: What the node log says at the start of each boot of the RabbitMQ application.
_BOOT_LINE = " Starting RabbitMQ "

_SEARCH_DIRS = (
    "/usr/lib/rabbitmq/bin",  # Debian/Ubuntu: the real scripts (/usr/sbin ones su to rabbitmq)
    "/usr/local/lib/rabbitmq/bin",
    "/opt/rabbitmq/sbin",
)


class RabbitMQError(RuntimeError):
    """The private node did not do what was asked: start, answer, or drain."""


class RabbitMQUnavailable(RabbitMQError):
    """rabbitmq-server, rabbitmqctl or epmd is not installed."""


class QueuesNotDrained(RabbitMQError):
    """Messages stayed on the broker, or expected queues do not exist."""


@dataclasses.dataclass(frozen=True)
class QueueStats:
    """Counts of one queue: ``messages`` includes the unacknowledged ones.

    ``available`` is False for a queue whose node is down (a classic queue
    on a stopped cluster node): its counts are unknown and read 0.
    """

    name: str
    messages: int
    messages_unacknowledged: int
    consumers: int
    available: bool = True

    @property
    def messages_ready(self) -> int:
        return self.messages - self.messages_unacknowledged


@dataclasses.dataclass(frozen=True)
class _Binaries:
    server: str
    ctl: str
    epmd: str


def find_rabbitmq() -> _Binaries:
    """Locate rabbitmq-server, rabbitmqctl and epmd, or raise RabbitMQUnavailable."""
    dirs = []
    override = os.environ.get("CEILOCOMPAT_RABBITMQ_BIN_DIR")
    if override:
        dirs.append(override)
    dirs.extend(_SEARCH_DIRS)
    on_path = shutil.which("rabbitmq-server")
    if on_path:
        dirs.append(os.path.dirname(os.path.realpath(on_path)))
    found: tuple[str, str] | None = None
    for d in dirs:
        s, c = os.path.join(d, "rabbitmq-server"), os.path.join(d, "rabbitmqctl")
        if os.access(s, os.X_OK) and os.access(c, os.X_OK) and not _is_debian_su_wrapper(s):
            found = s, c
            break
    if found is None:
        raise RabbitMQUnavailable(
            "rabbitmq-server not found (looked in "
            + ", ".join(dirs)
            + "); install the rabbitmq-server package or set CEILOCOMPAT_RABBITMQ_BIN_DIR"
        )
    epmd = shutil.which("epmd")
    if epmd is None:
        candidates = sorted(Path("/usr/lib/erlang").glob("erts-*/bin/epmd"))
        if candidates:
            epmd = str(candidates[-1])
    if epmd is None:
        raise RabbitMQUnavailable("epmd (Erlang) not found; RabbitMQ needs an Erlang runtime")
    if shutil.which("erl") is None:
        raise RabbitMQUnavailable("erl (Erlang) not found on PATH; RabbitMQ needs an Erlang runtime")
    return _Binaries(*found, epmd)


def _is_debian_su_wrapper(path: str) -> bool:
    # /usr/sbin/rabbitmq-server on Debian re-executes as the rabbitmq user
    # with its own HOME and cwd; only the scripts it wraps can run privately.
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return True
    return b"su rabbitmq" in head


_ports_lock = threading.Lock()
_ports_handed_out: set[int] = set()


def reserve_port() -> int:
    """A port free on 127.0.0.1 and not handed out before by this process."""
    with _ports_lock:
        while True:
            p = free_port()
            if p not in _ports_handed_out:
                _ports_handed_out.add(p)
                return p


def _pick_ports() -> tuple[int, int, int, int]:
    """AMQP, distribution and epmd ports and the first of 10 CLI ports."""
    amqp, dist, epmd = reserve_port(), reserve_port(), reserve_port()
    with _ports_lock:
        ctl_base = free_port_block(10, _ports_handed_out)
        _ports_handed_out.update(range(ctl_base, ctl_base + 10))
    return amqp, dist, epmd, ctl_base


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("RABBITMQ_", "ERL_", "CONF_ENV_FILE"))}


class Epmd:
    """A private ``epmd`` on *port* of *host*, run in the foreground as a child.

    Never the system epmd on 4369: nodes and the CLI are started with
    ``-start_epmd false`` and ``ERL_EPMD_PORT`` set to this port. Nodes of
    one host share it; a node given none starts its own.
    """

    def __init__(self, binary: str, port: int, host: Host = LOOPBACK) -> None:
        self.binary, self.port, self.host = binary, port, host
        self._proc: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.pid is not None

    @property
    def pid(self) -> int | None:
        """Its pid while it runs, else None."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> None:
        """Start it (once) and return when it listens."""
        if self.running:
            return
        addresses = ",".join(dict.fromkeys(["127.0.0.1", self.host.address]))
        self._proc = launch([self.binary, "-port", str(self.port), "-address", addresses],
                            host=self.host, env=_clean_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RabbitMQError(f"epmd exited with {self._proc.returncode} on port {self.port}")
            try:
                self.host.call(lambda: socket.create_connection((self.host.address, self.port),
                                                                timeout=1).close())
                return
            except OSError:
                time.sleep(0.05)
        raise RabbitMQError(f"epmd did not listen on {self.host.address}:{self.port} within 10 s")

    def close(self) -> None:
        """Stop it. Safe to call twice."""
        proc, self._proc = self._proc, None
        if proc is not None:
            stop_tree(proc, timeout=10)


def _queue_stats(row: dict) -> QueueStats:
    """One row of ``rabbitmqctl list_queues --formatter json`` as :class:`QueueStats`.

    >>> _queue_stats({"name": "q", "messages": 3, "messages_unacknowledged": 1, "consumers": 2})
    QueueStats(name='q', messages=3, messages_unacknowledged=1, consumers=2, available=True)
    >>> _queue_stats({"name": "q", "messages": "", "messages_unacknowledged": "", "consumers": ""}).available
    False
    """
    keys = ("messages", "messages_unacknowledged", "consumers")
    try:
        messages, unacknowledged, consumers = (int(row[k]) for k in keys)
    except (KeyError, TypeError, ValueError):  # '' while the queue's node is down
        return QueueStats(row["name"], 0, 0, 0, available=False)
    return QueueStats(row["name"], messages, unacknowledged, consumers)


class _BrokerAdmin:
    """What a node and a cluster both answer through ``rabbitmqctl``."""

    def ctl(self, *args: str, timeout: float = 60) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _list_queues(self, vhost: str, *items: str) -> list[dict]:
        out = self.ctl("list_queues", "-p", vhost, "-q", "--formatter", "json", *items)
        return json.loads(out or "[]")

    def queues(self, vhost: str = "/") -> dict[str, QueueStats]:
        """Every queue of *vhost* with its depth, unacked count and consumers."""
        rows = self._list_queues(vhost, "name", "messages", "messages_unacknowledged", "consumers")
        return {r["name"]: _queue_stats(r) for r in rows}

    def wait_until_drained(self, names=None, timeout: float = 15.0,
                           vhost: str = "/") -> dict[str, QueueStats]:
        """Wait until the queues (all, or *names*) hold no message, acked or not.

        Raises :class:`QueuesNotDrained` listing what stayed (or could not
        be counted, its node being down), after *timeout* seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            stats = self.queues(vhost)
            if names is not None:
                missing = [n for n in names if n not in stats]
                if missing:
                    raise QueuesNotDrained(f"queues do not exist: {missing}; have {sorted(stats)}")
                stats = {n: stats[n] for n in names}
            left = {n: s for n, s in stats.items()
                    if s.messages or s.messages_unacknowledged or not s.available}
            if not left:
                return stats
            if time.monotonic() >= deadline:
                raise QueuesNotDrained(f"messages stayed on the broker after {timeout} s: {left}")
            time.sleep(0.2)

    def set_policy(self, name: str, pattern: str, definition: dict, apply_to: str = "queues",
                   *, priority: int = 0, vhost: str = "/") -> None:
        """Set policy *name*: *definition* (e.g. ``{"max-length": 10}``) on what *pattern* matches.

        *apply_to* is ``queues``, ``exchanges``, ``classic_queues``,
        ``quorum_queues``, ``streams`` or ``all``, as ``rabbitmqctl set_policy``
        takes it.
        """
        self.ctl("set_policy", "-p", vhost, "--apply-to", apply_to, "--priority", str(priority),
                 name, pattern, json.dumps(definition))

    def clear_policy(self, name: str, vhost: str = "/") -> None:
        """Remove policy *name*."""
        self.ctl("clear_policy", "-p", vhost, name)

    def policies(self, vhost: str = "/") -> dict[str, dict]:
        """The policies of *vhost* by name: pattern, apply-to, definition, priority."""
        rows = json.loads(self.ctl("list_policies", "-p", vhost, "-q", "--formatter", "json") or "[]")
        return {r["name"]: r for r in rows}


class RabbitMQBroker(_BrokerAdmin):
    """One private RabbitMQ node under *base_dir*; see the module docstring.

    The keyword arguments make it one node of a cluster (see
    :class:`~ceilocompat.testing.RabbitMQCluster`, which sets them):
    *nodename* (a host part with a dot, such as ``n1@10.77.0.1``, means
    long names), *host* (its address and network namespace), *epmd* (an
    :class:`Epmd` shared by the nodes of one host; by default the node runs
    its own), *cookie* (the Erlang cookie, random by default), *peers* (node
    names for classic config peer discovery), *partition_handling*
    (``cluster_partition_handling``: ``ignore``, ``pause_minority``,
    ``autoheal``) and *net_ticktime* (seconds before an unreachable peer is
    declared down; Erlang's default is 60).
    """

    def __init__(self, base_dir: Path, binaries: _Binaries | None = None, *,
                 nodename: str | None = None, host: Host = LOOPBACK, epmd: Epmd | None = None,
                 cookie: str | None = None, peers: tuple[str, ...] = (),
                 partition_handling: str | None = None, net_ticktime: int | None = None) -> None:
        self.binaries = binaries or find_rabbitmq()
        self.base_dir = Path(base_dir)
        self.host = host
        self.amqp_port, self.dist_port, epmd_port, ctl_base = _pick_ports()
        self._owns_epmd = epmd is None
        self.epmd = epmd if epmd is not None else Epmd(self.binaries.epmd, epmd_port, host)
        self.epmd_port = self.epmd.port
        self.nodename = nodename or f"ceilocompat{os.getpid()}x{uuid.uuid4().hex[:8]}@localhost"
        self.longnames = "." in self.nodename.partition("@")[2]
        self.cookie = cookie or uuid.uuid4().hex
        self.url = f"rabbit://guest:guest@{host.address}:{self.amqp_port}/"
        self._server: subprocess.Popen | None = None
        self._lock = threading.RLock()
        self.starts = 0

        conf = self.base_dir / "etc"
        for d in ("etc", "etc/conf.d", "mnesia", "log", "home"):
            (self.base_dir / d).mkdir(parents=True, exist_ok=True)
        cookie_file = self.base_dir / "home" / ".erlang.cookie"
        if not cookie_file.exists():
            fd = os.open(cookie_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
            with os.fdopen(fd, "w") as f:
                f.write(self.cookie)
        self.cookie = cookie_file.read_text()
        (conf / "enabled_plugins").write_text("[].\n")
        (conf / "rabbitmq-env.conf").write_text("")
        lines = [
            f"listeners.tcp.default = {host.address}:{self.amqp_port}",
            # guest may log in from elsewhere only inside a private namespace.
            f"loopback_users.guest = {'true' if host.netns is None else 'false'}",
            # Never pause publishers in tests for lack of disk or memory.
            "disk_free_limit.absolute = 1MB",
            "vm_memory_high_watermark.relative = 0.9",
            "log.console = true",
            "log.console.level = info",
            "log.file.level = info",
        ]
        if partition_handling:
            lines.append(f"cluster_partition_handling = {partition_handling}")
        if peers:
            lines.append("cluster_formation.peer_discovery_backend = classic_config")
            lines += [f"cluster_formation.classic_config.nodes.{i} = {p}"
                      for i, p in enumerate(peers, 1)]
            # Booting peers take a cluster-wide lock before choosing to seed
            # or join, so the node holding it need not wait long for others.
            lines += ["cluster_formation.discovery_retry_limit = 2",
                      "cluster_formation.discovery_retry_interval = 200"]
        (conf / "rabbitmq.conf").write_text("\n".join(lines) + "\n")
        self.server_output = self.base_dir / "log" / "server-output.log"
        self.node_log = self.base_dir / "log" / f"{self.nodename}.log"

        erl_args = ("-start_epmd false -kernel inet_dist_use_interface "
                    f"{{{host.address.replace('.', ',')}}}")
        if net_ticktime:
            erl_args += f" -kernel net_ticktime {int(net_ticktime)}"
        env = _clean_env()
        env.update({
            "HOME": str(self.base_dir / "home"),  # .erlang.cookie lives here
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_USE_LONGNAME": "true" if self.longnames else "false",
            "RABBITMQ_NODE_IP_ADDRESS": host.address,
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CTL_DIST_PORT_MIN": str(ctl_base),
            "RABBITMQ_CTL_DIST_PORT_MAX": str(ctl_base + 9),
            "ERL_EPMD_PORT": str(self.epmd_port),
            # Only our epmd (neither the node nor the CLI may spawn a daemon
            # one), and Erlang distribution on the host's address only.
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": erl_args,
            "RABBITMQ_CTL_ERL_ARGS": erl_args,
            "ERL_EPMD_ADDRESS": host.address,
            "RABBITMQ_CONF_ENV_FILE": str(conf / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(conf / "rabbitmq.conf"),
            "RABBITMQ_CONFIG_FILES": str(conf / "conf.d"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(conf / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(conf / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.base_dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base_dir / "log"),
            "RABBITMQ_PID_FILE": str(self.base_dir / "rabbitmq.pid"),
            "RABBITMQ_MOTD_FILE": str(conf / "motd"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(self.base_dir / "plugins-expand"),
        })
        self.env = env

    # -- lifecycle ---------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT, *, wait: bool = True) -> None:
        """Start epmd (once) and the node; return when it accepts AMQP.

        With ``wait=False`` return once the node is launched; call
        :meth:`wait_until_started` next.
        """
        with self._lock:
            if self.running:
                return
            self.epmd.start()
            with open(self.server_output, "ab") as out:
                out.write(f"\n==== start {self.starts + 1} at {time.ctime()} ====\n".encode())
                out.flush()
                self._server = launch([self.binaries.server], host=self.host, env=self.env,
                                      cwd=str(self.base_dir), stdout=out, stderr=subprocess.STDOUT)
            self.starts += 1
            if wait:
                self.wait_until_started(timeout)

    def wait_until_started(self, timeout: float = START_TIMEOUT) -> None:
        """Return when the launched node accepts AMQP; stop it and raise if it does not."""
        try:
            self._wait_for_amqp(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the node gracefully and every process it started (epmd stays up)."""
        self._end(timeout, signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL every process of the node at once, the way a host dies (epmd stays up)."""
        self._end(0, signal.SIGKILL)

    def _end(self, timeout: float, signum: int) -> None:
        with self._lock:
            server, self._server = self._server, None
            if server is not None:
                # The start script traps TERM and stops the VM cleanly.
                stop_tree(server, timeout, signum)

    def restart(self, timeout: float = START_TIMEOUT) -> None:
        """Stop and start the same node on the same ports, keeping its data."""
        with self._lock:
            self.stop()
            self.start(timeout)

    def close(self) -> None:
        """Stop the node and its own epmd. Safe to call twice."""
        with self._lock:
            try:
                self.stop()
            finally:
                if self._owns_epmd:
                    self.epmd.close()

    @property
    def running(self) -> bool:
        """Whether the node's processes run (a paused node runs too)."""
        return self._server is not None and self._server.poll() is None

    @property
    def pids(self) -> list[int]:
        """Pids of the live processes this broker started (node tree and its own epmd)."""
        pids: list[int] = []
        if self._server is not None:
            pids.extend(p for p, _ in descendants(self._server.pid))
        if self._owns_epmd and self.epmd.pid is not None:
            pids.append(self.epmd.pid)
        return pids

    def _wait_for_amqp(self, timeout: float) -> None:
        import amqp

        def probe() -> None:
            conn = amqp.Connection(
                host=f"{self.host.address}:{self.amqp_port}", userid="guest",
                password="guest", virtual_host="/", connect_timeout=2,  # noqa: S106 - the private node's default user
            )
            conn.connect()
            conn.close()

        deadline = time.monotonic() + timeout
        last_error: BaseException | None = None
        while time.monotonic() < deadline:
            if self._server is None:
                raise RabbitMQError("rabbitmq-server is not running (broker stopped?)")
            if self._server.poll() is not None:
                raise RabbitMQError(
                    f"rabbitmq-server exited with {self._server.returncode} "
                    f"before accepting AMQP\n{self.logs()}"
                )
            try:
                self.host.call(probe)
                return
            except (OSError, amqp.exceptions.AMQPError) as exc:  # refused, handshake while booting...
                last_error = exc
                time.sleep(0.25)
        raise TimeoutError(
            f"rabbitmq-server did not accept AMQP on {self.host.address}:{self.amqp_port} "
            f"within {timeout:.0f} s (last error: {last_error!r})\n{self.logs()}"
        )

    # -- inspection --------------------------------------------------------

    def logs(self, max_chars: int = 20_000) -> str:
        """Tail of the start script's output and of the node log."""
        parts = []
        for path in (self.server_output, self.node_log):
            try:
                text = path.read_text(errors="replace")
            except OSError:
                text = "<missing>"
            parts.append(f"---- {path} ----\n{text[-max_chars:]}")
        return "\n".join(parts)

    def ctl(self, *args: str, timeout: float = 60) -> str:
        """Run ``rabbitmqctl -n <node> ARGS`` on the node's host with its environment."""
        if not self.epmd.running:
            raise RabbitMQError("the broker's epmd is not running (broker closed?)")
        argv = [*self.host.prefix, self.binaries.ctl, "-n", self.nodename, *args]
        if self.longnames:
            argv.insert(len(self.host.prefix) + 1, "--longnames")
        try:
            proc = subprocess.run(argv, env=self.env, cwd=str(self.base_dir),
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RabbitMQError(f"rabbitmqctl {' '.join(args)} did not answer within {timeout:g} s") from None
        if proc.returncode != 0:
            said = " ".join((proc.stderr.strip() or proc.stdout.strip()).split()[:40]) or "nothing said"
            raise RabbitMQError(
                f"rabbitmqctl {' '.join(args)} failed ({proc.returncode}): {said}\n"
                f"{proc.stdout}\n{proc.stderr}"
            )
        return proc.stdout

    def cluster_status(self) -> dict:
        """``rabbitmqctl cluster_status`` as this node sees it (``running_nodes``, ``partitions``...)."""
        return json.loads(self.ctl("cluster_status", "--formatter", "json"))

    def log_since_boot(self) -> str:
        """The node log from the latest boot of the RabbitMQ application on ("" when there is none)."""
        try:
            text = self.node_log.read_text(errors="replace")
        except OSError:
            return ""
        return _since_last_boot(text)

    def waits_on_global_sync(self) -> bool:
        """Whether the latest boot ran RabbitMQ's global hang workaround and the node still does not serve.

        RabbitMQ's boot waits on Erlang's ``global:sync()``; after 20 s it
        logs :data:`GLOBAL_HANG_WORKAROUND` and fakes a nodedown/nodeup to
        unblock it. Before RabbitMQ 3.10.9 and 3.11.1 that workaround sends
        messages Erlang 25.1 and later ignore (rabbitmq-server#6034), and a
        node resuming after a partition can then wait forever.
        """
        return GLOBAL_HANG_WORKAROUND in self.log_since_boot() and not self.serving()

    def serving(self) -> bool:
        """Whether the RabbitMQ application runs on the node (False when paused or booting)."""
        try:
            return self.ctl("eval", "rabbit:is_running().", timeout=30).strip() == "true"
        except RabbitMQError:
            return False


def _since_last_boot(log: str) -> str:
    """The part of a node log from the last boot of the RabbitMQ application.

    >>> _since_last_boot("a  Starting RabbitMQ 3.10.8\\nb\\nc  Starting RabbitMQ 3.10.8\\nd\\n")
    ' Starting RabbitMQ 3.10.8\\nd\\n'
    >>> _since_last_boot("no boot yet")
    ''
    """
    at = log.rfind(_BOOT_LINE)
    return "" if at < 0 else log[at:]

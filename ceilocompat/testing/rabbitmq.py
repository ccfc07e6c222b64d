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
(same node, same data), ``.queues()`` (depth and unacknowledged count per
queue, through ``rabbitmqctl``) and ``.wait_until_drained()``. ``.close()``
stops the node, every process it started and its epmd; only processes this
module started are ever signalled. ``CEILOCOMPAT_RABBITMQ_BIN_DIR`` points at
a directory holding ``rabbitmq-server`` and ``rabbitmqctl``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path


__all__ = [
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

_SEARCH_DIRS = (
    "/usr/lib/rabbitmq/bin",  # Debian/Ubuntu: the real scripts (/usr/sbin ones su to rabbitmq)
    "/usr/local/lib/rabbitmq/bin",
    "/opt/rabbitmq/sbin",
)


_ERL_ARGS = "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}"


class RabbitMQError(RuntimeError):
    """The private node did not do what was asked: start, answer, or drain."""


class RabbitMQUnavailable(RabbitMQError):
    """rabbitmq-server, rabbitmqctl or epmd is not installed."""


class QueuesNotDrained(RabbitMQError):
    """Messages stayed on the broker, or expected queues do not exist."""


@dataclasses.dataclass(frozen=True)
class QueueStats:
    """Counts of one queue: ``messages`` includes the unacknowledged ones."""

    name: str
    messages: int
    messages_unacknowledged: int
    consumers: int

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
    server = ctl = None
    for d in dirs:
        s, c = os.path.join(d, "rabbitmq-server"), os.path.join(d, "rabbitmqctl")
        if os.access(s, os.X_OK) and os.access(c, os.X_OK) and not _is_debian_su_wrapper(s):
            server, ctl = s, c
            break
    if server is None:
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
    return _Binaries(server, ctl, epmd)


def _is_debian_su_wrapper(path: str) -> bool:
    # /usr/sbin/rabbitmq-server on Debian re-executes as the rabbitmq user
    # with its own HOME and cwd; only the scripts it wraps can run privately.
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return True
    return b"su rabbitmq" in head


def _die_with_parent() -> None:
    """preexec_fn: SIGTERM this child if the test process dies (Linux only),
    so even a killed pytest leaves no broker behind."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port_block(size: int, taken: set[int]) -> int:
    """First port of *size* consecutive free ports (for the CLI's dist range)."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 30000 - size)
        block = range(base, base + size)
        if not taken.intersection(block) and all(_port_is_free(p) for p in block):
            return base
    raise RabbitMQError(f"no block of {size} free ports found")


def _pick_ports() -> tuple[int, int, int, int]:
    taken: set[int] = set()
    ports = []
    while len(ports) < 3:
        p = _free_port()
        if p not in taken:
            taken.add(p)
            ports.append(p)
    ctl_base = _free_port_block(10, taken)
    return ports[0], ports[1], ports[2], ctl_base


def _proc_stat(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name, or None if gone.

    Index 0 is the state (``Z`` for a zombie), 1 the parent pid and 19 the
    start time, which tells a process from a later one given the same pid.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode("ascii", "replace")
    except OSError:
        return None
    return data.rsplit(")", 1)[1].split()


def _proc_start_time(pid: int) -> str | None:
    """Start time of *pid*: identifies a process beyond its pid."""
    fields = _proc_stat(pid)
    return None if fields is None else fields[19]


def _descendants(root: int) -> list[tuple[int, str]]:
    """(pid, start time) of every live descendant of *root*, root first."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        fields = _proc_stat(entry) if entry.isdigit() else None
        if fields is None or fields[0] == "Z":
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    found = []
    todo = [root]
    while todo:
        pid = todo.pop()
        start = _proc_start_time(pid)
        if start is None:
            continue
        found.append((pid, start))
        todo.extend(children.get(pid, ()))
    return found


def _signal_alive(tree: list[tuple[int, str]], signum: int) -> None:
    """Send *signum* to each process of *tree* that is still the one recorded."""
    for pid, start in tree:
        if _alive(pid, start):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass


def _alive(pid: int, start: str) -> bool:
    fields = _proc_stat(pid)
    return fields is not None and fields[0] != "Z" and fields[19] == start


class RabbitMQBroker:
    """One private RabbitMQ node under *base_dir*; see the module docstring."""

    def __init__(self, base_dir: Path, binaries: _Binaries | None = None) -> None:
        self.binaries = binaries or find_rabbitmq()
        self.base_dir = Path(base_dir)
        self.amqp_port, self.dist_port, self.epmd_port, ctl_base = _pick_ports()
        self.nodename = f"ceilocompat{os.getpid()}x{uuid.uuid4().hex[:8]}@localhost"
        self.url = f"rabbit://guest:guest@127.0.0.1:{self.amqp_port}/"
        self._server: subprocess.Popen | None = None
        self._epmd: subprocess.Popen | None = None
        self._lock = threading.RLock()
        self.starts = 0

        conf = self.base_dir / "etc"
        for d in ("etc", "etc/conf.d", "mnesia", "log", "home"):
            (self.base_dir / d).mkdir(parents=True, exist_ok=True)
        (conf / "enabled_plugins").write_text("[].\n")
        (conf / "rabbitmq-env.conf").write_text("")
        (conf / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}\n"
            "loopback_users.guest = true\n"
            # Never pause publishers in tests for lack of disk or memory.
            "disk_free_limit.absolute = 1MB\n"
            "vm_memory_high_watermark.relative = 0.9\n"
            "log.console = true\n"
            "log.console.level = info\n"
            "log.file.level = info\n"
        )
        self.server_output = self.base_dir / "log" / "server-output.log"
        self.node_log = self.base_dir / "log" / f"{self.nodename}.log"

        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("RABBITMQ_", "ERL_", "CONF_ENV_FILE"))}
        env.update({
            "HOME": str(self.base_dir / "home"),  # .erlang.cookie lives here
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_USE_LONGNAME": "false",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CTL_DIST_PORT_MIN": str(ctl_base),
            "RABBITMQ_CTL_DIST_PORT_MAX": str(ctl_base + 9),
            "ERL_EPMD_PORT": str(self.epmd_port),
            # Only our epmd (neither the node nor the CLI may spawn a daemon
            # one), and Erlang distribution on loopback only.
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": _ERL_ARGS,
            "RABBITMQ_CTL_ERL_ARGS": _ERL_ARGS,
            "ERL_EPMD_ADDRESS": "127.0.0.1",
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

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start epmd (once) and the node; return when it accepts AMQP."""
        with self._lock:
            if self._server is not None and self._server.poll() is None:
                return
            self._start_epmd()
            out = open(self.server_output, "ab")
            try:
                out.write(f"\n==== start {self.starts + 1} at {time.ctime()} ====\n".encode())
                out.flush()
                self._server = subprocess.Popen(
                    [self.binaries.server], env=self.env, cwd=str(self.base_dir),
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    start_new_session=True, preexec_fn=_die_with_parent,
                )
            finally:
                out.close()
            self.starts += 1
            try:
                self._wait_for_amqp(timeout)
            except BaseException:
                self.stop()
                raise

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the node and every process it started (epmd stays up)."""
        with self._lock:
            server, self._server = self._server, None
            if server is None:
                return
            tree = _descendants(server.pid)
            if server.poll() is None:
                # Not reaped yet, so its group id cannot belong to anyone
                # else. The start script traps TERM and stops the VM cleanly.
                try:
                    os.killpg(server.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            else:
                _signal_alive(tree, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if server.poll() is not None and not any(_alive(p, s) for p, s in tree):
                    break
                time.sleep(0.1)
            # Whatever survived (the VM's helpers run in their own sessions).
            _signal_alive(tree, signal.SIGKILL)
            if server.poll() is None:
                try:
                    os.killpg(server.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            server.wait(timeout=10)

    def restart(self, timeout: float = START_TIMEOUT) -> None:
        """Stop and start the same node on the same ports, keeping its data."""
        with self._lock:
            self.stop()
            self.start(timeout)

    def close(self) -> None:
        """Stop the node and the private epmd. Safe to call twice."""
        with self._lock:
            try:
                self.stop()
            finally:
                epmd, self._epmd = self._epmd, None
                if epmd is not None and epmd.poll() is None:
                    epmd.terminate()
                    try:
                        epmd.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        epmd.kill()
                        epmd.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.poll() is None

    @property
    def pids(self) -> list[int]:
        """Pids of the live processes this broker started (node tree and epmd)."""
        pids = []
        if self._server is not None:
            pids.extend(p for p, _ in _descendants(self._server.pid))
        if self._epmd is not None and self._epmd.poll() is None:
            pids.append(self._epmd.pid)
        return pids

    def _start_epmd(self) -> None:
        if self._epmd is not None and self._epmd.poll() is None:
            return
        # Foreground epmd (no -daemon) as our own child, so we can stop it
        # and the system epmd on 4369 is never involved.
        self._epmd = subprocess.Popen(
            [self.binaries.epmd, "-port", str(self.epmd_port), "-address", "127.0.0.1"],
            env=self.env, cwd=str(self.base_dir), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._epmd.poll() is not None:
                raise RabbitMQError(f"epmd exited with {self._epmd.returncode} on port {self.epmd_port}")
            try:
                socket.create_connection(("127.0.0.1", self.epmd_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RabbitMQError(f"epmd did not listen on port {self.epmd_port} within 10 s")

    def _wait_for_amqp(self, timeout: float) -> None:
        import amqp

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
                conn = amqp.Connection(
                    host=f"127.0.0.1:{self.amqp_port}", userid="guest",
                    password="guest", virtual_host="/", connect_timeout=2,
                )
                conn.connect()
                conn.close()
                return
            except Exception as exc:  # refused, handshake while booting...
                last_error = exc
                time.sleep(0.25)
        raise TimeoutError(
            f"rabbitmq-server did not accept AMQP on 127.0.0.1:{self.amqp_port} "
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
        """Run ``rabbitmqctl -n <node> ARGS`` with this node's environment."""
        if self._epmd is None or self._epmd.poll() is not None:
            raise RabbitMQError("the broker's epmd is not running (broker closed?)")
        proc = subprocess.run(
            [self.binaries.ctl, "-n", self.nodename, *args],
            env=self.env, cwd=str(self.base_dir), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=timeout,
        )
        if proc.returncode != 0:
            raise RabbitMQError(
                f"rabbitmqctl {' '.join(args)} failed ({proc.returncode}):\n"
                f"{proc.stdout}\n{proc.stderr}"
            )
        return proc.stdout

    def queues(self, vhost: str = "/") -> dict[str, QueueStats]:
        """Every queue of *vhost* with its depth, unacked count and consumers."""
        out = self.ctl("list_queues", "-p", vhost, "-q", "--formatter", "json",
                       "name", "messages", "messages_unacknowledged", "consumers")
        rows = json.loads(out or "[]")
        return {
            r["name"]: QueueStats(r["name"], int(r["messages"]),
                                  int(r["messages_unacknowledged"]), int(r["consumers"]))
            for r in rows
        }

    def wait_until_drained(self, names=None, timeout: float = 15.0,
                           vhost: str = "/") -> dict[str, QueueStats]:
        """Wait until the queues (all, or *names*) hold no message, acked or not.

        Raises :class:`QueuesNotDrained` listing what stayed, after *timeout* seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            stats = self.queues(vhost)
            if names is not None:
                missing = [n for n in names if n not in stats]
                if missing:
                    raise QueuesNotDrained(f"queues do not exist: {missing}; have {sorted(stats)}")
                stats = {n: stats[n] for n in names}
            left = {n: s for n, s in stats.items() if s.messages or s.messages_unacknowledged}
            if not left:
                return stats
            if time.monotonic() >= deadline:
                raise QueuesNotDrained(f"messages stayed on the broker after {timeout} s: {left}")
            time.sleep(0.2)

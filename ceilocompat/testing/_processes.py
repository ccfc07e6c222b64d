"""Processes the testing helpers start: where they run, how they die with the caller.

A :class:`Host` is where a process runs: loopback in the caller's own
network namespace, or a network namespace of its own (``ip netns exec``).
:func:`launch` starts a child in a session of its own through util-linux
``setpriv --pdeathsig TERM`` when ``setpriv`` is on ``PATH``: the kernel
sends SIGTERM to the child when the process that started it dies, so a
killed test process leaves nothing behind. No ``preexec_fn`` is used (it is
unsafe in a process with threads); without ``setpriv`` only ``close()``
stops what was started.

Only processes recorded at start (pid and start time, see
:func:`descendants`) are ever signalled.

>>> LOOPBACK.address, LOOPBACK.prefix
('127.0.0.1', ())
>>> Host("10.77.0.1", netns="cc-n1").prefix
('ip', 'netns', 'exec', 'cc-n1')
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = [
    "LOOPBACK",
    "Host",
    "alive",
    "descendants",
    "free_port",
    "free_port_block",
    "launch",
    "signal_alive",
    "stop_tree",
]

T = TypeVar("T")

_CLONE_NEWNET = 0x40000000


@dataclasses.dataclass(frozen=True)
class Host:
    """Where a process runs: an IPv4 address, and a network namespace or None."""

    address: str = "127.0.0.1"
    netns: str | None = None

    @property
    def prefix(self) -> tuple[str, ...]:
        """The argv prefix that runs a command on this host."""
        return ("ip", "netns", "exec", self.netns) if self.netns else ()

    def call(self, fn: Callable[[], T]) -> T:
        """``fn()`` with its sockets in this host's network namespace.

        Runs in a thread of its own that enters the namespace (``setns``
        changes only the calling thread), and returns or raises what
        ``fn`` did.
        """
        netns = self.netns
        if netns is None:
            return fn()
        outcome: list = []

        def run() -> None:
            try:
                _enter_netns(netns)
                outcome.append((True, fn()))
            except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread, whatever it is
                outcome.append((False, exc))

        thread = threading.Thread(target=run, name=f"netns-{netns}", daemon=True)
        thread.start()
        thread.join()
        ok, value = outcome[0]
        if not ok:
            raise value
        return value


LOOPBACK = Host()


def _enter_netns(name: str) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(fd, _CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns into network namespace {name}: {os.strerror(err)}")
    finally:
        os.close(fd)


_launcher = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="ceilocompat-launcher")


def launch(argv: list[str], *, host: Host = LOOPBACK, **popen_kwargs) -> subprocess.Popen:
    """Start *argv* on *host* in a new session, to be sent SIGTERM if this process dies.

    The kernel's parent-death signal fires when the *thread* that forked
    the child ends, so every child is forked by one launcher thread that
    lives as long as the process: a node started from a short-lived thread
    outlives that thread.
    """
    setpriv = shutil.which("setpriv")
    guard = [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []
    popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
    full_argv = [*guard, *host.prefix, *argv]
    return _launcher.submit(lambda: subprocess.Popen(full_argv, start_new_session=True, **popen_kwargs)).result()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
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


def free_port_block(size: int, taken: set[int]) -> int:
    """First port of *size* consecutive free ports, none of them in *taken*."""
    rng = random.Random()  # noqa: S311 - spreads port guesses, nothing secret
    for _ in range(200):
        base = rng.randrange(20000, 30000 - size)
        block = range(base, base + size)
        if not taken.intersection(block) and all(_port_is_free(p) for p in block):
            return base
    raise OSError(f"no block of {size} free ports found")


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


def descendants(root: int) -> list[tuple[int, str]]:
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
        fields = _proc_stat(pid)
        if fields is None or fields[0] == "Z":
            continue
        found.append((pid, fields[19]))
        todo.extend(children.get(pid, ()))
    return found


def alive(pid: int, start: str) -> bool:
    """Whether *pid* is still the live process that started at *start*."""
    fields = _proc_stat(pid)
    return fields is not None and fields[0] != "Z" and fields[19] == start


def signal_alive(tree: list[tuple[int, str]], signum: int) -> None:
    """Send *signum* to each process of *tree* that is still the one recorded."""
    for pid, start in tree:
        if alive(pid, start):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)


def stop_tree(proc: subprocess.Popen, timeout: float, signum: int = signal.SIGTERM) -> None:
    """Signal *proc*'s process group (or, once it is gone, its descendants),
    then SIGKILL whatever outlives *timeout*.

    A *signum* of SIGKILL kills every process of the tree at once, the way a
    host dies. Returns once every process of the tree is gone.
    """
    tree = descendants(proc.pid)
    if proc.poll() is None:
        # Not reaped yet, so its group id cannot belong to anyone else.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signum)
    if proc.poll() is not None or signum == signal.SIGKILL:
        signal_alive(tree, signum)
    deadline = time.monotonic() + (0 if signum == signal.SIGKILL else timeout)
    while time.monotonic() < deadline:
        if proc.poll() is not None and not any(alive(p, s) for p, s in tree):
            break
        time.sleep(0.1)
    # Whatever survived (helpers may run in sessions of their own).
    signal_alive(tree, signal.SIGKILL)
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(alive(p, s) for p, s in tree) and time.monotonic() < deadline:
        time.sleep(0.02)

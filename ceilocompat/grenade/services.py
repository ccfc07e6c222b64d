"""Real services of a Ceilometer release: its notification agent and its polling side, as processes.

Each runs from its release environment (:mod:`ceilocompat.grenade.environments`)
with a configuration generated into a directory of its own: the transport,
the telemetry secret, the topics of one rehearsal and, for the agent, meter
and event pipelines whose ``notifier://`` sinks publish on the rehearsal's
topics. They are stopped as an operator stops them (SIGTERM, then SIGKILL
after a grace period; :meth:`ServiceProcess.kill` is a crash), and each
keeps its log, whose errors the reports show.

>>> topics = Topics.for_run("ab12cd34")
>>> topics.notifications, topics.metering, topics.event
('rehearsal_ab12cd34_notifications', 'rehearsal_ab12cd34_metering', 'rehearsal_ab12cd34_event')
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import select
import signal
import subprocess
import time
from collections.abc import Sequence

import attrs

from ceilocompat.grenade.environments import Environment
from ceilocompat.routing import CONTROL_EXCHANGE, PayloadShape, Route

__all__ = ["NotificationAgent", "PollingSide", "ServiceError", "ServiceProcess", "Topics"]

#: Seconds a service is given to stop after SIGTERM before it is killed.
STOP_GRACE = 20.0
_ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|^Traceback|Error: ")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: ``2026-12-01 21:53:03.690 17411 ERROR ceilometer.pipeline.sample [-] message``: the message.
_LOG_PREFIX = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \d+ (?:ERROR|CRITICAL|WARNING) \S+ ?")
_RECORD_HEAD = re.compile(r"^\[[^\]]*\] ")
_EXCEPTION = re.compile(r"^[\w.]*(Error|Exception)\b")


class ServiceError(RuntimeError):
    """A release's service did not start or answer; the message carries its log's errors."""


@attrs.frozen
class Topics:
    """The topics one rehearsal's real services use, on Ceilometer's own exchange."""

    notifications: str
    metering: str
    event: str
    exchange: str = CONTROL_EXCHANGE

    @classmethod
    def for_run(cls, run_id: str) -> Topics:
        return cls(f"rehearsal_{run_id}_notifications", f"rehearsal_{run_id}_metering",
                   f"rehearsal_{run_id}_event")

    @property
    def polling_route(self) -> Route:
        """Where polling agents publish and notification agents read."""
        return Route("sample", self.notifications, "telemetry.polling", exchange=self.exchange,
                     payload_shape=PayloadShape.SAMPLES)

    @property
    def sample_route(self) -> Route:
        """Where the agents' meter pipeline publishes (event type ``metering``)."""
        return Route("sample", self.metering, "metering", exchange=self.exchange)

    @property
    def event_route(self) -> Route:
        """Where the agents' event pipeline publishes (event type ``event``)."""
        return Route("event", self.event, "event", exchange=self.exchange)


def write_config(directory: pathlib.Path, transport_url: str, secret: str, topics: Topics) -> pathlib.Path:
    """``ceilometer.conf`` and the two pipeline files for a service of one rehearsal.

    Options a release does not know are ignored by oslo.config, so one file
    serves every release.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pipeline.yaml").write_text(_pipeline("meter", topics.metering))
    (directory / "event_pipeline.yaml").write_text(_pipeline("event", topics.event))
    conf = directory / "ceilometer.conf"
    conf.write_text(
        "[DEFAULT]\n"
        f"transport_url = {transport_url}\n"
        f"pipeline_cfg_file = {directory / 'pipeline.yaml'}\n"
        f"event_pipeline_cfg_file = {directory / 'event_pipeline.yaml'}\n"
        "[notification]\n"
        "pipelines = meter\n"
        "pipelines = event\n"
        "workers = 1\n"
        "[publisher]\n"
        f"telemetry_secret = {secret}\n"
        "[oslo_messaging_notifications]\n"
        f"topics = {topics.notifications}\n"
    )
    return conf


def _pipeline(kind: str, topic: str) -> str:
    items = "meters" if kind == "meter" else "events"
    return (
        "---\n"
        f"sources:\n  - name: {kind}_source\n    {items}: ['*']\n    sinks: [{kind}_sink]\n"
        f"sinks:\n  - name: {kind}_sink\n    publishers: ['notifier://?topic={topic}']\n"
    )


class ServiceProcess:
    """One process of a release's service, with its log kept under its directory."""

    def __init__(self, name: str, argv: Sequence[str], directory: pathlib.Path) -> None:
        self.name = name
        self.argv = list(argv)
        self.directory = directory
        self.log_path = directory / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self, **popen: object) -> None:
        """Start the process in its own session (so a signal reaches it alone); *popen* goes to ``Popen``."""
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it for its whole life
        try:
            self.process = subprocess.Popen(
                self.argv, stdout=popen.pop("stdout", log), stderr=log, cwd=str(self.directory),
                start_new_session=True, env=popen.pop("env", None) or service_env(),
                **popen)  # type: ignore[call-overload]
        finally:
            log.close()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace: float = STOP_GRACE) -> int | None:
        """SIGTERM, then SIGKILL after *grace* seconds; the exit status."""
        if self.process is None:
            return None
        if self.running:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait(30)
        return self.process.returncode

    def kill(self) -> int | None:
        """SIGKILL, as a crash: nothing is flushed or acknowledged."""
        if self.running and self.process is not None:
            self._signal(signal.SIGKILL)
            self.process.wait(30)
        return None if self.process is None else self.process.returncode

    def _signal(self, signum: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signum)  # the process group this object started

    def errors(self, most: int = 20) -> list[str]:
        """The log's distinct error messages (ERROR, CRITICAL, tracebacks), newest last, without timestamps.

        >>> import tempfile
        >>> service = ServiceProcess("agent", ["true"], pathlib.Path(tempfile.mkdtemp()))
        >>> _ = service.log_path.write_text("2026-12-01 21:53:03.690 17411 ERROR ceilometer.pipeline.sample [-] "
        ...     "\\x1b[00mFail to process notification: KeyError: 'user_name'\\n" * 2
        ...     + "2026-12-01 21:53:03.690 17411 ERROR ceilometer.pipeline.sample     x = d['user_name']\\n")
        >>> service.errors()
        ["Fail to process notification: KeyError: 'user_name'"]
        """
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []
        found = []
        for line in lines:
            line = _ANSI.sub("", line).strip()
            if not _ERROR_LINE.search(line) or "Deprecat" in line:
                continue
            message = _LOG_PREFIX.sub("", line)
            if message != line and not _RECORD_HEAD.match(message) and not _EXCEPTION.match(message.strip()):
                continue  # a line of a logged traceback: only its exception line says what happened
            message = _RECORD_HEAD.sub("", message).strip()
            if message not in found:
                found.append(message)
        return found[-most:]


def service_env() -> dict[str, str]:
    """The environment a release's service runs with: this one without Python path or virtualenv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONWARNINGS"] = "ignore"
    return env


class NotificationAgent(ServiceProcess):
    """A release's real ``ceilometer-agent-notification``."""

    def __init__(self, env: Environment, directory: pathlib.Path, config: pathlib.Path) -> None:
        super().__init__(f"notification-agent-{env.release}",
                         [env.bin("ceilometer-agent-notification"), "--config-file", str(config)], directory)
        self.environment = env


class PollingSide(ServiceProcess):
    """A release's own polling publish path (see ``release_polling.py``), driven batch by batch."""

    def __init__(self, env: Environment, directory: pathlib.Path, config: pathlib.Path) -> None:
        script = pathlib.Path(__file__).with_name("release_polling.py")
        super().__init__(f"polling-{env.release}", [env.bin("python"), str(script), str(config)], directory)
        self.environment = env

    def start(self, timeout: float = 120.0, **popen: object) -> None:  # type: ignore[override]
        """Start and wait until the release's code is loaded and its notifier ready."""
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start without waiting (to load several releases at once); then :meth:`wait_ready`."""
        self._pending = b""
        super().start(stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)

    def wait_ready(self, timeout: float = 120.0) -> None:
        self._expect("ready", timeout)

    def publish(self, count: int, prefix: str, timeout: float = 60.0) -> None:
        """Publish one batch of *count* samples (resource ids ``<prefix>-<n>``)."""
        if not self.running or self.process is None or self.process.stdin is None:
            raise ServiceError(f"{self.name} is not running: {'; '.join(self.errors(3)) or 'no log'}")
        self.process.stdin.write(f"publish {int(count)} {prefix}\n".encode())
        self._expect("published", timeout)

    def stop(self, grace: float = STOP_GRACE) -> int | None:
        if self.running and self.process is not None and self.process.stdin is not None:
            try:
                self.process.stdin.write(b"quit\n")
                self.process.stdin.close()
            except OSError:
                pass
        return super().stop(grace)

    def _expect(self, word: str, timeout: float) -> None:
        """Wait, at most *timeout* seconds, for an answer line starting with *word*."""
        if self.process is None or self.process.stdout is None:
            raise ServiceError(f"{self.name} is not running")
        deadline = time.monotonic() + timeout
        fd = self.process.stdout.fileno()
        while True:
            line, newline, rest = self._pending.partition(b"\n")
            if newline:
                self._pending = rest
                if line.decode(errors="replace").startswith(word):
                    return
                continue
            remaining = deadline - time.monotonic()
            readable = select.select([fd], [], [], max(0.0, remaining))[0] if remaining > 0 else []
            chunk = os.read(fd, 65536) if readable else b""
            if not chunk:
                break
            self._pending += chunk
        errors = "; ".join(self.errors(3)) or f"see {self.log_path}"
        raise ServiceError(f"{self.name} did not answer {word!r} within {timeout:.0f} s: {errors}")

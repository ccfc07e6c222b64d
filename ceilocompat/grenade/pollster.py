"""A release's real ``ceilometer-polling`` agent, polling a local HTTP endpoint instead of OpenStack.

:class:`~ceilocompat.grenade.services.PollingSide` publishes through a
release's own code but is driven by a script. :class:`PollingAgent` runs the
release's real polling agent, unchanged: its service manager, polling
task, pollster loading, batching, signing and notifier. What it polls is a
*dynamic pollster for a non-OpenStack API* (``ceilometer/polling/dynamic_pollster.py``,
``NonOpenStackApisPollsterDefinition``; in every release from
:data:`FIRST_REAL_POLLING_RELEASE` on) whose URL is a :class:`ResourceEndpoint`
the rehearsal serves on a free loopback port, so nothing needs keystone:

* the pollster names an auth class (``module`` and ``authentication_object``,
  imported by the agent with ``__import__`` and ``getattr``): a tiny module
  generated into the agent's directory (:data:`AUTH_MODULE`) and put on that
  process's ``PYTHONPATH`` only; it sends the endpoint's token in a header;
* its default discovery is barbican (keystone): the polling source lists
  the token as a static resource instead, so no discovery runs at all;
* the agent runs with ``--polling-namespaces central`` (no libvirt, no
  compute discovery) and no ``[coordination] backend_url`` (no tooz);
  ``[service_credentials]`` is left unset: newer releases make a keystone
  client without credentials per polling task, none uses it.

The files the agent needs (:func:`write_polling_files`) go beside the
rehearsal's ``ceilometer.conf`` as a second ``--config-file``, which
overrides the first. The agent polls on its own interval (two seconds by
default) and publishes one ``telemetry.polling`` batch per cycle, one sample
per resource of the endpoint (meter :data:`DYNAMIC_METER`, resource ids as
served), so what it produced is learned from the bus (e.g. with a
:class:`~ceilocompat.grenade.tap.BusTap`), not counted in advance.

>>> with ResourceEndpoint(numbered_resources("vm", 2)) as endpoint:
...     token = endpoint.new_token()
...     import json, urllib.request
...     request = urllib.request.Request(endpoint.url, headers={TOKEN_HEADER: token})
...     served = json.load(urllib.request.urlopen(request, timeout=10))
>>> [(r["id"], r["value"]) for r in served["resources"]], endpoint.polls(token)
([('vm-0', 0.0), ('vm-1', 1.0)], 1)
>>> endpoint.running
False
"""

from __future__ import annotations

import http.server
import json
import pathlib
import secrets
import subprocess
import threading
import time
from collections.abc import Iterable
from typing import Any

import attrs

from ceilocompat.grenade.environments import Environment
from ceilocompat.grenade.services import ServiceError, ServiceProcess, service_env
from ceilocompat.releases import parse_release

__all__ = [
    "AUTH_CLASS",
    "AUTH_MODULE",
    "DYNAMIC_METER",
    "FIRST_REAL_POLLING_RELEASE",
    "TOKEN_HEADER",
    "PolledResource",
    "PollingAgent",
    "PollingFiles",
    "ResourceEndpoint",
    "numbered_resources",
    "supports_real_polling",
    "write_polling_files",
]

#: The first release whose polling agent has dynamic pollsters for non-OpenStack APIs.
FIRST_REAL_POLLING_RELEASE = "14.0.0"
#: The meter the generated dynamic pollster publishes.
DYNAMIC_METER = "rehearsal.resource.value"
#: Seconds between two polling cycles of the generated polling source.
DEFAULT_INTERVAL = 2
#: The header carrying the token the endpoint asks for.
TOKEN_HEADER = "X-Rehearsal-Token"  # noqa: S105  the header's name, not a token
#: The generated module holding the auth class the dynamic pollster imports.
AUTH_MODULE = "ceilocompat_rehearsal_auth"
AUTH_CLASS = "RehearsalTokenAuth"
#: The key of the endpoint's JSON body holding the resources.
ENTRIES_KEY = "resources"


def supports_real_polling(release: str) -> bool:
    """Whether *release*'s real polling agent can poll a :class:`ResourceEndpoint`.

    >>> supports_real_polling("27.0.0"), supports_real_polling("14.0.0"), supports_real_polling("13.1.2")
    (True, True, False)
    """
    return parse_release(release) >= parse_release(FIRST_REAL_POLLING_RELEASE)


# --- the endpoint -------------------------------------------------------------------


@attrs.frozen
class PolledResource:
    """One resource the endpoint serves: the sample's resource id, volume, user and project."""

    id: str
    value: float = attrs.field(converter=float)
    user_id: str = "u-rehearsal"
    project_id: str = "p-rehearsal"

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "value": self.value, "user_id": self.user_id, "project_id": self.project_id}


def numbered_resources(prefix: str, count: int) -> tuple[PolledResource, ...]:
    """*count* resources with ids ``<prefix>-<n>`` and values *n*, as ``PollingSide.publish`` names them.

    >>> numbered_resources("batch", 2)[1]
    PolledResource(id='batch-1', value=1.0, user_id='u-rehearsal', project_id='p-rehearsal')
    """
    return tuple(PolledResource(f"{prefix}-{n}", n) for n in range(int(count)))


class ResourceEndpoint:
    """Resources as JSON over HTTP on a free loopback port, for real polling agents to poll.

    ``GET <url>`` with a token from :meth:`new_token` in :data:`TOKEN_HEADER`
    answers ``{"resources": [{"id", "value", "user_id", "project_id"}, ...]}``;
    without a known token it answers 401. Started and stopped by its owner
    (:meth:`start`, :meth:`stop`, or ``with``); its server thread never
    outlives :meth:`stop`.
    """

    PATH = "/v1/resources"

    def __init__(self, resources: Iterable[PolledResource] = ()) -> None:
        self._lock = threading.Lock()
        self._resources = tuple(resources)
        self._polls: dict[str, int] = {}
        self._offered: tuple[PolledResource, ...] | None = None
        self.refused = 0
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- what it serves

    @property
    def resources(self) -> tuple[PolledResource, ...]:
        with self._lock:
            return self._resources

    def set_resources(self, resources: Iterable[PolledResource]) -> None:
        """Serve *resources* from the next request on."""
        resources = tuple(resources)
        with self._lock:
            self._resources = resources

    def offer(self, resources: Iterable[PolledResource]) -> None:
        """Serve *resources* to the next poll only, and nothing after it (so a rehearsal produces exactly them).

        >>> endpoint = ResourceEndpoint(numbered_resources("vm", 1))
        >>> token = endpoint.new_token()
        >>> endpoint.offer(numbered_resources("once", 2))
        >>> [len(endpoint._answer(endpoint.PATH, token)[1]["resources"]) for _ in range(2)], endpoint.offered
        ([2, 0], False)
        """
        with self._lock:
            self._offered = tuple(resources)

    @property
    def offered(self) -> bool:
        """Whether resources offered with :meth:`offer` still wait for a poll."""
        with self._lock:
            return self._offered is not None

    def new_token(self) -> str:
        """A token the endpoint accepts; polls are counted per token (one per agent)."""
        token = secrets.token_hex(8)
        with self._lock:
            self._polls[token] = 0
        return token

    def polls(self, token: str | None = None) -> int:
        """Requests answered with resources: for *token*, or for every token."""
        with self._lock:
            return self._polls.get(token, 0) if token is not None else sum(self._polls.values())

    # -- the server

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the endpoint is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.PATH}"

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the endpoint is already started")
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name=f"resource-endpoint-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(10)

    def __enter__(self) -> ResourceEndpoint:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _answer(self, path: str, token: str | None) -> tuple[int, dict]:
        if path.split("?", 1)[0] != self.PATH:
            return 404, {"error": f"not found; resources are at {self.PATH}"}
        with self._lock:
            if token is None or token not in self._polls:
                self.refused += 1
                return 401, {"error": f"a known token is needed in {TOKEN_HEADER}"}
            self._polls[token] += 1
            resources = self._resources
            if self._offered is not None:
                resources, self._offered, self._resources = self._offered, None, ()
        return 200, {ENTRIES_KEY: [r.as_json() for r in resources]}


def _handler_for(endpoint: ResourceEndpoint) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = endpoint._answer(self.path, self.headers.get(TOKEN_HEADER))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the agents' logs say what they polled

    return Handler


# --- the files a polling agent needs -------------------------------------------------


@attrs.frozen
class PollingFiles:
    """What :func:`write_polling_files` wrote: pass :attr:`config` as the second ``--config-file``."""

    config: pathlib.Path  #: ``polling.conf``: ``[polling] cfg_file``, ``[DEFAULT] pollsters_definitions_dirs``
    polling_yaml: pathlib.Path  #: the polling source: the meter, the interval, the token as resource
    pollsters_dir: pathlib.Path  #: ``pollsters.d``, holding :attr:`pollster_yaml`
    pollster_yaml: pathlib.Path  #: the dynamic pollster for the endpoint
    auth_dir: pathlib.Path  #: holds :data:`AUTH_MODULE`; the agent's ``PYTHONPATH``


def write_polling_files(directory: pathlib.Path, url: str, token: str, *, meter: str = DYNAMIC_METER,
                        interval: int = DEFAULT_INTERVAL, unit: str = "item",
                        sample_type: str = "gauge") -> PollingFiles:
    """The polling source, dynamic pollster, auth module and config file for one polling agent.

    *url* is the endpoint's (:attr:`ResourceEndpoint.url`), *token* one of
    its tokens. JSON is YAML, so the YAML files are written as JSON: every
    release's ``yaml.safe_load`` reads them, whatever the values hold.
    """
    if int(interval) <= 0:
        raise ValueError(f"the polling interval must be a positive number of seconds, not {interval!r}")
    if "," in token:
        raise ValueError("the token is the auth class's argument list: it cannot hold a comma")
    directory.mkdir(parents=True, exist_ok=True)
    pollsters_dir = directory / "pollsters.d"
    pollsters_dir.mkdir(exist_ok=True)
    auth_dir = directory / "auth"
    auth_dir.mkdir(exist_ok=True)

    polling_yaml = directory / "polling.yaml"
    polling_yaml.write_text(json.dumps({"sources": [{
        "name": "rehearsal_endpoint",
        "interval": int(interval),
        "meters": [meter],
        # A static resource: the dynamic pollster's credentials, and no discovery
        # (the default one for these pollsters is barbican, through keystone).
        "resources": [token],
    }]}, indent=2) + "\n")

    pollster_yaml = pollsters_dir / "rehearsal_endpoint.yaml"
    pollster_yaml.write_text(json.dumps([{
        "name": meter,
        "sample_type": sample_type,
        "unit": unit,
        "url_path": url,
        "module": AUTH_MODULE,
        "authentication_object": AUTH_CLASS,
        "value_attribute": "value",
        "response_entries_key": ENTRIES_KEY,
        "namespaces": ["central"],  # read from 2023.1 on; ignored before
    }], indent=2) + "\n")

    (auth_dir / f"{AUTH_MODULE}.py").write_text(_AUTH_MODULE_SOURCE)

    config = directory / "polling.conf"
    config.write_text(  # every release reads the pollster directories from [DEFAULT], the source file from [polling]
        "[DEFAULT]\n"
        f"pollsters_definitions_dirs = {pollsters_dir}\n"
        "[polling]\n"
        f"cfg_file = {polling_yaml}\n"
        f"pollsters_definitions_dirs = {pollsters_dir}\n"
    )
    return PollingFiles(config, polling_yaml, pollsters_dir, pollster_yaml, auth_dir)


_AUTH_MODULE_SOURCE = f'''"""Generated by ceilocompat: the auth class a rehearsal's dynamic pollster imports."""

import requests.auth


class {AUTH_CLASS}(requests.auth.AuthBase):
    """Sends the rehearsal endpoint's token (the polling source's resource) in {TOKEN_HEADER}."""

    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["{TOKEN_HEADER}"] = self.token
        return request
'''


# --- the agent ----------------------------------------------------------------------


class PollingAgent(ServiceProcess):
    """A release's real ``ceilometer-polling``, polling *endpoint* and publishing on the rehearsal's bus.

    :param config: the rehearsal's ``ceilometer.conf`` (``write_config``):
        transport, telemetry secret, notification topic.
    :param endpoint: the :class:`ResourceEndpoint` to poll, already started
        (its URL goes into the agent's files); the agent gets a token of its
        own, so :attr:`polls` counts this agent's polling cycles.
    :param interval: seconds between two polling cycles; the first is right
        after the agent has loaded.

    Raises ValueError for a release before :data:`FIRST_REAL_POLLING_RELEASE`,
    whose agent cannot poll without OpenStack: use ``PollingSide`` for it.
    """

    def __init__(self, env: Environment, directory: pathlib.Path, config: pathlib.Path,
                 endpoint: ResourceEndpoint, *, meter: str = DYNAMIC_METER,
                 interval: int = DEFAULT_INTERVAL) -> None:
        if not supports_real_polling(env.release):
            raise ValueError(
                f"ceilometer {env.release}'s polling agent has no dynamic pollsters for non-OpenStack APIs "
                f"(they came in {FIRST_REAL_POLLING_RELEASE}) and cannot poll without OpenStack: "
                "use PollingSide, which publishes through the release's own code")
        self.environment = env
        self.endpoint = endpoint
        self.token = endpoint.new_token()
        self.url = endpoint.url
        self.files = write_polling_files(directory / "polling", self.url, self.token, meter=meter,
                                         interval=interval)
        super().__init__(f"polling-agent-{env.release}", [
            env.bin("ceilometer-polling"),
            "--config-file", str(config),
            "--config-file", str(self.files.config),
            "--polling-namespaces", "central",
        ], directory)
        self.started_at: float | None = None

    def start(self, **popen: object) -> None:
        """Start in its own session, with :data:`AUTH_MODULE` on this process's ``PYTHONPATH`` only."""
        env = service_env()
        env["PYTHONPATH"] = str(self.files.auth_dir)
        super().start(env=env, stdin=popen.pop("stdin", subprocess.DEVNULL), **popen)
        self.started_at = time.monotonic()

    @property
    def polls(self) -> int:
        """How many times the agent has polled its endpoint (one polling cycle each)."""
        return self.endpoint.polls(self.token)

    def wait_polled(self, polls: int = 1, timeout: float = 120.0) -> float:
        """Wait until the agent has polled the endpoint *polls* times; the seconds since :meth:`start`.

        Raises :class:`~ceilocompat.grenade.services.ServiceError` with the
        log's errors if the agent exits or does not poll in time.
        """
        deadline = time.monotonic() + timeout
        while self.polls < polls:
            if not self.running:
                raise ServiceError(f"{self.name} exited ({self.process and self.process.returncode}): "
                                   f"{'; '.join(self.errors(3)) or 'see ' + str(self.log_path)}")
            if time.monotonic() > deadline:
                raise ServiceError(f"{self.name} did not poll {self.url} {polls} time(s) within "
                                   f"{timeout:.0f} s: {'; '.join(self.errors(3)) or 'see ' + str(self.log_path)}")
            time.sleep(0.05)
        return time.monotonic() - (self.started_at or time.monotonic())


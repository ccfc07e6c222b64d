"""Real ``ceilometer-polling`` agents of several releases, polling a local HTTP endpoint, on a real RabbitMQ.

The fast tests hold the generated files and the endpoint to what the
agents need. The ``grenade`` tests run the releases' own code: their
dynamic pollster reading the generated files in-process, then the real
agents end to end: a polling agent polls the endpoint and publishes
``telemetry.polling`` batches, a real notification agent republishes them
on the metering topic, and ceilocompat decodes them and verifies their
signatures; a 17.0.0 agent's batches are lost by a 21.0.0 notification
agent (``KeyError: 'user_name'``) as the planner predicts.

Needs the release environments (see ``ceilocompat.grenade.environments``)
and ``rabbitmq-server``; with ``CEILOCOMPAT_REQUIRE_GRENADE=1`` (CI) a
missing environment fails instead of skipping.
"""

from __future__ import annotations

import configparser
import json
import pathlib
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
import yaml

from bus import listening, wait_until
from ceilocompat import CompatEndpoint
from ceilocompat._consumers import ConsumerPolicy
from ceilocompat.grenade import Environment, NotificationAgent, Topics
from ceilocompat.grenade.matrix import predicted_loss
from ceilocompat.grenade.pollster import (
    AUTH_CLASS,
    AUTH_MODULE,
    DYNAMIC_METER,
    FIRST_REAL_POLLING_RELEASE,
    TOKEN_HEADER,
    PolledResource,
    PollingAgent,
    ResourceEndpoint,
    numbered_resources,
    supports_real_polling,
    write_polling_files,
)
from ceilocompat.grenade.services import write_config
from ceilocompat.routing import notification_transport
from release_environments import environment

SECRET = "grenade polling secret"
#: Releases whose real polling agent is checked end to end (the first one with it, then a few series on).
POLLING_RELEASES = ["14.0.0", "15.0.0", "17.0.0", "21.0.0", "27.0.0"]
RESOURCES_PER_AGENT = 3


def fake_environment(release: str, tmp_path: pathlib.Path) -> Environment:
    return Environment(release=release, path=tmp_path / release, ok=True)


def get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={TOKEN_HEADER: token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


# --- the endpoint -------------------------------------------------------------------


def test_the_endpoint_serves_its_resources_to_known_tokens_only_and_counts_polls_per_token():
    with ResourceEndpoint(numbered_resources("vm", 3)) as endpoint:
        first, second = endpoint.new_token(), endpoint.new_token()
        status, body = get(endpoint.url, first)
        assert status == 200
        assert body == {"resources": [{"id": f"vm-{n}", "value": float(n), "user_id": "u-rehearsal",
                                       "project_id": "p-rehearsal"} for n in range(3)]}
        assert get(endpoint.url, second)[0] == 200
        assert get(endpoint.url, second)[0] == 200
        assert get(endpoint.url)[0] == 401
        assert get(endpoint.url, "not-a-token")[0] == 401
        assert get(endpoint.url.replace("/v1/resources", "/elsewhere"), first)[0] == 404
        assert (endpoint.polls(first), endpoint.polls(second), endpoint.polls(), endpoint.refused) == (1, 2, 3, 2)

        endpoint.set_resources([PolledResource("disk-a", 7, user_id="u", project_id="p")])
        assert get(endpoint.url, first)[1]["resources"] == [
            {"id": "disk-a", "value": 7.0, "user_id": "u", "project_id": "p"}]


def test_the_endpoint_is_on_a_free_loopback_port_and_stops_its_thread_and_socket():
    endpoint = ResourceEndpoint(numbered_resources("vm", 1))
    endpoint.start()
    try:
        url, port = endpoint.url, endpoint.port
        assert url == f"http://127.0.0.1:{port}/v1/resources" and port > 0
        assert endpoint.running
        with pytest.raises(RuntimeError, match="already started"):
            endpoint.start()
    finally:
        endpoint.stop()
    assert not endpoint.running
    assert not [t for t in threading.enumerate() if t.name == f"resource-endpoint-{port}"]
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5)
    with pytest.raises(RuntimeError, match="not started"):
        _ = endpoint.url
    endpoint.stop()  # stopping twice is harmless


# --- the generated files ------------------------------------------------------------


def test_the_generated_files_parse_and_name_the_endpoint_the_meter_the_auth_class_and_each_other(tmp_path):
    files = write_polling_files(tmp_path / "agent", "http://127.0.0.1:8042/v1/resources", "tok3n", interval=3)

    polling = yaml.safe_load(files.polling_yaml.read_text())
    assert polling == {"sources": [{"name": "rehearsal_endpoint", "interval": 3, "meters": [DYNAMIC_METER],
                                    "resources": ["tok3n"]}]}
    assert "discovery" not in polling["sources"][0]  # no barbican, no keystone

    assert files.pollster_yaml.parent == files.pollsters_dir
    [pollster] = yaml.safe_load(files.pollster_yaml.read_text())
    assert pollster["name"] == DYNAMIC_METER
    assert pollster["url_path"] == "http://127.0.0.1:8042/v1/resources"
    assert (pollster["module"], pollster["authentication_object"]) == (AUTH_MODULE, AUTH_CLASS)
    assert (pollster["value_attribute"], pollster["response_entries_key"]) == ("value", "resources")
    assert pollster["sample_type"] == "gauge" and "barbican_secret_id" not in pollster
    assert "authentication_parameters" not in pollster  # the source's resource is the credentials

    conf = configparser.ConfigParser()
    conf.read(files.config)
    assert conf["polling"]["cfg_file"] == str(files.polling_yaml)
    assert conf["polling"]["pollsters_definitions_dirs"] == str(files.pollsters_dir)
    assert conf["DEFAULT"]["pollsters_definitions_dirs"] == str(files.pollsters_dir)  # where every release reads it
    assert not conf.has_section("coordination") and not conf.has_section("service_credentials")


def test_the_generated_auth_class_sends_the_token_the_endpoint_asks_for(tmp_path):
    files = write_polling_files(tmp_path, "http://127.0.0.1:1/v1/resources", "tok3n")
    assert (files.auth_dir / f"{AUTH_MODULE}.py").is_file()
    code = ("import requests\n"
            f"module = __import__({AUTH_MODULE!r})\n"  # as the dynamic pollster imports it
            f"auth = getattr(module, {AUTH_CLASS!r})(*map(str.strip, 'tok3n'.split(',')))\n"
            "request = requests.Request('GET', 'http://127.0.0.1:1/', auth=auth).prepare()\n"
            f"print(request.headers[{TOKEN_HEADER!r}])\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False,
                          env={"PYTHONPATH": str(files.auth_dir), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "tok3n"


def test_the_generated_files_refuse_what_the_agent_would_misread(tmp_path):
    with pytest.raises(ValueError, match="positive"):
        write_polling_files(tmp_path, "http://127.0.0.1:1/", "token", interval=0)
    with pytest.raises(ValueError, match="comma"):
        write_polling_files(tmp_path, "http://127.0.0.1:1/", "a,b")


# --- the agent, without starting it -----------------------------------------------------


def test_a_polling_agent_runs_the_release_s_own_script_with_both_config_files_in_order(tmp_path):
    conf = tmp_path / "conf" / "ceilometer.conf"
    with ResourceEndpoint() as endpoint:
        agent = PollingAgent(fake_environment("27.0.0", tmp_path), tmp_path / "agent", conf, endpoint, interval=5)
        assert agent.argv == [str(tmp_path / "27.0.0" / "bin" / "ceilometer-polling"),
                              "--config-file", str(conf), "--config-file", str(agent.files.config),
                              "--polling-namespaces", "central"]
        assert agent.name == "polling-agent-27.0.0" and not agent.running
        assert yaml.safe_load(agent.files.polling_yaml.read_text())["sources"][0]["resources"] == [agent.token]
        assert yaml.safe_load(agent.files.polling_yaml.read_text())["sources"][0]["interval"] == 5
        assert [p["url_path"] for p in yaml.safe_load(agent.files.pollster_yaml.read_text())] == [endpoint.url]
        assert endpoint.polls(agent.token) == 0  # a token of its own


@pytest.mark.parametrize("release", ["8.1.5", "12.1.1", "13.1.2"])
def test_a_release_without_non_openstack_dynamic_pollsters_is_refused_naming_the_fallback(tmp_path, release):
    assert not supports_real_polling(release)
    with ResourceEndpoint() as endpoint, pytest.raises(
            ValueError, match=rf"{release}.*{FIRST_REAL_POLLING_RELEASE}.*use PollingSide"):
        PollingAgent(fake_environment(release, tmp_path), tmp_path / "agent", tmp_path / "c.conf", endpoint)


# --- the releases' own dynamic pollster, in-process -----------------------------------

POLL_ONCE = """
import json, sys, yaml
from ceilometer.polling import dynamic_pollster
[definition] = yaml.safe_load(open(sys.argv[1]))
pollster = dynamic_pollster.DynamicPollster(definition, None)
class Manager(object):
    _keystone = None
samples = [s for s in pollster.get_samples(Manager(), {}, [sys.argv[2]]) if s is not None]
print(json.dumps([[s.name, s.resource_id, s.volume, s.type, s.user_id, s.project_id] for s in samples]))
"""


@pytest.mark.grenade
@pytest.mark.parametrize("release", POLLING_RELEASES)
def test_the_release_s_own_dynamic_pollster_reads_the_generated_definition_and_polls_the_endpoint(
        tmp_path, release):
    env = environment(release)
    with ResourceEndpoint(numbered_resources("vm", 2)) as endpoint:
        token = endpoint.new_token()
        files = write_polling_files(tmp_path, endpoint.url, token)
        done = subprocess.run([env.bin("python"), "-c", POLL_ONCE, str(files.pollster_yaml), token],
                              capture_output=True, text=True, timeout=120, check=False, cwd=str(tmp_path),
                              env={"PYTHONPATH": str(files.auth_dir), "PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, done.stderr[-2000:]
        assert json.loads(done.stdout.splitlines()[-1]) == [
            [DYNAMIC_METER, f"vm-{n}", float(n), "gauge", "u-rehearsal", "p-rehearsal"] for n in range(2)]
        assert endpoint.polls(token) == 1 and endpoint.refused == 0


# --- the real agents on RabbitMQ -------------------------------------------------------


class Republished:
    """What a collector decoded (and verified) off the metering topic, by resource id."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list] = {}
        self.dead: list = []

    def __call__(self, items, _delivery) -> None:
        with self.lock:
            for item in items:
                self.samples.setdefault(item.resource_id, []).append(item)

    def of(self, prefix: str) -> dict[str, list]:
        with self.lock:
            return {r: list(s) for r, s in self.samples.items() if r.startswith(prefix + "-")}

    def dead_of(self, prefix: str) -> list:
        """Dead letters of samples whose resource id starts with *prefix*."""
        return [d for d in list(self.dead)
                if isinstance(d.raw, dict) and str(d.raw.get("resource_id")).startswith(prefix + "-")]


class MeteringSide:
    """A real notification agent of one release on topics of its own, and two collectors of what it republishes.

    One collector verifies signatures with the right secret, the other with
    a wrong one (everything it gets must be dead-lettered as ``signature``).
    """

    def __init__(self, rabbitmq, directory: pathlib.Path, release: str) -> None:
        self.rabbitmq = rabbitmq
        self.topics = Topics.for_run(uuid.uuid4().hex[:8])
        self.config = write_config(directory / "conf", rabbitmq.url, SECRET, self.topics)
        self.agent = NotificationAgent(environment(release), directory / "agent", self.config)
        self.verified, self.wrong_secret = Republished(), Republished()
        self.transport = notification_transport(__import__("oslo_config").cfg.ConfigOpts(), rabbitmq.url)
        route = self.topics.sample_route
        self.endpoints = [
            CompatEndpoint(route, self.verified, policy=ConsumerPolicy(
                signatures="verify", secret=SECRET, dead_letter=self.verified.dead.append)),
            CompatEndpoint(route, self.wrong_secret, policy=ConsumerPolicy(
                signatures="verify", secret="not the secret", dead_letter=self.wrong_secret.dead.append)),
        ]

    def __enter__(self) -> MeteringSide:
        self._listeners = [listening(self.transport, [self.endpoints[0]], pool="verified"),
                           listening(self.transport, [self.endpoints[1]], pool="wrong_secret")]
        for listener in self._listeners:
            listener.__enter__()
        self.agent.start()
        queue = self.topics.notifications + ".sample"
        wait_until(lambda: (self.agent.running and queue in self.rabbitmq.queues()
                   and self.rabbitmq.queues()[queue].consumers > 0) or not self.agent.running,
                   timeout=120, what=f"{self.agent.name} to listen")
        assert self.agent.running, self.agent.errors()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.agent.stop()
        for listener in reversed(self._listeners):
            listener.__exit__(None, None, None)
        self.transport.cleanup()


@pytest.fixture(scope="module")
def metering_27(rabbitmq, tmp_path_factory):
    """A 27.0.0 notification agent for the module's polling agents (each with its own endpoint and resource ids)."""
    with MeteringSide(rabbitmq, tmp_path_factory.mktemp("metering-27"), "27.0.0") as side:
        yield side


@pytest.mark.rabbitmq
@pytest.mark.grenade
@pytest.mark.parametrize("polling_release", POLLING_RELEASES)
def test_a_real_polling_agent_s_batches_are_republished_by_a_real_agent_signed_with_the_endpoint_s_resources(
        metering_27, tmp_path, polling_release):
    env = environment(polling_release)
    prefix = f"p{polling_release}"
    with ResourceEndpoint(numbered_resources(prefix, RESOURCES_PER_AGENT)) as endpoint:
        polling = PollingAgent(env, tmp_path / "polling", metering_27.config, endpoint)
        polling.start()
        try:
            first_poll = polling.wait_polled(1, timeout=120)
            wait_until(lambda: len(metering_27.verified.of(prefix)) == RESOURCES_PER_AGENT, timeout=60,
                       what=f"the {polling_release} agent's samples, republished by 27.0.0")
            first_batch = time.monotonic() - polling.started_at
            wait_until(lambda: len(metering_27.wrong_secret.dead_of(prefix)) >= RESOURCES_PER_AGENT, timeout=30,
                       what="the wrong-secret collector to dead-letter the samples")
        finally:
            polling.stop()
        print(f"{polling_release}: first poll {first_poll:.1f} s, first republished batch {first_batch:.1f} s "
              f"after start; {endpoint.polls(polling.token)} polls")

    samples = metering_27.verified.of(prefix)
    assert sorted(samples) == [f"{prefix}-{n}" for n in range(RESOURCES_PER_AGENT)]
    for resource_id, copies in samples.items():
        for sample in copies:
            assert sample.counter_name == DYNAMIC_METER
            assert sample.counter_volume == float(resource_id.rsplit("-", 1)[1])
            assert (sample.counter_type, sample.user_id, sample.project_id) == ("gauge", "u-rehearsal",
                                                                                 "p-rehearsal")
            assert sample.message_signature
    assert not metering_27.verified.dead_of(prefix), metering_27.verified.dead_of(prefix)[:1]
    assert not metering_27.wrong_secret.of(prefix)
    assert {d.reason for d in metering_27.wrong_secret.dead_of(prefix)} == {"signature"}
    assert endpoint.refused == 0
    assert not [e for e in polling.errors() if "memcache" not in e]  # oslo.cache's optional backend, unused


@pytest.mark.rabbitmq
@pytest.mark.grenade
def test_a_real_17_polling_agent_s_batches_are_lost_by_a_real_21_agent_as_planned(rabbitmq, tmp_path):
    """The 27.0.0 half (republished) is the 17.0.0 case of the test above."""
    env = environment("17.0.0")
    prefix = "lost"
    with MeteringSide(rabbitmq, tmp_path / "metering-21", "21.0.0") as metering:
        with ResourceEndpoint(numbered_resources(prefix, RESOURCES_PER_AGENT)) as endpoint:
            polling = PollingAgent(env, tmp_path / "polling", metering.config, endpoint)
            polling.start()
            try:
                polling.wait_polled(2, timeout=120)
                wait_until(lambda: any("user_name" in line for line in metering.agent.errors()), timeout=60,
                           what="the 21.0.0 agent to fail on the 17.0.0 batches")
                time.sleep(3)  # anything republished would have arrived by now
            finally:
                polling.stop()
        assert any("KeyError: 'user_name'" in line for line in metering.agent.errors()), metering.agent.errors()
        assert metering.verified.of(prefix) == {} and metering.verified.dead_of(prefix) == []
    assert predicted_loss("17.0.0", "21.0.0")
    assert not predicted_loss("17.0.0", "27.0.0")

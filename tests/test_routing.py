"""Unit tests for ceilocompat.routing (fake:// transport, no broker)."""

from __future__ import annotations

import doctest
import json
import queue
import subprocess
import sys
import textwrap

import oslo_messaging
import pytest
from oslo_config import cfg

from ceilocompat import partitioning, routing
from ceilocompat.routing import (
    EVENT_ROUTE,
    POLLING_ROUTE,
    SAMPLE_ROUTE,
    PayloadShape,
    Route,
    RouteRegistry,
)
from conftest import REPO, subprocess_env

WAIT = 10  # seconds to wait for a fake:// delivery


def test_doctests_pass():
    result = doctest.testmod(routing, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 30
    assert result.failed == 0


# --------------------------------------------------------------------------
# Routes and the registry


def test_builtin_routes_match_the_bus_facts():
    assert (SAMPLE_ROUTE.exchange, SAMPLE_ROUTE.routing_key, SAMPLE_ROUTE.event_type) == (
        "ceilometer", "metering.sample", "metering")
    assert (EVENT_ROUTE.exchange, EVENT_ROUTE.routing_key, EVENT_ROUTE.event_type) == (
        "ceilometer", "event.sample", "event")
    assert (POLLING_ROUTE.routing_key, POLLING_ROUTE.event_type) == (
        "notifications.sample", "telemetry.polling")
    assert SAMPLE_ROUTE.payload_shape is PayloadShape.LIST
    assert EVENT_ROUTE.payload_shape is PayloadShape.LIST
    assert POLLING_ROUTE.payload_shape is PayloadShape.SAMPLES
    assert [r.model_name for r in routing.BUILTIN_ROUTES] == ["sample", "event", "sample"]


def test_default_registry_holds_the_builtins():
    assert routing.DEFAULT_REGISTRY.by_topic("metering") is SAMPLE_ROUTE
    assert routing.routes_for("sample") == (SAMPLE_ROUTE, POLLING_ROUTE)
    assert routing.routes_for("event") == (EVENT_ROUTE,)
    assert routing.routes_for("no-such-model") == ()


def test_route_coerces_and_validates():
    assert Route("m", "t", "e", payload_shape="samples").payload_shape is PayloadShape.SAMPLES
    with pytest.raises(ValueError, match="payload_shape"):
        Route("m", "t", "e", payload_shape="dict")
    with pytest.raises(ValueError, match="priority"):
        Route("m", "t", "e", priority="warning")
    for bad_topic in ("", "a b", "a.*", "a.#", "amq.x", "tab\there", "x" * 241):
        with pytest.raises(ValueError):
            Route("m", bad_topic, "e")
    with pytest.raises(TypeError):
        Route("m", 3, "e")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Route("", "t", "e")
    with pytest.raises(dataclasses_frozen_error()):
        SAMPLE_ROUTE.topic = "other"  # type: ignore[misc]


def dataclasses_frozen_error():
    import dataclasses
    return dataclasses.FrozenInstanceError


def test_register_route_gives_a_new_model_its_own_topic():
    reg = RouteRegistry(routing.BUILTIN_ROUTES)
    route = routing.register_route("instance_health", registry=reg)
    assert (route.topic, route.event_type, route.routing_key) == (
        "instance_health", "instance_health", "instance_health.sample")
    assert reg.routes_for("instance_health") == (route,)
    assert reg.by_topic("instance_health") is route
    # Registering exactly the same route again is harmless.
    assert routing.register_route("instance_health", registry=reg) is route
    # The process-wide registry was not touched.
    assert "instance_health" not in routing.DEFAULT_REGISTRY


def test_register_route_refuses_a_topic_of_another_model():
    reg = RouteRegistry(routing.BUILTIN_ROUTES)
    for taken in ("metering", "event", "notifications"):
        with pytest.raises(ValueError, match=f"topic '{taken}' is already used by model"):
            routing.register_route("my_model", taken, registry=reg)
    routing.register_route("a", "shared", registry=reg)
    with pytest.raises(ValueError, match="model 'a'"):
        routing.register_route("b", "shared", registry=reg)
    # Same model, same topic, different definition: also refused.
    with pytest.raises(ValueError, match="different"):
        routing.register_route("a", "shared", event_type="other", registry=reg)
    assert len(reg) == 4


@pytest.mark.parametrize("topic", ["metering.cpu", "ceilometer-pipe-p-1", "ceilometer_ipc-sample-0"])
def test_register_route_refuses_reserved_topics(topic):
    with pytest.raises(ValueError, match="reserved"):
        routing.register_route("m", topic, registry=RouteRegistry())


def test_registry_rejects_non_routes():
    with pytest.raises(TypeError):
        RouteRegistry().register(("sample", "metering"))  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        RouteRegistry().by_topic("metering")


def test_per_meter_route_is_the_metering_topic_with_its_own_event_type():
    route = routing.per_meter_route("disk.read.bytes")
    assert route.routing_key == "metering.sample"
    assert route.event_type == "metering.disk.read.bytes"
    assert route.model_name == "sample"
    assert routing.per_meter_event_type("cpu", base="custom") == "custom.cpu"
    with pytest.raises(ValueError):
        routing.per_meter_event_type("")


def test_event_type_filter_selects_exact_event_types():
    f = routing.event_type_filter(SAMPLE_ROUTE, routing.per_meter_route("a.b"))
    assert f.match({}, "p", "metering", {}, [])
    assert f.match({}, "p", "metering.a.b", {}, [])
    assert not f.match({}, "p", "metering.aXb", {}, [])  # dots are literal
    assert not f.match({}, "p", "metering.a.b.c", {}, [])
    assert not f.match({}, "p", "xmetering", {}, [])
    with pytest.raises(ValueError):
        routing.event_type_filter()


def test_target_for():
    target = routing.target_for(POLLING_ROUTE)
    assert isinstance(target, oslo_messaging.Target)
    assert (target.exchange, target.topic, target.server) == ("ceilometer", "notifications", None)


# --------------------------------------------------------------------------
# Sending and receiving on fake://


class Recorder:
    """A notification endpoint that records what it is given."""

    def __init__(self, priority="sample"):
        self.got: queue.Queue = queue.Queue()
        setattr(self, priority, self._record)

    def _record(self, ctxt, publisher_id, event_type, payload, metadata):
        self.got.put((publisher_id, event_type, payload, metadata))

    def one(self):
        return self.got.get(timeout=WAIT)

    def none_within(self, seconds=0.5):
        try:
            item = self.got.get(timeout=seconds)
        except queue.Empty:
            return True
        raise AssertionError(f"unexpected delivery: {item!r}")


class BatchRecorder:
    def __init__(self):
        self.got: queue.Queue = queue.Queue()

    def sample(self, messages):
        self.got.put(messages)


@pytest.fixture
def transport():
    t = routing.notification_transport(cfg.ConfigOpts(), "fake://")
    yield t
    t.cleanup()  # also empties the fake driver's process-wide exchanges


@pytest.fixture
def running():
    started = []

    def start(listener):
        listener.start()
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.stop()
        listener.wait()


def test_notification_transport_sets_the_exchange_on_a_private_conf(transport):
    assert transport.conf.control_exchange == "ceilometer"
    other = routing.notification_transport(cfg.ConfigOpts(), "fake://", exchange="nova")
    try:
        assert other.conf.control_exchange == "nova"
    finally:
        other.cleanup()


@pytest.mark.parametrize("route,payload", [
    (SAMPLE_ROUTE, [{"counter_name": "cpu", "counter_volume": 1}]),
    (EVENT_ROUTE, [{"event_type": "compute.instance.create.end", "traits": []}]),
    (POLLING_ROUTE, {"samples": [{"counter_name": "cpu"}, {"counter_name": "memory"}]}),
])
def test_notifier_and_listener_meet_on_each_route(transport, running, route, payload):
    rec = Recorder()
    running(routing.notification_listener(transport, [route], [rec]))
    notifier = routing.notifier_for(transport, route, "telemetry.publisher.node-1")
    notifier.sample({}, route.event_type, payload)
    publisher_id, event_type, got, metadata = rec.one()
    assert publisher_id == "telemetry.publisher.node-1"
    assert event_type == route.event_type
    assert got == payload
    assert metadata["message_id"] and metadata["timestamp"]
    assert rec.none_within()


def test_routes_are_isolated(transport, running):
    samples, events = Recorder(), Recorder()
    running(routing.notification_listener(transport, SAMPLE_ROUTE, [samples]))
    running(routing.notification_listener(transport, EVENT_ROUTE, [events]))
    routing.notifier_for(transport, EVENT_ROUTE, "p").sample({}, "event", [{"e": 1}])
    routing.notifier_for(transport, SAMPLE_ROUTE, "p").sample({}, "metering", [{"s": 1}])
    assert samples.one()[2] == [{"s": 1}]
    assert events.one()[2] == [{"e": 1}]
    assert samples.none_within() and events.none_within(0.1)


def test_a_registered_model_travels_on_its_own_queue(transport, running):
    reg = RouteRegistry(routing.BUILTIN_ROUTES)
    health = routing.register_route("instance_health", registry=reg)
    samples, mine = Recorder(), Recorder()
    running(routing.notification_listener(transport, SAMPLE_ROUTE, [samples]))
    running(routing.notification_listener(transport, health, [mine]))
    routing.notifier_for(transport, health, "my.agent").sample({}, health.event_type, [{"ok": True}])
    assert mine.one()[:3] == ("my.agent", "instance_health", [{"ok": True}])
    assert samples.none_within()


def test_listener_on_several_routes_and_duplicates(transport, running):
    rec = Recorder()
    running(routing.notification_listener(
        transport, [SAMPLE_ROUTE, EVENT_ROUTE, SAMPLE_ROUTE], [rec]))
    routing.notifier_for(transport, SAMPLE_ROUTE, "p").sample({}, "metering", [1])
    routing.notifier_for(transport, EVENT_ROUTE, "p").sample({}, "event", [2])
    got = sorted([rec.one()[2], rec.one()[2]])
    assert got == [[1], [2]]
    assert rec.none_within()


def test_batch_listener(transport, running):
    rec = BatchRecorder()
    running(routing.notification_listener(
        transport, [SAMPLE_ROUTE], [rec], batch_size=3, batch_timeout=1))
    notifier = routing.notifier_for(transport, SAMPLE_ROUTE, "p")
    for i in range(3):
        notifier.sample({}, "metering", [i])
    batch = rec.got.get(timeout=WAIT)
    assert [m["payload"] for m in batch] == [[0], [1], [2]]
    assert {m["event_type"] for m in batch} == {"metering"}


def test_other_priorities_are_routed_to_their_own_queue(transport, running):
    route = Route("audit_model", "audit_topic", "audit.thing", priority="info")
    assert route.routing_key == "audit_topic.info"
    rec = Recorder("info")
    running(routing.notification_listener(transport, route, [rec]))
    routing.notifier_for(transport, route, "p").info({}, route.event_type, {"x": 1})
    assert rec.one()[1:3] == ("audit.thing", {"x": 1})


def test_listener_refuses_routes_no_endpoint_consumes(transport):
    class OnlyInfo:
        def info(self, *args):
            pass

    with pytest.raises(ValueError, match="'sample' method"):
        routing.notification_listener(transport, [SAMPLE_ROUTE], [OnlyInfo()])
    with pytest.raises(ValueError, match="at least one route"):
        routing.notification_listener(transport, [], [Recorder()])
    with pytest.raises(TypeError):
        routing.notification_listener(transport, ["metering"], [Recorder()])


def test_notifier_refuses_a_transport_on_another_exchange():
    wrong = routing.notification_transport(cfg.ConfigOpts(), "fake://", exchange="openstack")
    try:
        with pytest.raises(ValueError, match="exchange 'openstack'"):
            routing.notifier_for(wrong, SAMPLE_ROUTE, "p")
        # A route that does live on that exchange is fine.
        nova = Route("nova_thing", "notifications", "x", exchange="openstack")
        assert routing.notifier_for(wrong, nova, "p")._topics == ["notifications"]
    finally:
        wrong.cleanup()


def test_the_exchange_check_prevents_a_real_loss(running):
    # Without the check, a notifier on the 'openstack' exchange sends where a
    # listener of SAMPLE_ROUTE never reads: show that this loss is real.
    wrong = routing.notification_transport(cfg.ConfigOpts(), "fake://", exchange="openstack")
    try:
        rec = Recorder()
        running(routing.notification_listener(wrong, SAMPLE_ROUTE, [rec]))
        raw = oslo_messaging.Notifier(wrong, "p", driver="messagingv2", topics=["metering"])
        raw.sample({}, "metering", [1])
        assert rec.none_within(1.0)
    finally:
        wrong.cleanup()


# --------------------------------------------------------------------------
# Against the real ceilometer package (in a subprocess: ceilometer changes
# process-wide oslo.messaging defaults and logging).

_CEILOMETER_SCRIPT = textwrap.dedent("""
    import datetime, json, time
    from urllib import parse as urlparse

    import oslo_messaging
    import oslo_messaging.opts
    from oslo_config import cfg
    from ceilometer import sample as sample_mod, service
    from ceilometer.event import models
    from ceilometer.polling import manager
    from ceilometer.publisher import messaging as pub

    from ceilocompat import routing

    conf = service.prepare_service([], [])
    for group, opts in oslo_messaging.opts.list_opts():
        conf.register_opts(opts, group=group)
    conf.set_override("transport_url", "fake://")
    conf.set_override("host", "node-1")

    # Our side: listeners built only from ceilocompat routes.
    transport = routing.notification_transport(cfg.ConfigOpts(), "fake://")
    got = {}

    class Endpoint:
        def __init__(self, name):
            self.name = name

        def sample(self, ctxt, publisher_id, event_type, payload, metadata):
            got.setdefault(self.name, []).append([publisher_id, event_type, payload])

    listen = {
        "metering": routing.SAMPLE_ROUTE,
        "event": routing.EVENT_ROUTE,
        "polling": routing.POLLING_ROUTE,
        # What the docs call the per-meter topic, taken literally:
        "literal_per_meter_topic": routing.Route("sample", "metering.cpu", "metering.cpu"),
    }
    listeners = []
    for name, route in listen.items():
        listener = routing.notification_listener(transport, [route], [Endpoint(name)])
        listener.start()
        listeners.append(listener)

    def mk(name):
        return sample_mod.Sample(
            name=name, type="cumulative", unit="ns", volume=1, user_id="u",
            project_id="p", resource_id="r", timestamp="2024-06-20T09:32:36.521082",
            resource_metadata={})

    # Their side: real ceilometer producers.
    samples = pub.SampleNotifierPublisher(conf, urlparse.urlparse("notifier://?per_meter_topic=1"))
    samples.publish_samples([mk("cpu"), mk("memory")])
    events = pub.EventNotifierPublisher(conf, urlparse.urlparse("notifier://"))
    events.publish_events([models.Event(
        "m1", "compute.instance.create.end", datetime.datetime(2024, 1, 1), [], {})])
    agent = manager.AgentManager(0, conf, namespaces=["central"])
    manager.PollingTask(agent)._send_notification([{"counter_name": "cpu"}])

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len(got.get("metering", [])) < 3:
        time.sleep(0.05)
    time.sleep(0.5)
    for listener in listeners:
        listener.stop()
        listener.wait()

    groups = {}
    for ns, prefix in [(["central"], None), ("central", None), (["central"], "pfx"),
                       (["zz-ceilocompat", "central"], None), (["zz-ceilocompat", "central"], "pfx")]:
        conf.set_override("partitioning_group_prefix", prefix, group="polling")
        am = manager.AgentManager(0, conf, namespaces=ns)
        groups[json.dumps([ns, prefix])] = am.construct_group_id("global")

    print("RESULT " + json.dumps({"got": got, "groups": groups}))
""")


@pytest.fixture(scope="module")
def ceilometer_run():
    pytest.importorskip("ceilometer")
    proc = subprocess.run(
        [sys.executable, "-c", _CEILOMETER_SCRIPT], env=subprocess_env(),
        capture_output=True, text=True, timeout=300, cwd=str(REPO),
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    return json.loads(lines[-1][len("RESULT "):])


@pytest.mark.interop
def test_ceilometer_sample_publisher_lands_on_sample_route(ceilometer_run):
    got = ceilometer_run["got"]["metering"]
    by_type = {event_type: payload for _, event_type, payload in got}
    assert {pid for pid, _, _ in got} == {"telemetry.publisher.node-1"}
    assert [s["counter_name"] for s in by_type["metering"]] == ["cpu", "memory"]
    # per_meter_topic=1 batches arrive on the same queue, by event type.
    assert set(by_type) == {"metering", routing.per_meter_event_type("cpu"),
                            routing.per_meter_event_type("memory")}
    assert [s["counter_name"] for s in by_type["metering.cpu"]] == ["cpu"]
    assert "literal_per_meter_topic" not in ceilometer_run["got"]


@pytest.mark.interop
def test_ceilometer_event_publisher_lands_on_event_route(ceilometer_run):
    [(pid, event_type, payload)] = ceilometer_run["got"]["event"]
    assert (pid, event_type) == ("telemetry.publisher.node-1", EVENT_ROUTE.event_type)
    assert [e["event_type"] for e in payload] == ["compute.instance.create.end"]


@pytest.mark.interop
def test_ceilometer_polling_agent_lands_on_polling_route(ceilometer_run):
    [(pid, event_type, payload)] = ceilometer_run["got"]["polling"]
    assert (pid, event_type) == ("ceilometer.polling", POLLING_ROUTE.event_type)
    assert payload == {"samples": [{"counter_name": "cpu"}]}


@pytest.mark.interop
def test_polling_group_id_matches_ceilometer_agent_manager(ceilometer_run):
    groups = ceilometer_run["groups"]
    assert len(groups) == 5
    for key, theirs in groups.items():
        namespaces, prefix = json.loads(key)
        assert partitioning.polling_group_id(namespaces, "global", prefix) == theirs, key

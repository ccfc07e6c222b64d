"""Unit tests for ceilocompat.routing (fake:// transport, no broker)."""

from __future__ import annotations

import doctest
import hashlib
import json
import os
import queue
import subprocess
import sys
import textwrap
from pathlib import Path

import oslo_messaging
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oslo_config import cfg

from ceilocompat import routing
from ceilocompat.routing import (
    EVENT_ROUTE,
    IPC_SCHEME,
    PIPE_SCHEME,
    POLLING_ROUTE,
    SAMPLE_ROUTE,
    PayloadShape,
    Route,
    RouteRegistry,
)

REPO = Path(__file__).resolve().parents[1]
WAIT = 10  # seconds to wait for a fake:// delivery


def _subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


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
# Partition hashing

_KEY_PART = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False) | st.binary(max_size=8),
    lambda inner: st.lists(inner, max_size=3),
    max_leaves=6,
)
_KEY = st.lists(_KEY_PART, max_size=4)


def _spec_index(canonical: bytes, count: int) -> int:
    # The algorithm as documented, written out independently.
    return int.from_bytes(hashlib.blake2b(canonical, digest_size=8).digest(), "big") % count


@pytest.mark.parametrize("key,canonical", [
    (["res-1"], b'["res-1"]'),
    ("res-1", b'["res-1"]'),
    (("e4b0c1f2-resource", "cpu"), b'["e4b0c1f2-resource","cpu"]'),
    ([None, True, 1, 1.5, "1"], b'[null,true,1,1.5,"1"]'),
    ([b"\x00\xff"], b'[{"b":"00ff"}]'),
    (["\u00fcn\u00efcode", 42], '["ünïcode",42]'.encode()),
    ([["nested", 1], "x"], b'[["nested",1],"x"]'),
    ([], b"[]"),
])
def test_partition_key_encoding_and_index_follow_the_documented_algorithm(key, canonical):
    assert routing.partition_key_bytes(key) == canonical
    for count in (1, 2, 7, 10, 1000):
        assert routing.partition_index(key, count) == _spec_index(canonical, count)


def test_partition_index_golden_values_never_change():
    # Deployed agents depend on these: changing them reroutes live data.
    assert [routing.partition_index(["res-1"], 10),
            routing.partition_index(["e4b0c1f2-resource", "cpu"], 10),
            routing.partition_index([None], 10),
            routing.partition_index(["res-1"], 1000),
            routing.partition_index([1.0], 7)] == [1, 3, 1, 771, 0]


@settings(max_examples=300, deadline=None)
@given(key=_KEY, count=st.integers(min_value=1, max_value=10_000))
def test_partition_index_is_in_range_and_matches_the_spec(key, count):
    index = routing.partition_index(key, count)
    assert 0 <= index < count
    canonical = json.dumps(
        json.loads(routing.partition_key_bytes(key)), ensure_ascii=False,
        separators=(",", ":")).encode()
    assert index == _spec_index(canonical, count)


def test_partition_index_distinguishes_types_python_hash_conflates():
    # hash(1) == hash(1.0) == hash(True); the wire key types differ.
    encodings = {routing.partition_key_bytes([v]) for v in (1, 1.0, True, "1")}
    assert len(encodings) == 4


def test_partition_index_spreads_keys():
    counts = [0] * 10
    for i in range(20_000):
        counts[routing.partition_index([f"resource-{i}"], 10)] += 1
    assert min(counts) > 1700 and max(counts) < 2300, counts


@pytest.mark.parametrize("count", [0, -1, True, 1.5, "10", None])
def test_partition_index_rejects_bad_counts(count):
    with pytest.raises(ValueError):
        routing.partition_index(["k"], count)


def test_partition_index_rejects_bad_parts():
    with pytest.raises(TypeError):
        routing.partition_index([{"a": 1}], 10)
    with pytest.raises(TypeError):
        routing.partition_index([object()], 10)
    with pytest.raises(ValueError):
        routing.partition_index([float("nan")], 10)
    # Sets iterate in hash() order, which differs between processes.
    for unordered in ({"a", "b"}, frozenset({"a"}), {"a": 1}, [{"a"}]):
        with pytest.raises(TypeError):
            routing.partition_index(unordered, 10)
    assert routing.partition_index(iter(["a", "b"]), 10) == routing.partition_index(["a", "b"], 10)


_CROSS_PROCESS_SCRIPT = textwrap.dedent("""
    import json
    from ceilocompat.routing import partition_index
    keys = [[f"resource-{i}", "cpu" if i % 2 else None, i] for i in range(3000)]
    keys += [f"instance-{i}" for i in range(1000)]
    print(json.dumps({
        "stable": [partition_index(k, 10) for k in keys],
        "builtin_hash": [hash(f"instance-{i}") % 10 for i in range(1000)],
    }))
""")


def _run_with_hashseed(seed: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _CROSS_PROCESS_SCRIPT],
        env=_subprocess_env(PYTHONHASHSEED=seed), capture_output=True, text=True,
        timeout=120, cwd=str(REPO),
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_partition_index_is_identical_across_processes_with_different_hash_seeds():
    a, b = _run_with_hashseed("1"), _run_with_hashseed("4242")
    # The control: Python's hash() (what Ceilometer used) does disagree.
    assert a["builtin_hash"] != b["builtin_hash"]
    assert a["stable"] == b["stable"]
    assert len(a["stable"]) == 4000
    # And the subprocesses agree with this process.
    assert a["stable"][:3000] == [
        routing.partition_index([f"resource-{i}", "cpu" if i % 2 else None, i], 10)
        for i in range(3000)]


# --------------------------------------------------------------------------
# Releases and partition schemes


@pytest.mark.parametrize("release,scheme", [
    ("2015.1.0", None), ("kilo", None), ("4.0.0", None),
    ("5.0.0", PIPE_SCHEME), ("6.1.0", PIPE_SCHEME), ("7.0.0", PIPE_SCHEME),
    ("8.1.2", PIPE_SCHEME), ("9.0.0", PIPE_SCHEME), ("pike", PIPE_SCHEME),
    ("9.0.1.dev4", PIPE_SCHEME),
    ("10.0.0", IPC_SCHEME), ("10.0.0.0b2", IPC_SCHEME), ("11.1.0", IPC_SCHEME),
    ("Rocky", IPC_SCHEME),
    ("12.0.0", None), ("13.0.0", None), ("18.1.0", None), ("20.0.0", None),
    ("2023.1", None), ("2026.1", None), ("27.0.0", None), ("gazpacho", None),
])
def test_partition_scheme_by_release(release, scheme):
    assert routing.partition_scheme(release) is scheme


@pytest.mark.parametrize("bad", ["", "abc", "v9", "2019.3", "1999.1", "9..0"])
def test_partition_scheme_rejects_non_releases(bad):
    with pytest.raises(ValueError):
        routing.partition_scheme(bad)
    with pytest.raises(TypeError):
        routing.partition_scheme(9)  # type: ignore[arg-type]


def test_partition_queue_names():
    assert PIPE_SCHEME.queue_name("meter_source:meter_sink", 0) == "ceilometer-pipe-meter_source:meter_sink-0"
    assert IPC_SCHEME.queue_name("event", 9) == "ceilometer_ipc-event-9"
    assert IPC_SCHEME.queue_names("sample", 3) == [
        "ceilometer_ipc-sample-0", "ceilometer_ipc-sample-1", "ceilometer_ipc-sample-2"]
    assert len(PIPE_SCHEME.queue_names("p")) == 10  # pipeline_processing_queues default
    with pytest.raises(ValueError):
        IPC_SCHEME.queue_name("meter_source:meter_sink", 0)
    for bad in (-1, True, 1.0):
        with pytest.raises(ValueError):
            PIPE_SCHEME.queue_name("p", bad)
    with pytest.raises(ValueError):
        PIPE_SCHEME.queue_names("p", 0)


def test_partition_coordination_groups_follow_the_v2_rename():
    assert PIPE_SCHEME.coordination_group == "ceilometer.notification"
    assert IPC_SCHEME.coordination_group == "ceilometer.notification.v2"
    assert routing.versioned_group_id(PIPE_SCHEME.coordination_group, 2) == IPC_SCHEME.coordination_group


@pytest.mark.parametrize("a,b,ok", [
    ("5.0.0", "6.0.0", True),
    ("7.0.0", "9.0.0", True),
    ("6.0.0", "7.0.0", False),   # publisher_id filter since 7.0.0
    ("9.0.0", "10.0.0", False),  # queues renamed
    ("10.0.0", "11.0.0", True),
    ("11.0.0", "12.0.0", False),  # 12.0.0 never reads the ipc queues
    ("12.0.0", "2024.1", True),   # neither partitions
    ("kilo", "liberty", False),
])
def test_schemes_can_share_queues(a, b, ok):
    assert routing.schemes_can_share_queues(a, b) is ok
    assert routing.schemes_can_share_queues(b, a) is ok
    problem = routing.queue_sharing_problem(a, b)
    assert (problem is None) is ok
    if problem:
        assert a in problem and b in problem


# --------------------------------------------------------------------------
# Coordination group ids


@pytest.mark.parametrize("args,expected", [
    ((["central"], "global"), "central-global"),
    (("central", "global"), "central-global"),
    ((["compute"], "host-1"), "compute-host-1"),
    ((["ipmi", "central"], "global"), "central-ipmi-global"),
    ((("central", "compute"), "global", "pfx"), "central-compute-pfx-global"),
    ((["central"], "global", ""), "central-global"),
    (([], "global"), "central-compute-global"),
    ((None, "global"), "central-compute-global"),
    ((["compute"], "LocalNode-host-1", "new"), "compute-new-LocalNode-host-1"),
])
def test_polling_group_id(args, expected):
    assert routing.polling_group_id(*args) == expected


def test_polling_group_id_rejects_no_group():
    with pytest.raises(ValueError):
        routing.polling_group_id(["central"], None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        routing.polling_group_id(["central"], "")
    with pytest.raises(TypeError):
        routing.polling_group_id([3], "global")  # type: ignore[list-item]


@pytest.mark.parametrize("base,version,expected", [
    ("central-global", 1, "central-global"),
    ("central-global", "1.7", "central-global"),
    ("central-global", 2, "central-global.v2"),
    ("central-global", "3.1", "central-global.v3"),
    ("ceilometer.notification", 2, "ceilometer.notification.v2"),
])
def test_versioned_group_id(base, version, expected):
    assert routing.versioned_group_id(base, version) == expected


def test_versioned_group_ids_keep_major_versions_apart():
    ids = {routing.versioned_group_id("central-global", v) for v in (1, 2, 3, "2.5")}
    assert ids == {"central-global", "central-global.v2", "central-global.v3"}


@pytest.mark.parametrize("base,version", [
    ("g", 0), ("g", -2), ("g", "two"), ("g", "2.x"), ("g", True), ("g.v2", 3), ("", 2),
])
def test_versioned_group_id_rejects(base, version):
    with pytest.raises((ValueError, TypeError)):
        routing.versioned_group_id(base, version)


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
        [sys.executable, "-c", _CEILOMETER_SCRIPT], env=_subprocess_env(),
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
        assert routing.polling_group_id(namespaces, "global", prefix) == theirs, key

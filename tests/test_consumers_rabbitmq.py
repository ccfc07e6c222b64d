"""Mixed-version producers and consumers on a real RabbitMQ started for the run."""

from __future__ import annotations

import threading
import uuid

import pytest

import ceilocompat as cc
from bus import listening, transport, wait_until
from ceilocompat import CompatEndpoint, ConsumerPolicy, DeadLetterPublisher, OnBadInput, Publisher, Relay, routing

pytestmark = pytest.mark.rabbitmq
SECRET = "not-so-secret"
WAIT = 60


class Seen:
    """Thread-safe record of items by message id."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ids: list = []
        self.items: list = []

    def __call__(self, items, _delivery):
        with self.lock:
            self.items.extend(items)
            self.ids.extend(i.message_id for i in items)

    def count(self):
        with self.lock:
            return len(self.ids)


def sample(i: int, gen: str) -> cc.Sample:
    return cc.Sample(counter_name="cpu", counter_type="cumulative", counter_unit="ns", counter_volume=i,
                     resource_id=f"vm-{i}", timestamp="2024-06-20T09:32:36", user_name=f"user-{i}",
                     message_id=f"{gen}-{i}")


def event(i: int, gen: str) -> cc.Event:
    return cc.Event(message_id=f"{gen}-e{i}", event_type="compute.instance.delete.start",
                    generated="2024-06-20T09:32:36", traits=[cc.Trait("n", 2, i)])


def test_old_and_new_producers_and_consumers_share_the_bus(rabbitmq):
    bus = transport(rabbitmq.url)
    tag = uuid.uuid4().hex[:8]
    relay_route = routing.Route("sample", f"relayed_{tag}", "metering")
    policy = ConsumerPolicy(signatures="verify", secret=SECRET)
    collector_seen, thirdparty_seen, relayed_seen = Seen(), Seen(), Seen()
    old_collector = CompatEndpoint(routing.SAMPLE_ROUTE, collector_seen, version="1.0", policy=policy)
    old_events = CompatEndpoint(routing.EVENT_ROUTE, collector_seen, policy=policy)
    new_collector = CompatEndpoint(routing.SAMPLE_ROUTE, collector_seen, policy=policy)
    new_events = CompatEndpoint(routing.EVENT_ROUTE, collector_seen, policy=policy)
    relay = Relay(bus, relay_route, "ceilocompat.relay")
    thirdparty = CompatEndpoint(routing.SAMPLE_ROUTE, lambda items, d: (thirdparty_seen(items, d), relay(items, d)),
                                policy=policy)
    downstream = CompatEndpoint(relay_route, relayed_seen, policy=policy)

    old_producer = Publisher(bus, routing.SAMPLE_ROUTE, "telemetry.publisher.old", secret=SECRET, pin_version="1.0")
    new_producer = Publisher(bus, routing.SAMPLE_ROUTE, "telemetry.publisher.new", secret=SECRET)
    event_producer = Publisher(bus, routing.EVENT_ROUTE, "telemetry.publisher.new", secret=SECRET)
    newer = {**sample(0, "newer").to_wire(), "carbon_grams": 1.5, "resource_metadata": {"zone": {"az": "1"}}}
    del newer["message_signature"]
    newer["message_signature"] = cc.compute_signature(newer, SECRET)

    pools = {"collector": f"collector_{tag}", "thirdparty": f"thirdparty_{tag}", "downstream": f"downstream_{tag}"}
    with listening(bus, [old_collector, old_events], pool=pools["collector"]), \
         listening(bus, [new_collector, new_events], pool=pools["collector"]), \
         listening(bus, [thirdparty], pool=pools["thirdparty"]), \
         listening(bus, [downstream], pool=pools["downstream"]):
        old_producer.publish([sample(i, "old") for i in range(100)])
        new_producer.publish([sample(i, "new") for i in range(100)])
        new_producer.publish_wire([newer])
        event_producer.publish([event(i, "new") for i in range(20)])
        wait_until(lambda: collector_seen.count() == 221 and thirdparty_seen.count() == 201
                   and relayed_seen.count() == 201, timeout=WAIT, what="every item once per consumer group")
        rabbitmq.wait_until_drained(list(pools.values()), timeout=WAIT)

    expected_samples = {f"old-{i}" for i in range(100)} | {f"new-{i}" for i in range(100)} | {"newer-0"}
    for seen in (collector_seen, thirdparty_seen, relayed_seen):
        sample_ids = [m for m in seen.ids if "-e" not in m]
        assert sorted(sample_ids) == sorted(expected_samples), "exactly once per consumer group"
    assert sorted(m for m in collector_seen.ids if "-e" in m) == sorted(f"new-e{i}" for i in range(20))
    assert old_collector.counters.snapshot()["decoded"] > 0 and new_collector.counters.snapshot()["decoded"] > 0
    for endpoint in (old_collector, new_collector, old_events, new_events, thirdparty, downstream):
        snap = endpoint.counters.snapshot()
        assert snap["rejected"] == {} and snap["unclaimed"] == {}, "every signature verified, every message claimed"
    relayed_newer = next(i for i in relayed_seen.items if i.message_id == "newer-0")
    assert relayed_newer.to_wire() == newer, "unknown keys and signature survive the relay"
    old_pinned = next(i for i in collector_seen.items if i.message_id == "old-1")
    assert "user_name" not in old_pinned.received
    bus.cleanup()


@pytest.mark.parametrize("poison", ["bad input", "handler error"])
def test_poison_message_is_dead_lettered_after_bounded_tries(rabbitmq, poison):
    bus = transport(rabbitmq.url)
    tag = uuid.uuid4().hex[:8]
    route = routing.Route("sample", f"poison_{tag}", "metering")
    dead_route = routing.Route("dead_letter", f"dead_{tag}", DeadLetterPublisher.EVENT_TYPE, priority="error")
    dead: list = []

    class DeadLetters:
        def error(self, ctxt, publisher_id, event_type, payload, metadata):
            dead.append(payload)

    def handler(items, _delivery):
        if poison == "handler error":
            raise RuntimeError("storage down")

    policy = ConsumerPolicy(on_bad_input=OnBadInput.REQUEUE, max_tries=3,
                            dead_letter=DeadLetterPublisher(bus, topic=dead_route.topic))
    endpoint = CompatEndpoint(route, handler, policy=policy)
    raw = [{"counter_name": "cpu", "counter_volume": "lots"}] if poison == "bad input" else [sample(1, "p").to_wire()]
    with listening(bus, [endpoint], pool=f"consumer_{tag}"), \
         listening(bus, [DeadLetters()], routes=[dead_route], pool=f"dead_{tag}"):
        Publisher(bus, route, "telemetry.publisher.h1").publish_wire(raw)
        wait_until(lambda: dead, timeout=WAIT, what="the dead letter")
        rabbitmq.wait_until_drained([f"consumer_{tag}", f"dead_{tag}"], timeout=WAIT)
    assert dead[0]["tries"] == 3
    assert dead[0]["raw"] == (raw[0] if poison == "bad input" else raw)
    snap = endpoint.counters.snapshot()
    assert snap["requeued"] == 2 and snap["dead_lettered"] == 1
    bus.cleanup()

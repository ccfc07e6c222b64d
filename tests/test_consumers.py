"""Compat consumers, relay, shadow decode and publisher on oslo.messaging's fake:// driver."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ceilocompat as cc
from bus import listening, transport, wait_until
from ceilocompat import Publisher, Relay, routing
from ceilocompat._consumers import (
    CompatBatchEndpoint,
    CompatEndpoint,
    ConsumerCounters,
    ConsumerPolicy,
    DeadLetterPublisher,
    OnBadInput,
    ShadowDecode,
    Signatures,
    compat_listener,
)
from conftest import corpus_json

SECRET = "not-so-secret"


def sample(i: int, **extra) -> cc.Sample:
    return cc.Sample(counter_name="cpu", counter_type="cumulative", counter_unit="ns", counter_volume=i,
                     resource_id=f"vm-{i}", timestamp="2024-06-20T09:32:36", user_name="alice", **extra)


def call(endpoint, payload, message_id="m-1", event_type="metering"):
    return getattr(endpoint, endpoint.route.priority)({}, "telemetry.publisher.h1", event_type, payload,
                                                     {"message_id": message_id, "timestamp": "t"})


class Collect:
    def __init__(self, fail_times: int = 0):
        self.items, self.deliveries, self.fail_times = [], [], fail_times

    def __call__(self, items, delivery):
        if self.fail_times:
            self.fail_times -= 1
            raise RuntimeError("database away")
        self.items.extend(items)
        self.deliveries.append(delivery)


def test_every_payload_shape_reaches_the_handler_decoded():
    handler = Collect()
    endpoint = CompatEndpoint(routing.POLLING_ROUTE, handler)
    wire = corpus_json("sample-2026.1-signed-not-so-secret.json")
    for payload in ({"samples": [wire, wire]}, [wire], wire):
        assert call(endpoint, payload) == "handled"
    assert len(handler.items) == 4 and all(isinstance(s, cc.Sample) for s in handler.items)
    assert handler.deliveries[0].publisher_id == "telemetry.publisher.h1"
    assert endpoint.counters.snapshot()["generations"] == {"1.2": 4}


def test_bad_items_are_dead_lettered_with_their_raw_payload_and_good_ones_handled():
    dead, handler = [], Collect()
    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, handler, policy=ConsumerPolicy(dead_letter=dead.append))
    good = sample(1).to_wire()
    bad = {**good, "counter_volume": "lots"}
    assert call(endpoint, [good, bad, "not a dict"]) == "handled"
    assert len(handler.items) == 1
    assert [d.raw for d in dead] == [bad, "not a dict"]
    assert dead[0].reason == "decode" and "counter_volume" in dead[0].detail
    snap = endpoint.counters.snapshot()
    assert snap["rejected"] == {"decode": 2} and snap["dead_lettered"] == 2 and snap["handled"] == 1


def test_drop_policy_counts_and_logs(caplog):
    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, Collect(), policy=ConsumerPolicy(on_bad_input="drop"))
    call(endpoint, [{"counter_name": 5}])
    assert endpoint.counters.snapshot()["dropped"] == 1
    assert "dropped decode item" in caplog.text


def test_requeue_policy_is_bounded_then_dead_letters():
    dead, handler = [], Collect()
    policy = ConsumerPolicy(on_bad_input=OnBadInput.REQUEUE, max_tries=3, dead_letter=dead.append)
    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, handler, policy=policy)
    payload = [sample(1).to_wire(), {"counter_name": "bad"}]
    outcomes = [call(endpoint, payload) for _ in range(3)]
    assert outcomes == ["requeue", "requeue", "handled"]
    assert len(handler.items) == 1, "good items are handled once, on the last try"
    assert len(dead) == 1 and dead[0].tries == 3
    assert endpoint.counters.snapshot()["requeued"] == 2


def test_handler_exceptions_get_the_same_bounded_treatment():
    dead = []
    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, Collect(fail_times=10),
                              policy=ConsumerPolicy(max_tries=2, dead_letter=dead.append))
    assert [call(endpoint, [sample(1).to_wire()]) for _ in range(2)] == ["requeue", "handled"]
    assert dead[0].reason == "handler" and "database away" in dead[0].detail
    assert endpoint.counters.snapshot()["handler_errors"] == 2


def test_message_without_id_is_never_requeued():
    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, Collect(fail_times=1),
                              policy=ConsumerPolicy(dead_letter=lambda d: None))
    assert endpoint.sample({}, None, None, [sample(1).to_wire()], {}) == "handled"


def test_a_failing_dead_letter_sink_falls_back_to_the_log(caplog):
    def broken(_dead):
        raise OSError("sink down")

    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, Collect(), policy=ConsumerPolicy(dead_letter=broken))
    assert call(endpoint, [{"x": 1}]) == "handled"
    assert "dead letter (decode" in caplog.text


@pytest.mark.parametrize("mode,accepted", [(Signatures.VERIFY, 1), (Signatures.VERIFY_LEGACY, 2)])
def test_signature_policy(mode, accepted):
    dead, handler = [], Collect()
    policy = ConsumerPolicy(signatures=mode, secret=cc.DEFAULT_SECRET, dead_letter=dead.append)
    endpoint = CompatEndpoint(routing.EVENT_ROUTE, handler, policy=policy)
    current = cc.Event(message_id="m", event_type="e", generated="2024-01-01T00:00:00",
                       traits=[cc.Trait("a", 1, "b")]).to_wire(secret=cc.DEFAULT_SECRET)
    legacy = corpus_json("event-pike-image-delete-py2-signed.json")
    forged = {**current, "event_type": "forged"}
    call(endpoint, [current, legacy, forged], event_type="event")
    assert len(handler.items) == accepted
    assert all(d.reason == "signature" for d in dead) and len(dead) == 3 - accepted
    assert endpoint.counters.snapshot()["rejected"] == {"signature": 3 - accepted}


def test_signature_checking_needs_a_secret():
    with pytest.raises(ValueError, match="secret"):
        ConsumerPolicy(signatures="verify")
    with pytest.raises(ValueError):
        ConsumerPolicy(max_tries=0)


def test_counters_see_generations_and_unknown_keys():
    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, Collect())
    kilo = sample(1).to_wire(version="1.0")
    newer = {**sample(2).to_wire(), "carbon": 1, "labels": {}}
    call(endpoint, [kilo, newer, sample(3).to_wire(version="1.1")])
    snap = endpoint.counters.snapshot()
    assert snap["generations"] == {"1.0": 1, "1.2": 1, "1.1": 1}
    assert snap["unknown_keys"] == {"carbon": 1, "labels": 1}
    assert "3 decoded" in endpoint.counters.summary()


def test_old_version_consumer_decodes_at_its_view():
    handler = Collect()
    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, handler, version="1.0")
    wire = sample(1).to_wire()
    call(endpoint, [wire])
    assert handler.items[0].user_name is None
    assert handler.items[0].to_wire() == wire


def test_shadow_decode_counts_divergences():
    counters = ConsumerCounters()
    shadow = ShadowDecode(cc.Sample, previous="1.0")
    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, Collect(), counters=counters, shadow=shadow)
    call(endpoint, [sample(1).to_wire(), sample(2).to_wire(version="1.0"),
                    {**sample(3).to_wire(), "monotonic_time": "x"}])
    assert counters.snapshot()["shadow"] == {"compared": 2, "ignored-by-previous:user_name": 1}
    assert shadow.compare({**sample(3).to_wire(), "monotonic_time": "x"}, counters) == ["current-rejects"]


def test_publish_consume_relay_on_fake_transport():
    bus = transport()
    final, first_hop = Collect(), Collect()
    relay = Relay(bus, routing.SAMPLE_ROUTE, "ceilometer.notification")
    newer = {**sample(7).to_wire(), "carbon": 1.5, "resource_metadata": {"nested_new": {"k": [1, "a"]}}}
    newer["message_signature"] = cc.compute_signature(newer, SECRET)

    def forward(items, delivery):
        first_hop(items, delivery)
        relay(items, delivery)

    polling_endpoint = CompatEndpoint(routing.POLLING_ROUTE, forward, version="1.1")
    collector = CompatEndpoint(routing.SAMPLE_ROUTE, final,
                               policy=ConsumerPolicy(signatures="verify", secret=SECRET))
    publisher = Publisher(bus, routing.POLLING_ROUTE, "ceilometer.polling", secret=SECRET)
    with listening(bus, [polling_endpoint]), listening(bus, [collector]):
        assert publisher.publish([sample(i) for i in range(120)]) == 3
        publisher.publish_wire([newer])
        wait_until(lambda: len(final.items) == 121, what="121 relayed samples")
    assert sorted(s.counter_volume for s in final.items) == sorted([float(i) for i in range(120)] + [7.0])
    relayed = [s for s in final.items if s.unknown_keys()]
    assert relayed[0].to_wire() == newer
    assert collector.counters.snapshot()["rejected"] == {}
    bus.cleanup()


def test_batch_endpoint_on_fake_transport():
    bus = transport()
    handler = Collect(fail_times=1)
    dead = []
    endpoint = CompatBatchEndpoint(routing.SAMPLE_ROUTE, handler,
                                   policy=ConsumerPolicy(on_bad_input="requeue", dead_letter=dead.append))
    publisher = Publisher(bus, routing.SAMPLE_ROUTE, "telemetry.publisher.h1", batch_size=10)
    with listening(bus, [endpoint], batch_size=5, batch_timeout=0.2):
        publisher.publish([sample(i) for i in range(30)])
        publisher.publish_wire([{"broken": True}])
        wait_until(lambda: len(handler.items) >= 30 and dead, what="30 samples and one dead letter")
    assert sorted(s.counter_volume for s in handler.items) == [float(i) for i in range(30)]
    assert endpoint.counters.snapshot()["requeued"] >= 1
    assert dead[0].raw == {"broken": True}
    bus.cleanup()


def test_dead_letter_publisher_puts_the_raw_payload_on_the_bus():
    bus = transport()
    route = routing.Route("dead_letter", "ceilocompat_dead_letter", DeadLetterPublisher.EVENT_TYPE, priority="error")
    received = []

    class Sink:
        def error(self, ctxt, publisher_id, event_type, payload, metadata):
            received.append(payload)

    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, Collect(),
                              policy=ConsumerPolicy(dead_letter=DeadLetterPublisher(bus)))
    with listening(bus, [Sink()], routes=[route]):
        call(endpoint, [{"counter_name": "cpu", "counter_volume": []}])
        wait_until(lambda: received, what="a dead letter")
    assert received[0]["raw"] == {"counter_name": "cpu", "counter_volume": []}
    assert received[0]["reason"] == "decode"
    bus.cleanup()


def test_pinned_publisher_never_sends_newer_keys():
    publisher = Publisher(transport(), routing.SAMPLE_ROUTE, "p", pin_version="1.0", secret=SECRET)
    (wire,) = publisher.encode([sample(1)])
    assert set(wire) == set(cc.Sample.at("1.0").keys)
    assert cc.verify_signature(wire, SECRET)


def test_endpoints_of_one_listener_each_claim_their_route_and_nothing_is_lost_silently():
    bus = transport()
    samples, events, dead = Collect(), Collect(), []
    policy = ConsumerPolicy(dead_letter=dead.append)
    counters = ConsumerCounters()
    sample_endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, samples, policy=policy, counters=counters)
    event_endpoint = CompatEndpoint(routing.EVENT_ROUTE, events, policy=policy, counters=counters)
    # oslo.messaging gives a pool one queue for all its routes: both endpoints see both kinds
    with listening(bus, [sample_endpoint, event_endpoint], pool="collector"):
        Publisher(bus, routing.SAMPLE_ROUTE, "p").publish([sample(i) for i in range(3)])
        Publisher(bus, routing.EVENT_ROUTE, "p").publish(
            [cc.Event(message_id="m", event_type="e", generated="2024-01-01T00:00:00")])
        # same topic, an event type nobody claims
        routing.notifier_for(bus, routing.SAMPLE_ROUTE, "p").sample({}, "something.else", [sample(9).to_wire()])
        wait_until(lambda: len(samples.items) == 3 and len(events.items) == 1 and dead, what="all three kinds")
    assert counters.snapshot()["rejected"] == {}
    assert counters.snapshot()["unclaimed"] == {"something.else": 1}
    assert dead[0].reason == "unclaimed" and dead[0].raw[0]["counter_volume"] == 9
    bus.cleanup()


def test_compat_listener_refuses_mixed_or_misconfigured_endpoints():
    bus = transport()
    plain = CompatEndpoint(routing.SAMPLE_ROUTE, Collect())
    batch = CompatBatchEndpoint(routing.EVENT_ROUTE, Collect())
    with pytest.raises(ValueError, match="mix"):
        compat_listener(bus, [plain, batch])
    with pytest.raises(ValueError, match="batch_size"):
        compat_listener(bus, [batch])
    with pytest.raises(ValueError):
        compat_listener(bus, [])
    bus.cleanup()



def _values():
    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
        max_leaves=20,
    )


def _payloads():
    good = st.builds(lambda i: sample(i).to_wire(), st.integers(0, 100))
    items = st.lists(good | _values(), max_size=6)
    return items | st.builds(lambda xs: {"samples": xs}, items) | _values()


def _item_count(payload) -> int:
    if isinstance(payload, list):
        return len(payload)
    if isinstance(payload, dict) and isinstance(payload.get("samples"), list):
        return len(payload["samples"])
    return 1


@settings(max_examples=200, deadline=None)
@given(payload=_payloads(), metadata=_values(), event_type=_values(), publisher=_values())
def test_any_message_is_handled_or_dead_lettered_never_raised_never_lost(payload, metadata, event_type, publisher):
    dead, handler = [], Collect()
    endpoint = CompatEndpoint(routing.POLLING_ROUTE, handler, policy=ConsumerPolicy(dead_letter=dead.append))
    assert endpoint.sample({}, publisher, event_type, payload, metadata) == "handled"
    assert len(handler.items) + len(dead) == _item_count(payload)
    assert all(d.reason == "decode" for d in dead)


def test_per_meter_copies_are_counted_not_dead_lettered():
    bus = transport()
    handler, dead = Collect(), []
    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, handler, policy=ConsumerPolicy(dead_letter=dead.append))
    with listening(bus, [endpoint]):
        Publisher(bus, routing.SAMPLE_ROUTE, "p").publish([sample(1)])
        Publisher(bus, routing.per_meter_route("cpu"), "p").publish([sample(1)])
        wait_until(lambda: handler.items and endpoint.counters.per_meter_copies == 1, what="batch and copy")
    assert len(handler.items) == 1 and dead == []
    bus.cleanup()


def test_a_route_of_your_own_model_needs_the_model_and_says_so():
    route = routing.Route("instance_health", "instance_health", "health")
    with pytest.raises(ValueError) as caught:
        CompatEndpoint(route, lambda items, delivery: None)
    message = str(caught.value)
    assert "'instance_health.sample'" in message and "no built-in wire model 'instance_health'" in message
    assert "model=InstanceHealth" in message
    assert CompatEndpoint(route, lambda items, delivery: None, model=cc.Event).model is cc.Event

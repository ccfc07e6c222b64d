"""Redeliveries recognised by message id: acknowledged once handled, never handed over twice."""

from __future__ import annotations

import pytest

from ceilocompat import SAMPLE_ROUTE, CompatBatchEndpoint, CompatEndpoint, ConsumerPolicy
from ceilocompat._consumers import REQUEUE, RecentMessageIds

WIRE = {"counter_name": "cpu", "counter_type": "gauge", "counter_unit": "%", "counter_volume": 1,
        "resource_id": "r", "timestamp": "2024-01-01T00:00:00"}


def deliver(endpoint, message_id):
    return endpoint.sample({}, "telemetry.publisher.h1", SAMPLE_ROUTE.event_type, [dict(WIRE)],
                           {"message_id": message_id, "timestamp": "2024-01-01 00:00:00"})


def test_a_redelivered_message_is_acknowledged_without_a_second_handler_call():
    calls = []
    endpoint = CompatEndpoint(SAMPLE_ROUTE, lambda items, d: calls.append(d.message_id),
                              policy=ConsumerPolicy(deduplicate=100))
    for message_id in ("m1", "m2", "m1", "m1", "m3"):
        assert deliver(endpoint, message_id) == "handled"
    assert calls == ["m1", "m2", "m3"]
    assert endpoint.counters.duplicates == 2
    assert "duplicates dropped 2" in endpoint.counters.summary()


def test_without_deduplication_every_delivery_is_handed_over():
    calls = []
    endpoint = CompatEndpoint(SAMPLE_ROUTE, lambda items, d: calls.append(d.message_id))
    for message_id in ("m1", "m1"):
        deliver(endpoint, message_id)
    assert calls == ["m1", "m1"]
    assert endpoint.counters.duplicates == 0


def test_a_requeued_message_is_handled_when_it_comes_back():
    calls = []

    def flaky(items, delivery):
        calls.append(delivery.message_id)
        if len(calls) == 1:
            raise RuntimeError("database away")

    endpoint = CompatEndpoint(SAMPLE_ROUTE, flaky, policy=ConsumerPolicy(deduplicate=100))
    assert deliver(endpoint, "m1") is REQUEUE
    assert deliver(endpoint, "m1") == "handled"
    assert deliver(endpoint, "m1") == "handled"  # now a duplicate
    assert calls == ["m1", "m1"]
    assert endpoint.counters.duplicates == 1


def test_endpoints_sharing_a_policy_share_its_memory():
    policy = ConsumerPolicy(deduplicate=RecentMessageIds(10))
    calls = []
    first, second = (CompatEndpoint(SAMPLE_ROUTE, lambda items, d: calls.append(d.message_id), policy=policy)
                     for _ in range(2))
    deliver(first, "m1")
    deliver(second, "m1")  # redelivered to the other member of the group
    assert calls == ["m1"]
    assert (first.counters.duplicates, second.counters.duplicates) == (0, 1)


def test_memory_is_bounded_and_the_oldest_id_is_forgotten_first():
    calls = []
    endpoint = CompatEndpoint(SAMPLE_ROUTE, lambda items, d: calls.append(d.message_id),
                              policy=ConsumerPolicy(deduplicate=2))
    for message_id in ("m1", "m2", "m3", "m1"):
        deliver(endpoint, message_id)
    assert calls == ["m1", "m2", "m3", "m1"]


def test_batch_endpoints_drop_redeliveries_too():
    calls = []
    endpoint = CompatBatchEndpoint(SAMPLE_ROUTE, lambda items, d: calls.append(d.message_id),
                                   policy=ConsumerPolicy(deduplicate=100))
    messages = [{"ctxt": {}, "publisher_id": "p", "event_type": SAMPLE_ROUTE.event_type, "payload": [dict(WIRE)],
                 "metadata": {"message_id": m}} for m in ("m1", "m2")]
    endpoint.sample(messages)
    endpoint.sample(messages[1:])
    assert calls == ["m1", "m2"]
    assert endpoint.counters.duplicates + endpoint.counters.redelivered == 1


@pytest.mark.parametrize("bad", [-1, 1.5, "100", True])
def test_a_bad_size_is_refused(bad):
    with pytest.raises(ValueError, match=r"deduplicate|de-duplication"):
        ConsumerPolicy(deduplicate=bad)

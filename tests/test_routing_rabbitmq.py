"""The routing helpers over a real RabbitMQ (the private node of ceilocompat.testing)."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from bus import Recorder, amqp_connection, broker_transport
from ceilocompat import routing
from ceilocompat.routing import SAMPLE_ROUTE, RouteRegistry

needs_broker = pytest.mark.rabbitmq

WAIT = 30


@needs_broker
def test_routed_notification_round_trip_and_nothing_left_unacked(rabbitmq):
    reg = RouteRegistry(routing.BUILTIN_ROUTES)
    route = routing.register_route(f"roundtrip_{uuid.uuid4().hex[:8]}", registry=reg)
    transport = broker_transport(rabbitmq)
    rec = Recorder()
    listener = routing.notification_listener(transport, [route], [rec])
    listener.start()
    try:
        # The listener declared its queue, named by the route.
        assert route.routing_key in rabbitmq.queues()
        payload = [{"counter_name": "cpu", "counter_volume": 1.5, "resource_id": "r-1"}]
        notifier = routing.notifier_for(transport, route, "telemetry.publisher.node-1", retry=3)
        notifier.sample({}, route.event_type, payload)
        publisher_id, event_type, got, metadata = rec.got.get(timeout=WAIT)
        assert (publisher_id, event_type, got) == ("telemetry.publisher.node-1", route.event_type, payload)
        assert metadata["message_id"]
        stats = rabbitmq.wait_until_drained([route.routing_key])
        assert stats[route.routing_key].consumers == 1
    finally:
        listener.stop()
        listener.wait()
        transport.cleanup()
    stats = rabbitmq.queues()[route.routing_key]
    assert (stats.messages, stats.messages_unacknowledged) == (0, 0)


@needs_broker
def test_sample_route_wire_format_on_the_broker(rabbitmq):
    """Check with a plain AMQP client that the notifier publishes what the
    bus facts say: exchange ``ceilometer``, routing key ``metering.sample``,
    an oslo.messaging 2.0 envelope."""
    transport = broker_transport(rabbitmq)
    conn = amqp_connection(rabbitmq)
    probe = f"ceilocompat-probe-{uuid.uuid4().hex[:8]}"
    try:
        ch = conn.channel()
        # Same properties oslo.messaging declares it with (not durable).
        ch.exchange_declare(SAMPLE_ROUTE.exchange, "topic", durable=False, auto_delete=False)
        ch.queue_declare(probe, exclusive=True, auto_delete=True)
        ch.queue_bind(probe, SAMPLE_ROUTE.exchange, SAMPLE_ROUTE.routing_key)
        payload = [{"counter_name": "memory", "counter_volume": 512}]
        routing.notifier_for(transport, SAMPLE_ROUTE, "ceilometer.test", retry=3).sample(
            {}, SAMPLE_ROUTE.event_type, payload)
        deadline = time.monotonic() + WAIT
        msg = None
        while msg is None and time.monotonic() < deadline:
            msg = ch.basic_get(probe, no_ack=True)
            if msg is None:
                time.sleep(0.1)
        assert msg is not None, "nothing arrived on metering.sample in exchange ceilometer"
        assert msg.delivery_info["exchange"] == "ceilometer"
        assert msg.delivery_info["routing_key"] == "metering.sample"
        envelope = json.loads(msg.body)
        assert envelope["oslo.version"] == "2.0"
        inner = json.loads(envelope["oslo.message"])
        assert (inner["event_type"], inner["priority"], inner["publisher_id"]) == (
            "metering", "SAMPLE", "ceilometer.test")
        assert inner["payload"] == payload
    finally:
        conn.close()
        transport.cleanup()

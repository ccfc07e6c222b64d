"""Publishing on a real RabbitMQ: a send the broker refuses is never counted as sent; default queues stay bounded."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from bus import broker_transport, listening, wait_until
from bus import transport as fake_transport
from ceilocompat import CompatEndpoint, Publisher, PublishFailed, Sample, routing
from ceilocompat.queue_policy import default_queue_policy

pytestmark = pytest.mark.rabbitmq


def samples(n):
    return [Sample(counter_name="cpu", counter_type="gauge", counter_unit="%", counter_volume=i, resource_id="r",
                   timestamp="2024-01-01T00:00:00", message_id=f"s-{i}") for i in range(n)]


def private_route(prefix):
    """The sample route on a topic of this test's own, so no other test's queue is touched."""
    return dataclasses.replace(routing.SAMPLE_ROUTE, topic=f"{prefix}_{uuid.uuid4().hex[:8]}")


def test_a_publish_the_broker_refuses_raises_with_what_was_and_was_not_sent(rabbitmq):
    route = private_route("full")
    rabbitmq.set_policy(f"reject-{route.topic}", f"^{route.routing_key}$",
                        {"max-length": 2, "overflow": "reject-publish"})
    transport = broker_transport(rabbitmq)
    try:
        publisher = Publisher(transport, route, "telemetry.publisher.h1", batch_size=10, retry=1, resends=1,
                              resend_interval=0.05)
        with pytest.raises(PublishFailed) as caught:
            publisher.publish(samples(50))  # five messages; the queue takes two
        failed = caught.value
        assert failed.sent == 2
        assert [w["message_id"] for w in failed.unsent] == [f"s-{i}" for i in range(20, 50)]
        assert (publisher.sent, publisher.failed, publisher.resent) == (2, 1, 1)
        assert route.routing_key in str(failed) and "\n" not in str(failed)
        assert rabbitmq.queues()[route.routing_key].messages == 2  # what was counted as sent is what the broker holds
    finally:
        transport.cleanup()
        rabbitmq.clear_policy(f"reject-{route.topic}")


def test_a_broker_that_is_not_there_fails_the_publish_at_once(rabbitmq):
    from oslo_config import cfg

    transport = routing.notification_transport(cfg.ConfigOpts(), "rabbit://guest:guest@127.0.0.1:1/")
    try:
        publisher = Publisher(transport, routing.SAMPLE_ROUTE, "p", retry=0, resends=0)
        with pytest.raises(PublishFailed, match=r"could not publish on metering\.sample"):
            publisher.publish(samples(1))
        assert (publisher.sent, publisher.failed) == (0, 1)
    finally:
        transport.cleanup()


def test_the_same_publish_on_fake_succeeds_and_counts_each_message():
    transport = fake_transport()
    try:
        publisher = Publisher(transport, routing.SAMPLE_ROUTE, "p", batch_size=10)
        assert publisher.publish(samples(25)) == 3
        assert (publisher.sent, publisher.failed) == (3, 0)
    finally:
        transport.cleanup()


def test_the_default_queue_policy_bounds_the_queue_no_pool_reads(rabbitmq):
    route = private_route("pooled")
    policy = default_queue_policy([route], max_length=5, name=f"bound-{route.topic}")
    rabbitmq.set_policy(policy.name, policy.pattern, policy.definition, apply_to=policy.apply_to)
    transport = broker_transport(rabbitmq)
    got = []
    try:
        endpoint = CompatEndpoint(route, lambda items, d: got.extend(items))
        with listening(transport, [endpoint], pool=f"{route.topic}_collector"):
            wait_until(lambda: f"{route.topic}_collector" in rabbitmq.queues(), what="the pool's queue")
            Publisher(transport, route, "p", batch_size=1).publish(samples(40))
            wait_until(lambda: len(got) == 40, what="the pool consumer to get every sample")
        queues = rabbitmq.queues()
        assert queues[f"{route.topic}_collector"].messages == 0
        assert queues[route.routing_key].messages == 5  # the newest five, kept for a late pool-less consumer
    finally:
        transport.cleanup()
        rabbitmq.clear_policy(policy.name)
        routing_queues = [route.routing_key, f"{route.topic}_collector"]
        import kombu

        with kombu.Connection(rabbitmq.url.replace("rabbit://", "amqp://")) as connection:
            for name in routing_queues:
                connection.default_channel.queue_delete(name)

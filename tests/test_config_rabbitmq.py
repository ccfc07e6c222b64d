"""Quorum queues on a real RabbitMQ, asked for in a config file or in the transport URL's query."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest

from bus import amqp_connection, listening, wait_until
from ceilocompat import SAMPLE_ROUTE, CompatEndpoint, notification_transport
from ceilocompat.config import messaging_config

pytestmark = pytest.mark.rabbitmq


def queue_types(rabbitmq):
    rows = json.loads(rabbitmq.ctl("list_queues", "-q", "--formatter", "json", "name", "type") or "[]")
    return {row["name"]: row["type"] for row in rows}


@pytest.mark.parametrize("where", ["config file", "url query", "neither"])
def test_the_pool_queue_is_a_quorum_queue_when_configured(rabbitmq, tmp_path, where):
    # An exchange of its own: quorum queues make oslo.messaging declare the exchange durable, and RabbitMQ
    # then refuses a non-durable declaration of the same exchange (other tests use 'ceilometer').
    run = uuid.uuid4().hex[:8]
    route = dataclasses.replace(SAMPLE_ROUTE, topic=f"quorum_{run}", exchange=f"quorum_{run}")
    files, url = [], rabbitmq.url
    if where == "config file":
        conf_file = tmp_path / "ceilometer.conf"
        conf_file.write_text(f"[DEFAULT]\ntransport_url = {rabbitmq.url}\n"
                             "[oslo_messaging_rabbit]\nrabbit_quorum_queue = true\n")
        files, url = [conf_file], None
    elif where == "url query":
        url = f"{rabbitmq.url}?rabbit_quorum_queue=true"
    transport = notification_transport(messaging_config(files), url, exchange=route.exchange)
    pool = f"{route.topic}_billing"
    try:
        with listening(transport, [CompatEndpoint(route, lambda items, d: None)], pool=pool):
            wait_until(lambda: pool in queue_types(rabbitmq), what="the pool's queue")
            kind = queue_types(rabbitmq)[pool]
    finally:
        transport.cleanup()
        rabbitmq.ctl("delete_queue", pool)
        with amqp_connection(rabbitmq) as connection:
            connection.channel().exchange_delete(route.exchange)
    assert kind == ("classic" if where == "neither" else "quorum")

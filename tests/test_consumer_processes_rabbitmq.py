"""Several consumer processes in one pool on a RabbitMQ cluster share the work, each item handled once."""

from __future__ import annotations

import collections
import dataclasses
import pathlib
import signal
import subprocess
import sys
import uuid

import pytest

from bus import wait_until
from ceilocompat import SAMPLE_ROUTE, Publisher, Sample, notification_transport
from ceilocompat.config import messaging_config
from conftest import subprocess_env

pytestmark = pytest.mark.rabbitmq

EXAMPLE = pathlib.Path(__file__).resolve().parent.parent / "docs" / "examples" / "pooled_consumer.py"
MEMBERS, SAMPLES = 3, 600


def test_consumer_processes_in_one_pool_handle_every_sample_once(rabbitmq_cluster, tmp_path):
    topic = f"shared_{uuid.uuid4().hex[:8]}"
    conf_file = tmp_path / "ceilometer.conf"
    conf_file.write_text(f"[DEFAULT]\ntransport_url = {rabbitmq_cluster.url}\n"
                         "[oslo_messaging_rabbit]\nrabbit_quorum_queue = true\n")
    outs = [tmp_path / f"member{i}.txt" for i in range(MEMBERS)]
    members = [subprocess.Popen([sys.executable, str(EXAMPLE), "--config-file", str(conf_file), "--pool",
                                 f"{topic}_billing", "--topic", topic, "--out", str(out)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=subprocess_env())
               for out in outs]
    transport = notification_transport(messaging_config([conf_file]), None)
    try:
        for member in members:
            assert member.stdout.readline().strip() == "ready", member.stderr.read()
        route = dataclasses.replace(SAMPLE_ROUTE, topic=topic)
        publisher = Publisher(transport, route, "telemetry.publisher.h1", batch_size=5)
        publisher.publish([Sample(counter_name="cpu", counter_type="gauge", counter_unit="%", counter_volume=i,
                                  resource_id="r", timestamp="2026-01-01T00:00:00", message_id=f"{topic}-{i}")
                           for i in range(SAMPLES)])
        assert publisher.sent == SAMPLES // 5

        def handled():
            return collections.Counter(line for out in outs if out.exists() for line in out.read_text().split())

        wait_until(lambda: sum(handled().values()) >= SAMPLES, timeout=60, what="every sample handled")
    finally:
        for member in members:
            member.send_signal(signal.SIGTERM)
        statuses = [member.wait(timeout=60) for member in members]
        transport.cleanup()
    counts = handled()
    assert set(counts) == {f"{topic}-{i}" for i in range(SAMPLES)}
    assert set(counts.values()) == {1}  # nobody handled an item another member had
    shares = [len(out.read_text().split()) for out in outs]
    assert all(share > 0 for share in shares), shares  # the broker spread the work
    assert statuses == [0] * MEMBERS
    queues = rabbitmq_cluster.queues()
    assert queues[f"{topic}_billing"].messages == 0
    for name in (f"{topic}_billing", f"{topic}.sample"):
        rabbitmq_cluster.ctl("delete_queue", name)

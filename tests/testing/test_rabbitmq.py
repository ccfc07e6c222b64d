"""The private RabbitMQ node and its pytest fixture (ceilocompat.testing)."""

from __future__ import annotations

import json
import os
import queue
import shutil
import time
import uuid

import pytest

from bus import Recorder, amqp_connection, broker_transport
from ceilocompat import routing
from ceilocompat.routing import RouteRegistry
from ceilocompat.testing import QueuesNotDrained
from ceilocompat.testing import fixtures as rabbitmq_fixtures
from ceilocompat.testing import rabbitmq as broker_module

needs_broker = pytest.mark.rabbitmq

WAIT = 30


@needs_broker
def test_broker_is_private(rabbitmq):
    assert rabbitmq.url == f"rabbit://guest:guest@127.0.0.1:{rabbitmq.amqp_port}/"
    assert rabbitmq.amqp_port != 5672 and rabbitmq.epmd_port != 4369
    assert rabbitmq.running
    status = json.loads(rabbitmq.ctl("status", "--formatter", "json"))
    # Nothing read from /etc/rabbitmq or written to /var/lib/rabbitmq.
    assert status["config_files"] == [str(rabbitmq.base_dir / "etc" / "rabbitmq.conf")]
    assert status["enabled_plugin_file"].startswith(str(rabbitmq.base_dir))
    assert status["data_directory"].startswith(str(rabbitmq.base_dir))
    assert status["active_plugins"] == []  # no management plugin
    listeners = {(x["protocol"], x["interface"], x["port"]) for x in status["listeners"]}
    assert listeners == {("amqp", "127.0.0.1", rabbitmq.amqp_port),
                         ("clustering", "127.0.0.1", rabbitmq.dist_port)}


@needs_broker
def test_restart_keeps_data_and_serves_again(rabbitmq):
    probe = f"ceilocompat-restart-{uuid.uuid4().hex[:8]}"
    conn = amqp_connection(rabbitmq)
    try:
        ch = conn.channel()
        ch.queue_declare(probe, durable=True, auto_delete=False)
        import amqp

        ch.basic_publish(amqp.Message(b"kept", delivery_mode=2), exchange="", routing_key=probe)
        ch.close()
    finally:
        conn.close()
    old_pids = set(rabbitmq.pids)
    before = rabbitmq.starts

    rabbitmq.restart()

    assert rabbitmq.starts == before + 1 and rabbitmq.running
    # A new VM, not the old one (epmd is the only process kept).
    assert len(set(rabbitmq.pids) & old_pids) == 1
    for pid in old_pids - set(rabbitmq.pids):
        assert not os.path.exists(f"/proc/{pid}") or _is_zombie(pid)
    assert rabbitmq.queues()[probe].messages == 1
    conn = amqp_connection(rabbitmq)
    try:
        ch = conn.channel()
        msg = ch.basic_get(probe, no_ack=True)
        assert msg is not None and msg.body == b"kept"
        ch.queue_delete(probe)
    finally:
        conn.close()
    # And the routing helpers work against the restarted node.
    transport = broker_transport(rabbitmq)
    rec = Recorder()
    route = routing.register_route(f"after_restart_{uuid.uuid4().hex[:8]}", registry=RouteRegistry())
    listener = routing.notification_listener(transport, route, [rec])
    listener.start()
    try:
        routing.notifier_for(transport, route, "p", retry=3).sample({}, route.event_type, [1])
        assert rec.got.get(timeout=WAIT)[2] == [1]
        rabbitmq.wait_until_drained([route.routing_key])
    finally:
        listener.stop()
        listener.wait()
        transport.cleanup()


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@needs_broker
def test_wait_until_drained_reports_what_stays(rabbitmq):
    probe = f"ceilocompat-stays-{uuid.uuid4().hex[:8]}"
    conn = amqp_connection(rabbitmq)
    try:
        import amqp

        ch = conn.channel()
        ch.queue_declare(probe, auto_delete=False)
        ch.basic_publish(amqp.Message(b"x"), exchange="", routing_key=probe)
        # Take it without acknowledging: it must show as unacked.
        ch.basic_qos(0, 1, False)
        taken = queue.Queue()
        ch.basic_consume(probe, callback=taken.put, no_ack=False)
        conn.drain_events(timeout=WAIT)
        assert taken.get_nowait().body == b"x"
        stats = rabbitmq.queues()[probe]
        assert (stats.messages, stats.messages_unacknowledged, stats.messages_ready) == (1, 1, 0)
        with pytest.raises(QueuesNotDrained, match=probe):
            rabbitmq.wait_until_drained([probe], timeout=1)
        ch.close()  # the server requeues the unacked message
        deadline = time.monotonic() + WAIT
        while rabbitmq.queues()[probe].messages_unacknowledged and time.monotonic() < deadline:
            time.sleep(0.1)
        stats = rabbitmq.queues()[probe]
        assert (stats.messages, stats.messages_unacknowledged) == (1, 0)
        conn.channel().queue_delete(probe)
    finally:
        conn.close()
    with pytest.raises(QueuesNotDrained, match="do not exist"):
        rabbitmq.wait_until_drained([probe], timeout=1)


# -- without a broker: finding the server, skip or fail ---------------------


def test_find_rabbitmq_reports_a_missing_server(monkeypatch, tmp_path):
    monkeypatch.setattr(broker_module, "_SEARCH_DIRS", (str(tmp_path / "nowhere"),))
    monkeypatch.delenv("CEILOCOMPAT_RABBITMQ_BIN_DIR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(broker_module.RabbitMQUnavailable, match="rabbitmq-server not found"):
        broker_module.find_rabbitmq()


def test_missing_server_skips_unless_required(monkeypatch):
    monkeypatch.delenv("CEILOCOMPAT_REQUIRE_RABBITMQ", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not found"):
        rabbitmq_fixtures._unavailable("rabbitmq-server not found")
    monkeypatch.setenv("CEILOCOMPAT_REQUIRE_RABBITMQ", "1")
    with pytest.raises(pytest.fail.Exception, match="CEILOCOMPAT_REQUIRE_RABBITMQ=1"):
        rabbitmq_fixtures._unavailable("rabbitmq-server not found")


def test_find_rabbitmq_prefers_an_explicit_directory_and_skips_su_wrappers(monkeypatch, tmp_path):
    wrapper, real, explicit = tmp_path / "wrapper", tmp_path / "real", tmp_path / "explicit"
    for d, body in ((wrapper, "#!/bin/sh\nsu rabbitmq -s /bin/sh -c x\n"), (real, "#!/bin/sh\n"),
                    (explicit, "#!/bin/sh\n")):
        d.mkdir()
        for name in ("rabbitmq-server", "rabbitmqctl"):
            (d / name).write_text(body)
            (d / name).chmod(0o755)
    monkeypatch.setattr(broker_module, "_SEARCH_DIRS", (str(wrapper), str(real)))
    monkeypatch.delenv("CEILOCOMPAT_RABBITMQ_BIN_DIR", raising=False)
    if shutil.which("erl") is None or shutil.which("epmd") is None:
        pytest.skip("needs an Erlang runtime on PATH")
    found = broker_module.find_rabbitmq()
    assert found.server == str(real / "rabbitmq-server")
    assert found.ctl == str(real / "rabbitmqctl")
    monkeypatch.setenv("CEILOCOMPAT_RABBITMQ_BIN_DIR", str(explicit))
    assert broker_module.find_rabbitmq().server == str(explicit / "rabbitmq-server")

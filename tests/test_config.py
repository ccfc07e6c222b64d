"""oslo.config files read the way OpenStack services read theirs, and what a transport takes from them."""

from __future__ import annotations

import pytest
from oslo_config import cfg

from ceilocompat import routing
from ceilocompat.config import ConfigError, configured_transport_url, messaging_config, queue_kind


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_values_come_from_the_files_and_later_files_win(tmp_path):
    first = write(tmp_path, "ceilometer.conf", "[DEFAULT]\ntransport_url = rabbit://a:b@h1:5672/\n"
                  "[oslo_messaging_rabbit]\nrabbit_quorum_queue = true\nrabbit_quorum_delivery_limit = 5\n"
                  "heartbeat_timeout_threshold = 30\n")
    second = write(tmp_path, "override.conf", "[oslo_messaging_rabbit]\nheartbeat_timeout_threshold = 12\n")
    conf = messaging_config([first, second])
    rabbit = conf.oslo_messaging_rabbit
    assert (rabbit.rabbit_quorum_queue, rabbit.rabbit_quorum_delivery_limit, rabbit.heartbeat_timeout_threshold) \
        == (True, 5, 12)
    assert configured_transport_url(conf) == "rabbit://a:b@h1:5672/"
    assert queue_kind(conf) == "quorum"


def test_the_notifications_url_wins_over_the_default_one(tmp_path):
    conf = messaging_config([write(tmp_path, "c.conf", "[DEFAULT]\ntransport_url = rabbit://h1/\n"
                                   "[oslo_messaging_notifications]\ntransport_url = rabbit://h2/\n")])
    assert configured_transport_url(conf) == "rabbit://h2/"


def test_the_quorum_shortcut_overrides_the_files(tmp_path):
    classic = write(tmp_path, "c.conf", "[oslo_messaging_rabbit]\nrabbit_quorum_queue = false\n"
                    "amqp_durable_queues = true\n")
    assert queue_kind(messaging_config([classic])) == "classic durable"
    assert queue_kind(messaging_config([classic], quorum_queues=True)) == "quorum"


@pytest.mark.parametrize("text, message", [
    ("[oslo_messaging_rabbit]\nheartbeat_timeout_threshold = soon\n",
     "[oslo_messaging_rabbit] heartbeat_timeout_threshold: invalid literal for int() with base 10: 'soon'"),
    ("[oslo_messaging_rabbit]\nrabbit_quorum_queue = maybe\n",
     "[oslo_messaging_rabbit] rabbit_quorum_queue: Unexpected boolean value 'maybe'"),
    ("[oslo_messaging_rabbit\nx = 1\n", "cannot be parsed"),
])
def test_a_bad_file_is_one_line_naming_the_file(tmp_path, text, message):
    path = write(tmp_path, "bad.conf", text)
    with pytest.raises(ConfigError) as caught:
        messaging_config([path])
    assert str(caught.value).startswith(f"config file {path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_and_unreadable_files_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        messaging_config([tmp_path / "nope.conf"])
    with pytest.raises(ConfigError, match="not a file"):
        messaging_config([tmp_path])


def test_a_transport_built_from_the_config_takes_its_rabbit_options(tmp_path):
    conf = messaging_config([write(tmp_path, "c.conf", "[oslo_messaging_rabbit]\nrabbit_quorum_queue = true\n"
                                   "kombu_reconnect_delay = 0.5\n")])
    transport = routing.notification_transport(conf, "rabbit://guest:guest@127.0.0.1:1/")
    try:
        rabbit = transport.conf.oslo_messaging_rabbit
        assert rabbit.rabbit_quorum_queue is True
        assert rabbit.kombu_reconnect_delay == 0.5
        assert transport.conf.control_exchange == "ceilometer"
    finally:
        transport.cleanup()


def test_every_group_is_registered_on_a_conf_of_your_own():
    conf = cfg.ConfigOpts()
    transport = routing.notification_transport(conf, "fake://")
    try:
        assert conf.oslo_messaging_rabbit.rabbit_quorum_queue is False
        assert conf.oslo_messaging_notifications.retry == -1
    finally:
        transport.cleanup()

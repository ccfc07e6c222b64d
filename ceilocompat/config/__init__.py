"""Configuration the way every OpenStack service takes it: oslo.config files.

:func:`messaging_config` reads ``--config-file`` style files into a
``ConfigOpts`` holding every option oslo.messaging knows (``[DEFAULT]``,
``[oslo_messaging_notifications]``, ``[oslo_messaging_rabbit]`` with its
quorum-queue, heartbeat and TLS options, ...), checks every value up front,
and is what :func:`ceilocompat.routing.notification_transport` builds a
transport from.

>>> conf = messaging_config(quorum_queues=True)
>>> conf.oslo_messaging_rabbit.rabbit_quorum_queue, queue_kind(conf)
(True, 'quorum')
>>> messaging_config(["/nonexistent/ceilometer.conf"])
Traceback (most recent call last):
...
ceilocompat.config._oslo.ConfigError: config file /nonexistent/ceilometer.conf: no such file
"""

from ceilocompat.config._oslo import (
    ConfigError,
    configured_transport_url,
    messaging_config,
    queue_kind,
    register_messaging_opts,
)

__all__ = ["ConfigError", "configured_transport_url", "messaging_config", "queue_kind", "register_messaging_opts"]

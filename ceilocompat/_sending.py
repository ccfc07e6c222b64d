"""Sending one notification so that a failure is never silent.

oslo.messaging's ``Notifier`` catches every send failure, logs "Could not
send notification" and returns normally, so its caller cannot tell a sent
message from a lost one. :func:`send_notification` sends exactly what a
``messagingv2`` notifier sends (the same message, topic and envelope,
through the same transport) and raises :class:`PublishFailed` when the
transport could not deliver it, e.g. a publish the broker refused after
its node went down.

>>> from oslo_config import cfg
>>> from ceilocompat.routing import SAMPLE_ROUTE, notification_transport
>>> transport = notification_transport(cfg.ConfigOpts(), "fake://")
>>> message_id = send_notification(transport, SAMPLE_ROUTE, "telemetry.publisher.h1", [{"counter_name": "cpu"}])
>>> len(message_id)
36
>>> transport.cleanup()
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from oslo_utils import timeutils

from ceilocompat._messaging import oslo_messaging

__all__ = ["PublishFailed", "send_notification"]


class PublishFailed(RuntimeError):
    """oslo.messaging could not send a message; none of :attr:`unsent` reached the broker.

    :attr:`sent` counts the messages of the same call sent before the failure,
    :attr:`unsent` holds the items (wire dicts) of every message not sent.
    """

    def __init__(self, reason: str, *, sent: int = 0, unsent: Sequence[Any] = ()) -> None:
        super().__init__(reason)
        self.sent = sent
        self.unsent = list(unsent)


def send_notification(transport: Any, route: Any, publisher_id: str, payload: Any, *, retry: int | None = None,
                      ctxt: dict[str, Any] | None = None, message_id: str | None = None) -> str:
    """Send *payload* as one notification on *route*; return its message id.

    *retry* is oslo.messaging's (None: the transport's
    ``[oslo_messaging_notifications] retry``, -1 retries a lost connection
    forever). *message_id* (default: a new one) lets a resend carry the id
    of the send it repeats, so consumers that de-duplicate drop the copy
    when the first had arrived after all. Raises :class:`PublishFailed`
    naming the route and the cause.
    """
    priority = route.priority
    sent_id = message_id or str(uuid.uuid4())
    message = {
        "message_id": sent_id,
        "publisher_id": publisher_id,
        "event_type": route.event_type,
        "priority": priority.upper(),
        "payload": payload,
        "timestamp": str(timeutils.utcnow()),
    }
    if retry is None:
        retry = _configured_retry(transport)
    target = oslo_messaging.Target(topic=f"{route.topic}.{priority}")
    try:
        transport._send_notification(target, ctxt or {}, message, version=2.0, retry=retry)
    except Exception as exc:  # any driver failure means this message is not on the bus
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise PublishFailed(f"could not publish on {route.routing_key}: {type(exc).__name__}: {detail[:300]}") from exc
    return sent_id


def _configured_retry(transport: Any) -> int | None:
    try:
        retry: int | None = transport.conf.oslo_messaging_notifications.retry
    except (AttributeError, LookupError):  # not an oslo.messaging transport, or options not registered
        return None
    return retry

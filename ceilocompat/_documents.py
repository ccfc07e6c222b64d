"""Recognising a document of unknown shape: envelope, notification, container or one item.

What arrives from a capture file, a queue dump or a tap on the bus is one of
several shapes: a whole RabbitMQ body (an oslo.messaging 2.0 envelope), a
capture line ``{"body": envelope}``, an old flattened notification, a
payload container, or a single sample or event dict. :func:`documents`
recognises each and says which model its items are; :func:`decode_document`
decodes them all, samples and events alike.

>>> from ceilocompat import decode_document
>>> [type(m).__name__ for m in decode_document({"event_type": "compute.instance.create.end",
...     "message_id": "m-1", "generated": "2024-01-01T00:00:00", "traits": []})]
['Event']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ceilocompat._envelope import Notification, is_envelope, notification_from_message, unwrap
from ceilocompat._errors import DecodeError
from ceilocompat._payload import decode_batch, payload_items
from ceilocompat.models import Event, Sample

__all__ = ["decode_document", "documents", "model_for_item", "model_for_notification"]

EVENT_TYPES_OF_EVENTS = ("event", "pipeline.event")
EVENT_TYPES_OF_SAMPLES = ("metering", "telemetry.polling", "telemetry.api", "ceilometer.pipeline")


def model_for_notification(note: Notification) -> type:
    """Which model a notification's payload holds, from its event_type.

    >>> model_for_notification(Notification(None, None, "event", "SAMPLE", [], None, {}, {})).__name__
    'Event'
    """
    if note.event_type in EVENT_TYPES_OF_EVENTS:
        return Event
    if note.event_type in EVENT_TYPES_OF_SAMPLES:
        return Sample
    try:  # partitioning hops used pipeline names as event types
        return model_for_item(payload_items(note.payload)[0])
    except DecodeError:
        return Sample


def model_for_item(items: Any) -> type:
    """Which model a list of wire dicts holds: Event when the first has traits and no counter_name.

    >>> model_for_item([{"traits": [], "event_type": "e"}]).__name__, model_for_item([]).__name__
    ('Event', 'Sample')
    """
    first = items[0] if items else {}
    if isinstance(first, Mapping) and "traits" in first and "counter_name" not in first:
        return Event
    return Sample


def documents(obj: Any) -> Iterator[tuple[str, Any, type, Notification | None]]:
    """Yield ``(path, payload, model, notification)`` for a parsed document.

    Recognises an oslo.messaging envelope, an old flattened notification, a
    capture file ``{"body": envelope}``, a payload container and a single
    sample or event dict.
    """
    if isinstance(obj, Mapping) and is_envelope(obj.get("body")):
        obj = obj["body"]
    if is_envelope(obj):
        note = unwrap(obj)
        yield "payload", note.payload, model_for_notification(note), note
    elif isinstance(obj, Mapping) and "payload" in obj and "event_type" in obj:
        note = notification_from_message(obj)
        yield "payload", note.payload, model_for_notification(note), note
    else:
        items, _prefix = payload_items(obj)
        yield "", obj, model_for_item(items), None


def decode_document(obj: Any) -> list[Any]:
    """Every sample and event in a parsed document of unknown shape; DecodeError for the first bad one.

    The tolerant counterpart, item by item, is :func:`documents` with
    :func:`~ceilocompat.decode_batch`.

    >>> decode_document([{"counter_name": "cpu"}])
    Traceback (most recent call last):
    ...
    ceilocompat.DecodeError: [0].counter_type: required field is missing (got nothing)
    """
    out: list[Any] = []
    for path, payload, model, _note in documents(obj):
        batch = decode_batch(payload, model)
        if batch.rejected:
            error = batch.rejected[0].error
            raise error.at(path) if path else error
        out.extend(batch.items)
    return out

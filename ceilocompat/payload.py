"""Payload containers: the shapes in which samples and events travel.

The notifier publisher sends a bare list of dicts, the polling agent
``{"samples": [...]}``, and some paths a single dict. These helpers accept
all three and decode every item, naming the item in any error.

>>> samples_from_payload({"samples": [{"counter_name": "cpu"}]})
Traceback (most recent call last):
ceilocompat.errors.DecodeError: samples[0].counter_type: required field is missing (got nothing)

:func:`decode_batch` decodes what it can and reports the rest, for
consumers that must not lose 49 good samples over one bad one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterator

import attrs

from ceilocompat.envelope import Notification, is_envelope, notification_from_message, unwrap
from ceilocompat.errors import DecodeError
from ceilocompat.models import Event, Sample

SAMPLES_KEY = "samples"


@attrs.frozen
class Rejected:
    """One item that did not decode: where, what it was, and why."""

    index: int | None
    raw: Any = attrs.field(repr=False)
    error: DecodeError


@attrs.frozen
class Batch:
    """What :func:`decode_batch` made of a payload."""

    items: list
    rejected: list[Rejected]


def payload_items(payload: Any) -> tuple[list | tuple, str]:
    """The list of wire dicts in *payload*, and the path prefix of its items.

    >>> payload_items([{"a": 1}])
    ([{'a': 1}], '')
    >>> payload_items({"samples": [{"a": 1}]})
    ([{'a': 1}], 'samples')
    >>> payload_items({"a": 1})
    ([{'a': 1}], '')
    """
    if isinstance(payload, (list, tuple)):
        return payload, ""
    if isinstance(payload, Mapping):
        container = payload.get(SAMPLES_KEY)
        if isinstance(container, (list, tuple)):
            return container, SAMPLES_KEY
        return [payload], ""
    raise DecodeError("payload", payload, "expected a list, {'samples': [...]} or one object")


def _decode_all(payload: Any, model: type) -> list:
    items, prefix = payload_items(payload)
    decode = model.from_wire
    out = []
    for index, item in enumerate(items):
        try:
            out.append(decode(item))
        except DecodeError as exc:
            raise exc.at(f"{prefix}[{index}]") from None
    return out


def samples_from_payload(payload: Any) -> list[Sample]:
    """Decode every sample in *payload*; the first bad one raises DecodeError."""
    return _decode_all(payload, Sample)


def events_from_payload(payload: Any) -> list[Event]:
    """Decode every event in *payload*; the first bad one raises DecodeError."""
    return _decode_all(payload, Event)


def decode_batch(payload: Any, model: Any = Sample) -> Batch:
    """Decode each item of *payload* on its own: good items and rejected ones.

    *model* is a model class or a version view of one (``Sample.at("1.0")``).

    >>> batch = decode_batch([{"counter_name": 1}])
    >>> batch.items, batch.rejected[0].error.path
    ([], '[0].counter_name')
    """
    try:
        items, prefix = payload_items(payload)
    except DecodeError as exc:
        return Batch([], [Rejected(None, payload, exc)])
    decode = model.from_wire
    decoded, rejected = [], []
    for index, item in enumerate(items):
        try:
            decoded.append(decode(item))
        except DecodeError as exc:
            rejected.append(Rejected(index, item, exc.at(f"{prefix}[{index}]")))
    return Batch(decoded, rejected)


# --- recognising a document of unknown shape ---------------------------------

EVENT_TYPES_OF_EVENTS = ("event", "pipeline.event")
EVENT_TYPES_OF_SAMPLES = ("metering", "telemetry.polling", "telemetry.api", "ceilometer.pipeline")


def model_for_notification(note: Notification) -> type:
    """Which model a notification's payload holds, from its event_type.

    >>> from ceilocompat.envelope import Notification
    >>> model_for_notification(Notification(None, None, "event", "SAMPLE", [], None, {}, {})).__name__
    'Event'
    """
    if note.event_type in EVENT_TYPES_OF_EVENTS:
        return Event
    if note.event_type in EVENT_TYPES_OF_SAMPLES:
        return Sample
    try:  # partitioning hops used pipeline names as event types
        return _model_for_item(payload_items(note.payload)[0])
    except DecodeError:
        return Sample


def _model_for_item(items: Any) -> type:
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
        yield "", obj, _model_for_item(items), None

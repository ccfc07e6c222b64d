"""Payload containers: the shapes in which samples and events travel.

The notifier publisher sends a bare list of dicts, the polling agent
``{"samples": [...]}``, and some paths a single dict. These helpers accept
all three and decode every item, naming the item in any error.

>>> from ceilocompat import Sample
>>> samples_from_payload({"samples": [{"counter_name": "cpu"}]})
Traceback (most recent call last):
ceilocompat.DecodeError: samples[0].counter_type: required field is missing (got nothing)

:func:`decode_batch` decodes what it can and reports the rest, for
consumers that must not lose 49 good samples over one bad one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import attrs

from ceilocompat._errors import DecodeError
from ceilocompat.models import Event, Sample, WireModel

_M = TypeVar("_M", bound=WireModel)

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

    items: list[Any]
    rejected: list[Rejected]


def payload_items(payload: Any) -> tuple[list[Any] | tuple[Any, ...], str]:
    """The list of wire dicts in *payload*, and the path prefix of its items.

    >>> payload_items([{"a": 1}])
    ([{'a': 1}], '')
    >>> payload_items({"samples": [{"a": 1}]})
    ([{'a': 1}], 'samples')
    >>> payload_items({"a": 1})
    ([{'a': 1}], '')
    """
    cls = payload.__class__
    if cls is list or cls is tuple or isinstance(payload, (list, tuple)):
        return payload, ""
    if cls is dict or isinstance(payload, Mapping):
        container = payload.get(SAMPLES_KEY)
        if isinstance(container, (list, tuple)):
            return container, SAMPLES_KEY
        return [payload], ""
    raise DecodeError("payload", payload, "expected a list, {'samples': [...]} or one object")


def _decoded_at_once(decode: Callable[[Any], Any], items: Sequence[Any]) -> tuple[list[Any], bool] | None:
    """What a compiled decoder's ``decode_list`` gives for *items* (the decoded items, and whether they shared
    one key sequence), or None: *decode* has none, *items* is not a list, or an item is bad (the caller then
    decodes item by item, to name it)."""
    decode_list = getattr(decode, "decode_list", None)
    if decode_list is None or items.__class__ is not list:
        return None
    try:
        decoded: tuple[list[Any], bool] = decode_list(items)
    except DecodeError:
        return None
    return decoded


def _decode_all(payload: Any, model: type[_M]) -> list[_M]:
    items, prefix = (payload, "") if payload.__class__ is list else payload_items(payload)
    at_once = _decoded_at_once(model.from_wire, items)
    if at_once is not None:
        return at_once[0]
    out: list[_M] = []
    try:  # list.extend keeps what it appended before the decoder raised: their count is the bad item's index
        out.extend(map(model.from_wire, items))
    except DecodeError as exc:
        raise exc.at(f"{prefix}[{len(out)}]") from None
    return out


def samples_from_payload(payload: Any) -> list[Sample]:
    """Decode every sample in *payload*; the first bad one raises DecodeError."""
    return _decode_all(payload, Sample)


def events_from_payload(payload: Any) -> list[Event]:
    """Decode every event in *payload*; the first bad one raises DecodeError."""
    return _decode_all(payload, Event)


def decode_batch(payload: Any, model: Any) -> Batch:
    """Decode each item of *payload* on its own: good items and rejected ones.

    *model* is a model class or a version view of one (``Sample.at("1.0")``).

    >>> from ceilocompat import Sample
    >>> batch = decode_batch([{"counter_name": 1}], Sample)
    >>> batch.items, batch.rejected[0].error.path
    ([], '[0].counter_name')
    """
    items, rejected, _wires, _uniform = decode_each(payload, model.from_wire)
    return Batch(items, rejected)


def decode_each(
    payload: Any, decode: Callable[[Any], Any]
) -> tuple[list[Any], list[Rejected], Sequence[Any], bool | None]:
    """What :func:`decode_batch` finds, with a decoder function, and the wire dict of each decoded item.

    Gives the decoded items, the rejected ones, in order the item of
    *payload* each decoded item was decoded from (the payload's own list
    when every item decoded), and whether the items all had one key
    sequence: True when a compiled decoder (``decode.decode_list``) read
    them all by the first one's, None when not known. Items are decoded in
    order; a message with a bad item is decoded again item by item.

    >>> from ceilocompat import Sample
    >>> good = {"counter_name": "cpu", "counter_type": "gauge", "counter_unit": "%",
    ...         "counter_volume": 1, "resource_id": "r", "timestamp": "t"}
    >>> items, rejected, wires, _uniform = decode_each([good, {}, good], Sample.from_wire)
    >>> len(items), [r.index for r in rejected], wires == [good, good]
    (2, [1], True)
    """
    try:
        items, prefix = payload_items(payload)
    except DecodeError as exc:
        return [], [Rejected(None, payload, exc)], (), None
    at_once = _decoded_at_once(decode, items)
    if at_once is not None:
        return at_once[0], [], items, at_once[1] or None
    decoded: list[Any] = []
    rejected: list[Rejected] = []
    rest = items
    while True:
        try:  # list.extend keeps what it appended before the decoder raised
            decoded.extend(map(decode, rest))
            break
        except DecodeError as exc:
            index = len(decoded) + len(rejected)
            rejected.append(Rejected(index, items[index], exc.at(f"{prefix}[{index}]")))
            rest = items[index + 1 :]
    if not rejected:
        return decoded, rejected, items, None
    bad = {r.index for r in rejected}
    return decoded, rejected, [item for index, item in enumerate(items) if index not in bad], None

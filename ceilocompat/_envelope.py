"""Bytes on the bus: JSON, msgpack, TCP frames and the oslo.messaging envelope.

Ceilometer's notifier publisher sends oslo.messaging 2.0 bodies,
``{"oslo.version": "2.0", "oslo.message": "<JSON text>"}``; the UDP publisher
sends one msgpack dict per datagram (strings as raw before 15.0.0, as str
with ``use_bin_type=True`` since); the TCP publisher (20.0.0) sends frames of
an 8-byte little-endian length followed by msgpack.

>>> body = (b'{"oslo.version": "2.0", '
...         b'"oslo.message": "{\\\\"event_type\\\\": \\\\"metering\\\\", \\\\"payload\\\\": []}"}')
>>> note = unwrap(loads(body)[0])
>>> note.event_type, note.payload
('metering', [])
"""

from __future__ import annotations

import operator
import struct
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import msgpack
import msgspec
from oslo_serialization import jsonutils

from ceilocompat._compiled import compiled_module, pure_python_forced
from ceilocompat._errors import DecodeError

#: Largest body :func:`loads` accepts; larger input is refused, not parsed.
MAX_BODY_BYTES = 64 * 1024 * 1024

ENVELOPE_VERSION_KEY = "oslo.version"
ENVELOPE_MESSAGE_KEY = "oslo.message"
SUPPORTED_ENVELOPE_VERSIONS = ("2.0",)
CONTEXT_PREFIX = "_context_"
#: The keys of a notification's header, each a string or null.
HEADER_KEYS = ("message_id", "publisher_id", "event_type", "priority", "timestamp")

_FRAME_HEADER = struct.Struct("<Q")
_JSON_OPENERS = (b"{", b"[")
_TEXT_OR_NULL = frozenset((str, type(None)))
_read_header = operator.itemgetter(*HEADER_KEYS)
_fast_json = msgspec.json.Decoder().decode

#: Distinct key sequences of messages whose context keys are remembered; beyond this, worked out each time.
MAX_CONTEXT_PLANS = 512
_CONTEXT_PLANS: dict[tuple[Any, ...], tuple[tuple[str, str], ...]] = {}


@attrs.frozen
class Notification:
    """One oslo.messaging notification, unwrapped.

    ``context`` holds the ``_context_*`` keys without their prefix; ``message``
    is the whole inner message dict as received.
    """

    message_id: str | None
    publisher_id: str | None
    event_type: str | None
    priority: str | None
    payload: Any
    timestamp: str | None
    context: dict[str, Any]
    message: dict[str, Any] = attrs.field(repr=False)


def loads(data: bytes | bytearray | memoryview | str, max_bytes: int = MAX_BODY_BYTES) -> list[Any]:
    """Parse bytes from the bus into Python objects, one per document.

    JSON text and a single msgpack document give one object; a stream of TCP
    publisher frames gives one per frame. Raises DecodeError for anything else.
    JSON is parsed by msgspec, to the values the standard library's parser
    gives, and msgpack by msgpack.

    >>> import msgpack
    >>> loads(msgpack.packb({"counter_name": "cpu"}, use_bin_type=True))
    [{'counter_name': 'cpu'}]
    >>> frame = msgpack.packb({"a": 1})
    >>> loads(len(frame).to_bytes(8, "little") + frame)
    [{'a': 1}]
    """
    if data.__class__ is bytes and data[:1] in _JSON_OPENERS and len(data) <= max_bytes:
        try:  # the common case, at msgspec's speed; anything it refuses takes the whole way below
            return [_fast_json(data)]
        except (msgspec.DecodeError, RecursionError):
            pass
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    elif not isinstance(data, bytes):
        if not isinstance(data, (bytearray, memoryview)):
            raise DecodeError("", data, "expected bytes or text")
        data = bytes(data)
    if len(data) > max_bytes:
        raise DecodeError("", f"<{len(data)} bytes>", f"body larger than the {max_bytes}-byte limit")
    opener = data[:1]
    if not opener or opener.isspace():
        if not data.strip():
            raise DecodeError("", data, "empty body")
        opener = data.lstrip()[:1]
    first_error: DecodeError | None = None
    if opener in _JSON_OPENERS:
        try:
            return [_json(data)]
        except DecodeError as exc:
            first_error = exc
    frames = _split_frames(data)
    if frames is not None:
        return [_msgpack(frame, f"frame[{i}]") for i, frame in enumerate(frames)]
    try:
        return [_msgpack(data, "")]
    except DecodeError as exc:
        error = first_error or _json_but_not_a_payload(data) or exc
    raise error from None


def _json_but_not_a_payload(data: bytes) -> DecodeError | None:
    """The error for JSON that is neither an object nor a list (``null``, ``"hello"``, ``123``), else None.

    >>> loads(b'"hello"')
    Traceback (most recent call last):
    ...
    ceilocompat.DecodeError: JSON, but not a payload: expected an object or a list of samples or events (got 'hello')
    """
    try:
        value = _json(data)
    except DecodeError:
        return None
    return DecodeError("", value, "JSON, but not a payload: expected an object or a list of samples or events")


def _json(data: bytes | str) -> Any:
    """Parse JSON text to exactly what the standard library's parser gives, through msgspec where it can.

    For every text msgspec accepts, it gives the values, types and key order
    ``json.loads`` gives (ints of any length exact, a duplicate key's last
    value), about three times as fast. What it refuses goes to the standard
    parser, through oslo.serialization: NaN, Infinity and numbers beyond the
    float range, which that parser accepts, and malformed text, lone
    surrogates and nesting past the recursion limit, for its error.

    >>> _json(b'{"counter_volume": "2", "big": 18446744073709551616, "nan": NaN}')
    {'counter_volume': '2', 'big': 18446744073709551616, 'nan': nan}
    """
    try:
        return _fast_json(data)
    except (msgspec.DecodeError, UnicodeEncodeError, RecursionError):
        return _standard_json(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)


def _standard_json(data: bytes) -> Any:
    """The standard library's parse, through oslo.serialization, with one-line errors."""
    try:
        return jsonutils.loads(data)
    except RecursionError:
        raise DecodeError("", f"<{len(data)} bytes>", "JSON nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecodeError("", data[:60], f"not valid JSON ({exc})") from None


def _msgpack(data: bytes, path: str) -> Any:
    try:
        return msgpack.unpackb(data, raw=False)
    except RecursionError:
        raise DecodeError(path, f"<{len(data)} bytes>", "msgpack nested too deeply") from None
    except (ValueError, TypeError, msgpack.UnpackException, UnicodeDecodeError) as exc:
        raise DecodeError(path, data[:60], f"neither JSON nor msgpack ({type(exc).__name__}: {exc})") from None


def _split_frames(data: bytes) -> list[bytes] | None:
    """Split a TCP publisher stream, or None when *data* is not one."""
    frames = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < _FRAME_HEADER.size + 1:
            return None
        (length,) = _FRAME_HEADER.unpack_from(data, offset)
        start = offset + _FRAME_HEADER.size
        if length == 0 or start + length > len(data):
            return None
        frames.append(data[start : start + length])
        offset = start + length
    return frames or None


def frame(document: Any) -> bytes:
    """Encode one document as the TCP publisher does.

    >>> loads(frame({"a": 1}) + frame({"b": 2}))
    [{'a': 1}, {'b': 2}]
    """
    packed: bytes = msgpack.packb(document, use_bin_type=True)
    return _FRAME_HEADER.pack(len(packed)) + packed


def is_envelope(body: Any) -> bool:
    """True for an oslo.messaging versioned body (``oslo.version`` key)."""
    return isinstance(body, Mapping) and ENVELOPE_VERSION_KEY in body


def unwrap(body: Any) -> Notification:
    """Turn a RabbitMQ body into a :class:`Notification`.

    Takes a 2.0 envelope or an old flattened message (``_context_*`` keys
    beside ``payload``), as a dict or as JSON text.
    """
    if body.__class__ is bytes or isinstance(body, str):
        body = _json(body)
    elif isinstance(body, (bytes, bytearray)):
        body = _json(bytes(body))
    if body.__class__ is not dict and not isinstance(body, Mapping):
        raise DecodeError("", body, "a message body must be an object")
    if ENVELOPE_VERSION_KEY not in body:
        return notification_from_message(body)
    version = body[ENVELOPE_VERSION_KEY]
    if version not in SUPPORTED_ENVELOPE_VERSIONS:
        raise DecodeError(ENVELOPE_VERSION_KEY, version, "unsupported oslo.messaging envelope version")
    inner = body.get(ENVELOPE_MESSAGE_KEY)
    if not isinstance(inner, str):
        raise DecodeError(ENVELOPE_MESSAGE_KEY, inner, "the envelope must carry the message as JSON text")
    try:
        message = _json(inner)
    except DecodeError as exc:
        raise exc.at(ENVELOPE_MESSAGE_KEY) from None
    if message.__class__ is not dict:  # JSON objects parse to dicts
        raise DecodeError(ENVELOPE_MESSAGE_KEY, message, "the message must be an object")
    return _notification(message)


def notification_from_message(message: Mapping[str, Any]) -> Notification:
    """A :class:`Notification` from an already parsed message dict (copied, not kept)."""
    return _notification(dict(message))


def _notification(message: dict[str, Any]) -> Notification:
    """A :class:`Notification` that keeps *message*, a dict nothing else holds.

    A message without context keys is built by the compiled decoder where
    there is one (see :func:`_compiled_notification`), any other by
    :func:`_python_notification`, the reference.
    """
    plan = _context_plan_of(message)
    if not plan and _COMPILED_NOTIFICATION is not None and "context" not in message:
        return _COMPILED_NOTIFICATION(message)
    return _python_notification(message, plan)


def _python_notification(message: dict[str, Any], plan: tuple[tuple[str, str], ...] | None = None) -> Notification:
    """:func:`_notification` in Python: the reference, and the compiled decoder's fallback."""
    if "payload" not in message:
        raise DecodeError("payload", None, "a notification must have a payload")
    try:
        header = _read_header(message)
    except KeyError:  # a missing header key reads as null
        header = tuple(map(message.get, HEADER_KEYS))
    if not set(map(type, header)) <= _TEXT_OR_NULL:
        _check_header(message)
    if plan is None:
        plan = _context_plan_of(message)
    context = {name: message[key] for key, name in plan} if plan else {}
    rpc_context = message.get("context")
    if rpc_context is not None and isinstance(rpc_context, Mapping):  # oslo.messaging RPC-style context
        context = {**rpc_context, **context}
    message_id, publisher_id, event_type, priority, timestamp = header
    return Notification(message_id, publisher_id, event_type, priority, message["payload"], timestamp, context, message)


def _compiled_notification(module: Any) -> Callable[[dict[str, Any]], Notification] | None:
    """:func:`_python_notification` for a message without context keys, run by *module*'s compiled ``Decoder``.

    The plan reads the five header keys (text or null; null when absent)
    and the payload (a list or a dict), and fills the slots, with ``{}`` as
    the context and the message itself; a message off that plan (a header
    value of another type, no payload, a payload of another kind) goes,
    whole, to :func:`_python_notification`. None where *module* is None
    (not built, or ``CEILOCOMPAT_PURE_PYTHON=1``).
    """
    if module is None:
        return None
    slots = {name: Notification.__dict__[name] for name in attrs.fields_dict(Notification)}
    header = tuple((key, slots[key], (str, type(None)), (), module.CONSTANT, None, None) for key in HEADER_KEYS)
    payload = ("payload", slots["payload"], (list, dict), (), module.FALL_BACK, None, None)
    tail = ((slots["context"], module.FACTORY, dict), (slots["message"], module.RECEIVED, None))
    decoder: Callable[[dict[str, Any]], Notification] = module.Decoder(
        Notification, (*header, payload), tail, _python_notification, None
    )
    return decoder


_COMPILED_NOTIFICATION = _compiled_notification(None if pure_python_forced() else compiled_module("_decoder_accel"))


def _check_header(message: dict[str, Any]) -> None:
    """Raise DecodeError for the first header value that is neither text nor null."""
    for key in HEADER_KEYS:
        value = message.get(key)
        if value is not None and not isinstance(value, str):
            raise DecodeError(key, value, "must be a string or null")


def _context_plan_of(message: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The context plan of *message*'s key sequence: remembered, or worked out (see :func:`_context_plan`)."""
    keys = tuple(message)
    plan = _CONTEXT_PLANS.get(keys)
    return _context_plan(keys) if plan is None else plan


def _context_plan(keys: tuple[Any, ...]) -> tuple[tuple[str, str], ...]:
    """The ``_context_*`` keys among *keys*, each with its name in the context; remembered per key sequence.

    >>> _context_plan(("payload", "_context_user", 1))
    (('_context_user', 'user'),)
    """
    plan = tuple(
        (key, key[len(CONTEXT_PREFIX) :]) for key in keys if isinstance(key, str) and key.startswith(CONTEXT_PREFIX)
    )
    if len(_CONTEXT_PLANS) < MAX_CONTEXT_PLANS:
        _CONTEXT_PLANS[keys] = plan
    return plan


def wrap(message: Mapping[str, Any]) -> dict[str, str]:
    """Build a 2.0 envelope body around a message dict (the inverse of unwrap)."""
    return {ENVELOPE_VERSION_KEY: "2.0", ENVELOPE_MESSAGE_KEY: jsonutils.dumps(message)}

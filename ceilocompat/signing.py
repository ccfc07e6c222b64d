"""Message signatures, byte for byte as Ceilometer computes them.

Ceilometer signs a message with HMAC-SHA256 over every ``(name, value)``
pair in sorted key order, nested dicts flattened to ``parent:child`` names and
``message_signature`` itself left out. Lists are rendered with ``str()``
after every text inside them became bytes (``['a']`` renders ``[b'a']``), as
Ceilometer does on Python 3 since 8.0.0. Python 2 producers (every release
up to Train) and Ceilometer before 8.0.0 rendered lists as ``['a']`` and
top-level floats with 12 significant digits: ``legacy=True`` verifies those.

The signature always covers the dict as received, unknown keys included.

>>> msg = {"counter_name": "cpu", "counter_volume": 1.0, "tags": ["a"]}
>>> sig = compute_signature(msg, "secret")
>>> verify_signature({**msg, "message_signature": sig}, "secret")
True
>>> verify_signature({**msg, "message_signature": sig, "counter_volume": 2.0}, "secret")
False
>>> compute_signature(msg, "")   # an empty secret means "no signing"
''
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any, Callable

from ceilocompat.errors import DecodeError

SIGNATURE_KEY = "message_signature"

#: Ceilometer's default ``[publisher] telemetry_secret``.
DEFAULT_SECRET = "change this for valid signing"


def compute_signature(message: Mapping, secret: str | bytes) -> str:
    """Return Ceilometer's signature of *message* under *secret* (hex text).

    Raises :class:`~ceilocompat.DecodeError` for a message that cannot be
    rendered the way Ceilometer renders it (keys of mixed types, text that
    is not valid Unicode, lists nested deeper than Python can print).
    """
    return _signature(message, secret, _render_list, str)


def verify_signature(message: Mapping, secret: str | bytes, legacy: bool = False) -> bool:
    """Check *message*'s ``message_signature`` against its content.

    With an empty secret every message passes, as in Ceilometer. A missing,
    non-text or wrong signature gives False; the comparison takes constant
    time. ``legacy=True`` also accepts the Python 2 era rendering.

    >>> verify_signature({"a": 1, "message_signature": "forged"}, "secret")
    False
    """
    if not secret:
        return True
    if not isinstance(message, Mapping):
        raise DecodeError("", message, "only an object (mapping) can carry a signature")
    received = message.get(SIGNATURE_KEY, "")
    if isinstance(received, str):
        try:
            received = received.encode("ascii")
        except UnicodeEncodeError:
            return False
    elif not isinstance(received, bytes):
        return False
    expected = _signature(message, secret, _render_list, str).encode("ascii")
    if hmac.compare_digest(expected, received):
        return True
    if legacy:
        expected = _signature(message, secret, _render_list_legacy, _render_scalar_legacy)
        return hmac.compare_digest(expected.encode("ascii"), received)
    return False


def compute_legacy_signature(message: Mapping, secret: str | bytes) -> str:
    """The signature a Python 2 era producer (Ceilometer < 8.0.0) computed.

    Lists render as Python 2 printed them (``['a']``), top-level floats with
    12 significant digits. Dicts inside lists render in sorted key order,
    which Python 2 did not guarantee.
    """
    return _signature(message, secret, _render_list_legacy, _render_scalar_legacy)


def _signature(
    message: Mapping,
    secret: str | bytes,
    render_list: Callable[[Any], str],
    render_scalar: Callable[[Any], str],
) -> str:
    if not secret:
        return ""
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not isinstance(message, Mapping):
        raise DecodeError("", message, "only an object (mapping) can be signed")
    try:
        text = "".join(_signed_parts(message, render_list, render_scalar))
        data = text.encode("utf-8")
    except DecodeError:
        raise
    except UnicodeEncodeError as exc:
        raise DecodeError("", exc.object[exc.start : exc.end], "text is not valid Unicode, cannot be signed") from None
    except RecursionError:
        raise DecodeError("", message, "a list is nested too deeply to be signed") from None
    except ValueError as exc:  # e.g. an integer too long to print
        raise DecodeError("", message, f"a value cannot be rendered for signing ({exc})") from None
    return hmac.digest(secret, data, "sha256").hex()


def _sorted_keys(mapping: Mapping, prefix: str) -> list:
    try:
        return sorted(mapping)
    except TypeError:
        raise DecodeError(prefix.rstrip(":"), list(mapping)[:4], "keys of mixed types cannot be ordered") from None


def _signed_parts(
    message: Mapping, render_list: Callable[[Any], str], render_scalar: Callable[[Any], str]
) -> list[str]:
    """Names and rendered values in Ceilometer's order, without recursion."""
    parts: list[str] = []
    append = parts.append
    keys = _sorted_keys(message, "")
    if SIGNATURE_KEY in message and not isinstance(message[SIGNATURE_KEY], dict):
        keys.remove(SIGNATURE_KEY)  # only a leaf can carry exactly this name
    stack = [("", message, iter(keys))]
    while stack:
        prefix, mapping, keys_left = stack[-1]
        for key in keys_left:
            value = mapping[key]
            cls = value.__class__
            if cls is str:
                append(f"{prefix}{key}")
                append(value)
            elif cls is dict or isinstance(value, dict):
                name = f"{prefix}{key}"
                stack.append((name + ":", value, iter(_sorted_keys(value, name))))
                break
            elif cls is list or cls is tuple or isinstance(value, (list, tuple)):
                append(f"{prefix}{key}")
                append(render_list(value))
            else:
                append(f"{prefix}{key}")
                append(render_scalar(value))
        else:
            stack.pop()
    return parts


def _as_ceilometer_list(items: Any) -> list:
    """Ceilometer's ``decode_unicode`` of a list: text to bytes, bytes to text."""
    out = []
    append = out.append
    for item in items:
        cls = item.__class__
        if cls is str:
            append(item.encode("utf-8"))
        elif cls is int or cls is float or item is None or cls is bool:
            append(item)
        else:
            append(_as_ceilometer_list_item(item))
    return out


def _as_ceilometer_list_item(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            _as_ceilometer_list_item(k): _as_ceilometer_list_item(v)
            for k, v in sorted(value.items(), key=_first)
        }
    if isinstance(value, (list, tuple)):
        return _as_ceilometer_list(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value


def _first(item: tuple) -> Any:
    return item[0]


def _render_list(value: Any) -> str:
    try:
        return str(_as_ceilometer_list(value))
    except TypeError:
        raise DecodeError("", value, "a dict inside a list has keys of mixed types") from None
    except UnicodeDecodeError:
        raise DecodeError("", value, "bytes inside a list are not UTF-8") from None


def _render_scalar_legacy(value: Any) -> str:
    if isinstance(value, float):
        return _python2_float_str(value)
    return str(value)


def _python2_float_str(value: float) -> str:
    """Python 2's ``str(float)``: 12 significant digits, ``.0`` kept."""
    text = format(value, ".12g")
    if text.lstrip("-").isdigit():
        text += ".0"
    return text


def _render_list_legacy(value: Any) -> str:
    """Python 2's ``str()`` of a list whose texts were UTF-8 byte strings."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_render_list_legacy(item) for item in value) + "]"
    if isinstance(value, dict):
        try:
            items = sorted(value.items(), key=_first)
        except TypeError:
            raise DecodeError("", value, "a dict inside a list has keys of mixed types") from None
        return "{" + ", ".join(f"{_render_list_legacy(k)}: {_render_list_legacy(v)}" for k, v in items) + "}"
    if isinstance(value, str):
        return repr(value.encode("utf-8"))[1:]
    if isinstance(value, bytes):
        return repr(value)[1:]
    return repr(value)

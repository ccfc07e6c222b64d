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

Two implementations sign alike: the pure-Python one below is the reference;
a compiled one (``ceilocompat._signing_accel``, C and OpenSSL's SHA-256),
built where a C compiler was found at install, renders plain dicts, lists,
texts, numbers, booleans and None itself and leaves every other message to
the reference. :data:`IMPLEMENTATION` says which one the public functions
use; ``CEILOCOMPAT_PURE_PYTHON=1`` at import chooses the reference.

>>> IMPLEMENTATION in ("compiled", "python")
True

How the reference stays fast: messages from one producer repeat their shape, so the
rendering of a shape is planned once and kept, within bounds. A dict level's
plan is a ``%`` template with its sorted names baked in, filled from one
``itemgetter`` call, and serves only dicts with the same names and the same
exact value classes. A list of rows (event traits, ``[name, dtype, value]``)
gets a template with every column but the last baked in, found by the baked
values and the exact class of every item. Whatever no template renders
exactly goes through the plain renderer, which follows Ceilometer's code
step by step.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterator, Mapping
from itertools import chain
from operator import itemgetter
from typing import Any, Protocol

from ceilocompat._compiled import compiled_module, pure_python_forced
from ceilocompat._errors import DecodeError

SIGNATURE_KEY = "message_signature"

#: Ceilometer's default ``[publisher] telemetry_secret``.
DEFAULT_SECRET = "change this for valid signing"  # noqa: S105  Ceilometer's published default, not a secret

NoneType = type(None)

#: A message: any mapping; keys of mixed types, which cannot be sorted, are refused with DecodeError.
_Message = Mapping[Any, Any]


def compute_signature(message: _Message, secret: str | bytes) -> str:
    """Return Ceilometer's signature of *message* under *secret* (hex text).

    Raises :class:`~ceilocompat.DecodeError` for a message that cannot be
    rendered the way Ceilometer renders it (keys of mixed types, text that
    is not valid Unicode, lists nested deeper than Python can print).
    """
    return _ACTIVE.compute_signature(message, secret)


def verify_signature(message: _Message, secret: str | bytes, legacy: bool = False) -> bool:
    """Check *message*'s ``message_signature`` against its content.

    With an empty secret every message passes, as in Ceilometer. A missing,
    non-text or wrong signature gives False; the comparison takes constant
    time. ``legacy=True`` also accepts the Python 2 era rendering.

    >>> verify_signature({"a": 1, "message_signature": "forged"}, "secret")
    False
    """
    return _ACTIVE.verify_signature(message, secret, legacy)


def compute_legacy_signature(message: _Message, secret: str | bytes) -> str:
    """The signature a Python 2 era producer (Ceilometer < 8.0.0) computed.

    Lists render as Python 2 printed them (``['a']``), top-level floats with
    12 significant digits. Dicts inside lists render in sorted key order,
    which Python 2 did not guarantee.
    """
    return _ACTIVE.compute_legacy_signature(message, secret)


class _Accelerator(Protocol):
    """What the compiled module (``ceilocompat._signing_accel``) offers: None defers to the reference."""

    def signature(self, message: _Message, secret: str | bytes, legacy: bool, /) -> str | None: ...

    def verify(self, message: _Message, secret: str | bytes, legacy: bool, /) -> bool | None: ...


class Implementation:
    """One implementation of the three signing functions, named.

    ``python`` is the reference below; ``compiled`` is the C accelerator
    (``ceilocompat._signing_accel``), which signs what it renders natively
    (plain dicts, lists, texts, numbers, booleans and None) and hands every
    other message to the reference, so both give the same digests and raise
    the same errors.

    >>> PYTHON.name, PYTHON.compute_signature({"a": 1}, "s") == compute_signature({"a": 1}, "s")
    ('python', True)
    """

    def __init__(self, name: str, accel: _Accelerator | None = None) -> None:
        self.name = name
        sign = accel.signature if accel is not None else None
        check = accel.verify if accel is not None else None
        self.compute_signature = _signer(sign, _CURRENT)
        self.compute_legacy_signature = _signer(sign, _LEGACY)

        def verify_signature(message: _Message, secret: str | bytes, legacy: bool = False) -> bool:
            if check is not None:
                verdict = check(message, secret, legacy)
                if verdict is not None:
                    return verdict
            return _verify(message, secret, legacy)

        self.verify_signature = verify_signature

    def __repr__(self) -> str:
        return f"<signing implementation {self.name!r}>"


def _signer(
    sign: Callable[[_Message, str | bytes, bool], str | None] | None, rendering: _Rendering
) -> Callable[[_Message, str | bytes], str]:
    """A signing function: *sign* (compiled) where it renders, else the reference."""
    legacy = rendering is _LEGACY

    def compute_signature(message: _Message, secret: str | bytes) -> str:
        if sign is not None:
            signature = sign(message, secret, legacy)
            if signature is not None:
                return signature
        return _signature(message, secret, rendering)

    return compute_signature


def _verify(message: _Message, secret: str | bytes, legacy: bool) -> bool:
    if not secret:
        return True
    if message.__class__ is not dict and not isinstance(message, Mapping):
        raise DecodeError("", message, "only an object (mapping) can carry a signature")
    received = message.get(SIGNATURE_KEY, "")
    if received.__class__ is str:
        try:
            received = received.encode("ascii")
        except UnicodeEncodeError:
            return False
    elif not isinstance(received, bytes):
        return False
    if hmac.compare_digest(_signature(message, secret, _CURRENT).encode("ascii"), received):
        return True
    if legacy:
        return hmac.compare_digest(_signature(message, secret, _LEGACY).encode("ascii"), received)
    return False


def compiled() -> Implementation | None:
    """The compiled implementation, or None where it was not built.

    Available even when ``CEILOCOMPAT_PURE_PYTHON=1`` chose the reference,
    so that tests can compare both in one run.
    """
    module = compiled_module("_signing_accel")
    return None if module is None else Implementation("compiled", module)


class _Rendering:
    """One way of turning a message into the text that is signed.

    :param render_list: the exact text of a list or tuple value.
    :param render_scalar: the exact text of any other leaf value.
    :param plain_scalars: classes whose ``str()`` is what *render_scalar* gives.
    :param text_slot: ``%`` slot that renders a text item of a list when the
        text is ASCII (``"b%r"``), or None to render every list exactly.
    :param decode_skipped: what is done to a list that is left out of the
        signature (a ``message_signature`` list): Ceilometer decodes it all
        the same, which fails where decoding fails.
    """

    def __init__(
        self,
        render_list: Callable[[Any], str],
        render_scalar: Callable[[Any], str],
        plain_scalars: frozenset[type],
        text_slot: str | None,
        decode_skipped: Callable[[Any], Any] | None = None,
    ) -> None:
        self.render_list = render_list
        self.decode_skipped = decode_skipped
        self.render_scalar = render_scalar
        self.plain_scalars = plain_scalars
        self.list_slots = {str: text_slot, int: "%r", float: "%r", bool: "%r", NoneType: "%r"} if text_slot else {}
        self.top_plans: list[_Plan] = []
        self.list_templates = _BoundedCache()


class _BoundedCache(dict[tuple[Any, ...], str]):
    """A dict that forgets everything when it reaches its limit."""

    limit = 1024

    def remember(self, key: tuple[Any, ...], value: str) -> None:
        if len(self) >= self.limit:
            self.clear()
        self[key] = value


#: Levels and lists with more items, or longer templates, are not kept for reuse.
_MAX_PLANNED_ITEMS = 256
_MAX_TEMPLATE_CHARS = 16384
#: Dicts nested deeper than this are rendered without plans (and without recursion).
_MAX_PLANNED_DEPTH = 32

_MAC_CACHE_LIMIT = 16


class _Mac(Protocol):
    """A keyed HMAC: :class:`hmac.HMAC`, or the OpenSSL object behind it."""

    def copy(self) -> _Mac: ...

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


_keyed_macs: dict[bytes, _Mac] = {}


def _signature(message: _Message, secret: str | bytes, rendering: _Rendering) -> str:
    if not secret:
        return ""
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if message.__class__ is not dict and not isinstance(message, Mapping):
        raise DecodeError("", message, "only an object (mapping) can be signed")
    try:
        data = _render_mapping(message, "", rendering, rendering.top_plans).encode("utf-8")
    except DecodeError:
        raise
    except UnicodeEncodeError as exc:
        raise DecodeError("", exc.object[exc.start : exc.end], "text is not valid Unicode, cannot be signed") from None
    except RecursionError:
        raise DecodeError("", message, "a value is nested too deeply to be signed") from None
    except ValueError as exc:  # e.g. an integer too long to print
        raise DecodeError("", message, f"a value cannot be rendered for signing ({exc})") from None
    mac = _keyed_macs.get(secret)
    if mac is None:
        mac = _keyed_mac(secret)
    mac = mac.copy()
    mac.update(data)
    return mac.hexdigest()


def _keyed_mac(secret: bytes) -> _Mac:
    """An HMAC-SHA256 keyed with *secret*, kept to be copied for each message.

    Copying skips the key set-up; where OpenSSL backs :mod:`hmac`, its own
    object (``_hmac``) is kept, which copies without a Python wrapper.
    """
    if len(_keyed_macs) >= _MAC_CACHE_LIMIT:
        _keyed_macs.clear()
    wrapper = hmac.new(secret, digestmod=hashlib.sha256)
    mac: _Mac = getattr(wrapper, "_hmac", None) or wrapper
    _keyed_macs[secret] = mac
    return mac


# --- dict levels ---------------------------------------------------------------

_MAPPING, _LIST, _SCALAR, _SKIPPED = "mapping", "list", "scalar", "skipped"

#: How many plans of the message itself each rendering keeps (one per message kind).
_TOP_PLANS = 4


class _Plan:
    """How to render one shape of dict level: sorted names baked into a template.

    ``specials`` lists the values that are not plain scalars, by position in
    sorted order: ``[index, kind, child_prefix, last_used]``, where
    *last_used* holds the plan last used for a nested dict at that place, or
    the template last used for a list.
    """

    __slots__ = ("get_values", "reusable", "size", "specials", "template", "types")

    def __init__(self, mapping: _Message, prefix: str, rendering: _Rendering) -> None:
        keys = _sorted_keys(mapping, prefix)
        self.size = len(keys)
        self.get_values = _values_getter(keys)
        values = self.get_values(mapping)
        self.types = tuple(map(type, values))
        pieces: list[str] = []
        specials: list[list[Any]] = []
        for index, (key, value) in enumerate(zip(keys, values, strict=True)):
            # Ceilometer: str() of a top-level name, format() of nested ones
            name = f"{prefix}{key}" if prefix else str(key)
            if not prefix and key == SIGNATURE_KEY and not isinstance(value, dict):
                # fetched so that the shape check covers it, never signed
                if value.__class__ is str or value is None:
                    pieces.append("%.0s")
                else:
                    pieces.append("%s")
                    specials.append([index, _SKIPPED, None, None])
            elif type(value) in rendering.plain_scalars:
                pieces.append(_escape(name) + "%s")
            elif isinstance(value, dict):
                pieces.append("%s")  # the nested level renders its own names
                specials.append([index, _MAPPING, f"{prefix}{key}:", []])
            elif isinstance(value, (list, tuple)):
                pieces.append(_escape(name) + "%s")
                specials.append([index, _LIST, None, [None]])
            else:
                pieces.append(_escape(name) + "%s")
                specials.append([index, _SCALAR, None, None])
        self.template = "".join(pieces)
        self.specials = specials
        # Reuse is checked by size, names and value types: that is exact only for
        # plain dicts (no __missing__) whose names are all exact text.
        self.reusable = (
            mapping.__class__ is dict
            and len(keys) <= _MAX_PLANNED_ITEMS
            and len(self.template) <= _MAX_TEMPLATE_CHARS
            and all(type(key) is str for key in keys)
        )

    def values_of(self, mapping: _Message) -> tuple[Any, ...] | None:
        """*mapping*'s values in this plan's order, or None if it has another shape."""
        if mapping.__class__ is not dict or len(mapping) != self.size:
            return None
        try:
            values = self.get_values(mapping)
        except KeyError:
            return None
        return values if tuple(map(type, values)) == self.types else None


def _render_mapping(mapping: _Message, prefix: str, rendering: _Rendering, plans: list[_Plan], depth: int = 0) -> str:
    """Ceilometer's ``name value`` text of *mapping* and everything below it.

    *prefix* is ``""`` for the message itself and ``"parent:"`` below it;
    *plans* are the plans last used at this place, tried first.
    """
    if depth > _MAX_PLANNED_DEPTH:
        return _render_mapping_iteratively(mapping, prefix, rendering)
    for plan in plans:
        values = plan.values_of(mapping)
        if values is not None:
            break
    else:
        plan = _Plan(mapping, prefix, rendering)
        values = plan.get_values(mapping)
        if plan.reusable:
            plans.insert(0, plan)
            del plans[_TOP_PLANS if not prefix else 1 :]
    specials = plan.specials
    if specials:
        filled = list(values)
        for index, kind, child_prefix, last_used in specials:
            value = filled[index]
            if kind is _MAPPING:
                filled[index] = _render_mapping(value, child_prefix, rendering, last_used, depth + 1) if value else ""
            elif kind is _LIST:
                filled[index] = _render_list(value, rendering, last_used)
            elif kind is _SCALAR:
                filled[index] = rendering.render_scalar(value)
            else:
                if rendering.decode_skipped is not None and isinstance(value, (list, tuple)):
                    rendering.decode_skipped(value)
                filled[index] = ""
        values = tuple(filled)
    return plan.template % values


def _render_mapping_iteratively(mapping: _Message, prefix: str, rendering: _Rendering) -> str:
    """The same text for a nested level, without plans and without recursion.

    A dict that contains itself is refused (Ceilometer recurses until
    Python's recursion limit).
    """
    parts: list[str] = []
    append = parts.append
    stack: list[tuple[str, _Message, Iterator[Any]]] = [(prefix, mapping, iter(_sorted_keys(mapping, prefix)))]
    open_levels = {id(mapping)}
    while stack:
        prefix, mapping, keys_left = stack[-1]
        for key in keys_left:
            value = mapping[key]
            if isinstance(value, dict):
                if id(value) in open_levels:
                    raise DecodeError(prefix.rstrip(":"), key, "a dict contains itself, so it cannot be signed")
                child_prefix = f"{prefix}{key}:"
                stack.append((child_prefix, value, iter(_sorted_keys(value, child_prefix))))
                open_levels.add(id(value))
                break
            if isinstance(value, (list, tuple)):
                append(f"{prefix}{key}{_render_list(value, rendering)}")
            else:
                append(f"{prefix}{key}{rendering.render_scalar(value)}")
        else:
            open_levels.discard(id(mapping))
            stack.pop()
    return "".join(parts)


def _sorted_keys(mapping: _Message, prefix: str) -> list[Any]:
    try:
        return sorted(mapping)
    except TypeError:
        raise DecodeError(prefix.rstrip(":"), list(mapping)[:4], "keys of mixed types cannot be ordered") from None


def _values_getter(keys: list[Any]) -> Callable[[_Message], tuple[Any, ...]]:
    if len(keys) >= 2:
        return itemgetter(*keys)
    if keys:
        (only,) = keys
        return lambda mapping: (mapping[only],)
    return lambda mapping: ()


def _escape(text: str) -> str:
    return text.replace("%", "%%")


# --- lists -------------------------------------------------------------------------

_ROWS = frozenset({list, tuple})
_BAKED = frozenset({str, int})
_TEXT_MARK, _OTHER_MARK = "\x00", "\x01"  # never in a repr: control characters are escaped

#: A one-item list: the ``(key, template)`` last used at one place in a message, or None.
_LastUsed = list[tuple[tuple[Any, ...], str] | None]


def _render_list(value: Any, rendering: _Rendering, last_used: _LastUsed | None = None) -> str:
    """``str()`` of Ceilometer's ``decode_unicode(value)``.

    *last_used* is a one-item list holding ``(key, template)`` last used at
    this place in the message, tried before the shared cache.
    """
    if rendering.list_slots and value and len(value) <= _MAX_PLANNED_ITEMS:
        text = _render_list_from_template(value, rendering, last_used)
        if text is not None:
            return text
    return rendering.render_list(value)


def _render_list_from_template(value: Any, rendering: _Rendering, last_used: _LastUsed | None) -> str | None:
    """Render a flat list of scalars or a table of rows, or None if not one.

    A table's rows are lists of one length whose leading columns hold only
    text and integers (event traits: ``[name, dtype, value]``); those columns
    are baked into the template, the last column fills its slots. A template
    is found by the baked values and the exact class of every item, so it
    only serves lists it renders exactly.
    """
    item_types = tuple(map(type, value))
    baked: tuple[tuple[Any, ...], ...] | None
    key: tuple[Any, ...]
    if _ROWS.issuperset(item_types):
        try:
            columns = tuple(zip(*value, strict=True))
        except ValueError:  # rows of different lengths
            return None
        if not columns:
            return None
        baked, slots = columns[:-1], columns[-1]
        key = (baked, item_types, tuple(map(type, chain.from_iterable(value))))
    else:
        baked, slots = None, tuple(value)
        key = (None, item_types)
    last = last_used[0] if last_used is not None else None
    template: str | None
    if last is not None and last[0] == key:
        template = last[1]
    else:
        try:
            template = rendering.list_templates.get(key)
        except TypeError:  # an unhashable item in a leading column: no template
            return None
        if template is None:
            template = _list_template(baked, slots, rendering)
            if template is None:
                return None
            rendering.list_templates.remember(key, template)
        if last_used is not None:
            last_used[0] = (key, template)  # one store: readers see a whole pair
    if not template:
        return None
    text = template % slots
    if text.isascii() and "\\" not in text:  # every text slot was plain ASCII, where b%r is exact
        return text
    return None


class _Mark:
    __slots__ = ("mark",)

    def __init__(self, mark: str) -> None:
        self.mark = mark

    def __repr__(self) -> str:
        return self.mark


def _list_template(
    baked: tuple[tuple[Any, ...], ...] | None, slots: tuple[Any, ...], rendering: _Rendering
) -> str | None:
    """The ``%`` template of one list shape.

    ``""`` means the shape is known to render the plain way (kept, so it is
    not worked out again); None that there is no template worth keeping (a
    slot or a baked item of another class, or a template over the size
    limit). The baked part is rendered by the plain renderer itself, around
    marks that stand for the slots.
    """
    slot_types = list(map(type, slots))
    if not all(cls in rendering.list_slots for cls in slot_types):
        return None
    if baked and not set(map(type, chain.from_iterable(baked))) <= _BAKED:
        return None
    marks = [_Mark(_TEXT_MARK if cls is str else _OTHER_MARK) for cls in slot_types]
    skeleton = marks if baked is None else [[*row, mark] for *row, mark in zip(*baked, marks, strict=True)]
    text = rendering.render_list(skeleton)
    if len(text) > _MAX_TEMPLATE_CHARS:
        return None
    if not text.isascii() or "\\" in text:
        return ""  # the output check could not tell a bad slot from the baked text
    return _escape(text).replace(_TEXT_MARK, rendering.list_slots[str]).replace(_OTHER_MARK, "%r")


# --- the plain renderers, step by step as in Ceilometer -------------------------------


def _as_ceilometer_list(items: Any) -> list[Any]:
    """Ceilometer's ``decode_unicode`` of a list: text to bytes, bytes to text."""
    out: list[Any] = []
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


def _first(item: tuple[Any, Any]) -> Any:
    return item[0]


def _render_list_plain(value: Any, render: Callable[[list[Any]], str] = str) -> str:
    try:
        return render(_as_ceilometer_list(value))
    except TypeError:
        raise DecodeError("", value, "a dict inside a list has keys of mixed types") from None
    except UnicodeDecodeError:
        raise DecodeError("", value, "bytes inside a list are not UTF-8") from None


def _decode_list_plain(value: Any) -> None:
    """Decode a list as Ceilometer does before it leaves it out; raise where it fails."""
    _render_list_plain(value, _nothing)


def _nothing(decoded: list[Any]) -> str:
    return ""


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


#: Python 3 Ceilometer (8.0.0 and later): texts in lists render as bytes.
_CURRENT = _Rendering(_render_list_plain, str, frozenset({str, int, float, bool, NoneType}), "b%r", _decode_list_plain)
#: Python 2 era producers: texts in lists as Python 2 printed them, floats with 12 digits.
_LEGACY = _Rendering(_render_list_legacy, _render_scalar_legacy, frozenset({str, int, bool, NoneType}), None)

#: The pure-Python reference, always available.
PYTHON = Implementation("python")
#: The implementation behind the public functions, chosen at import: the
#: compiled one where it was built, unless ``CEILOCOMPAT_PURE_PYTHON=1``.
_ACTIVE = (None if pure_python_forced() else compiled()) or PYTHON
#: ``"compiled"`` or ``"python"``: which implementation signs and verifies.
IMPLEMENTATION = _ACTIVE.name

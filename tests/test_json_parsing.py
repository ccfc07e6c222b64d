"""JSON parsed through msgspec gives exactly what the standard parser gives, or the same error.

The reference is oslo.serialization's ``jsonutils.loads`` (the standard
library's parser) with the errors ceilocompat always gave for it,
``_envelope._standard_json``. Values are compared with their types, float
signs and NaN included, and dicts with their key order.
"""

from __future__ import annotations

import json
import math

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oslo_serialization import jsonutils

import ceilocompat as cc
from ceilocompat import _envelope, loads, samples_from_payload, unwrap, wrap
from conftest import CORPUS, corpus_json, corpus_path
from release_corpus import RELEASE_CORPUS


def same(a, b) -> bool:
    """Equal values of the same types all the way down; dict keys in the same order; NaN equals NaN."""
    pending = [(a, b)]
    while pending:
        a, b = pending.pop()
        if type(a) is not type(b):
            return False
        if isinstance(a, (dict, list)):
            if len(a) != len(b):
                return False
            pending.extend(zip(a.items(), b.items(), strict=True) if isinstance(a, dict) else zip(a, b, strict=True))
        elif isinstance(a, tuple):  # a dict's (key, value)
            pending.extend(zip(a, b, strict=True))
        elif isinstance(a, float):
            if not ((math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))):
                return False
        elif a != b:
            return False
    return True


def parse_both(data: bytes | str):
    """``("value", v)`` or ``("error", message)`` from the fast path and from the reference."""
    as_bytes = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    results = []
    for parse, text in ((_envelope._json, data), (_envelope._standard_json, as_bytes)):
        try:
            results.append(("value", parse(text)))
        except cc.DecodeError as exc:
            results.append(("error", str(exc)))
    return results


def assert_parsed_alike(data: bytes | str) -> None:
    (fast_kind, fast), (reference_kind, reference) = parse_both(data)
    assert fast_kind == reference_kind, (fast, reference)
    assert same(fast, reference) if fast_kind == "value" else fast == reference, (fast, reference)


# --- generated documents -------------------------------------------------------------


class Pairs(list):
    """An object's members as written, duplicates allowed."""


class Token(str):
    """A number written as is."""


any_text = st.text(st.characters(exclude_categories=()), max_size=6)  # lone surrogates included
keys = st.sampled_from(["counter_volume", "a", "é", "_context_user", "_context_roles", "context", "event_type"])
keys |= any_text
numbers = (
    st.integers()
    | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats()
    | st.sampled_from(["-0", "-0.0", "1E5", "1e-5", "2.50", "1e400", "-1e400", "1e-400", "0.1e1", "9" * 4300,
                       "9" * 4301, "18446744073709551616", "-9223372036854775809"]).map(Token)
)
scalars = st.none() | st.booleans() | numbers | any_text
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.lists(st.tuples(keys, children), max_size=4).map(Pairs),
    max_leaves=25,
)


def render(value, ascii_only: bool, space: str) -> str:
    """JSON text of *value*: ints, floats and strings as json.dumps writes them, number tokens as given."""
    if isinstance(value, Pairs):
        members = (f"{render(k, ascii_only, space)}:{space}{render(v, ascii_only, space)}" for k, v in value)
        return "{" + f",{space}".join(members) + "}"
    if isinstance(value, list):
        return "[" + f",{space}".join(render(v, ascii_only, space) for v in value) + "]"
    if isinstance(value, Token):
        return str(value)
    return json.dumps(value, ensure_ascii=ascii_only)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.booleans(), st.sampled_from(["", " ", "\n\t "]))
def test_generated_documents_parse_to_the_reference_values(document, ascii_only, space):
    text = f"{space}{render(document, ascii_only, space)}{space}"
    assert_parsed_alike(text.encode("utf-8", "surrogatepass"))
    assert_parsed_alike(text)


json_ish = st.lists(
    st.sampled_from(list('{}[]":,.-+eE0129 \t\n\\u') + ["true", "null", "NaN", "Infinity", "ud800", "\x01", "é",
                                                          "\udc80", "\x00"]),
    max_size=30,
).map("".join)


@settings(max_examples=500)
@given(json_ish)
def test_almost_json_parses_or_fails_as_the_reference_does(text):
    assert_parsed_alike(text.encode("utf-8", "surrogatepass"))
    assert_parsed_alike(text)


@settings(max_examples=300)
@given(st.binary(max_size=60).map(lambda b: b"[" + b + b"]"))
def test_any_bytes_between_brackets_parse_or_fail_as_the_reference_does(data):
    assert_parsed_alike(data)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(documents.filter(lambda d: isinstance(d, (list, Pairs))), st.booleans())
def test_loads_gives_the_reference_document(document, ascii_only):
    data = render(document, ascii_only, " ").encode("utf-8", "surrogatepass")
    try:
        expected = _envelope._standard_json(data)
    except cc.DecodeError:
        with pytest.raises(cc.DecodeError):
            loads(data)
        return
    (parsed,) = loads(data)
    assert same(parsed, expected)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(keys, documents), max_size=4).map(Pairs))
def test_both_envelope_layers_give_the_reference_message(members):
    inner = render(Pairs([("payload", []), *members]), True, "")
    body = json.dumps({"oslo.version": "2.0", "oslo.message": inner}).encode()
    try:
        expected = _envelope._standard_json(inner.encode("utf-8", "surrogatepass"))
        _envelope.notification_from_message(expected)
    except cc.DecodeError as exc:
        with pytest.raises(cc.DecodeError) as info:
            unwrap(body)
        assert info.value.reason == exc.reason
        return
    note = unwrap(body)
    assert same(note.message, expected)
    assert same(note.context, reference_context(expected))
    assert [getattr(note, key) for key in _envelope.HEADER_KEYS] == [expected.get(k) for k in _envelope.HEADER_KEYS]


def reference_context(message: dict) -> dict:
    """The context as ceilocompat always made it: ``_context_*`` keys over an RPC-style ``context`` dict."""
    prefix = _envelope.CONTEXT_PREFIX
    context = {k[len(prefix) :]: v for k, v in message.items() if isinstance(k, str) and k.startswith(prefix)}
    if isinstance(message.get("context"), dict):
        context = {**message["context"], **context}
    return context


# --- the edge cases, one by one ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"counter_volume": "2"}', {"counter_volume": "2"}),
        ('{"counter_volume": 2}', {"counter_volume": 2}),
        ('{"counter_volume": 2.0}', {"counter_volume": 2.0}),
        ("[18446744073709551616, -9223372036854775809]", [2**64, -(2**63) - 1]),
        ("[" + "9" * 4300 + "]", [int("9" * 4300)]),
        ("[NaN, Infinity, -Infinity]", [math.nan, math.inf, -math.inf]),
        ("[1e400, -1e400, 1e-400]", [math.inf, -math.inf, 0.0]),
        ("[-0, -0.0]", [0, -0.0]),
        ('{"a": 1, "b": 2, "a": 3}', {"a": 3, "b": 2}),
        ('{"z": 1, "a": 2, "m": 3}', {"z": 1, "a": 2, "m": 3}),
        ('["\\ud800", "\\udc80x"]', ["\ud800", "\udc80x"]),
        ('["\\ud83d\\ude00", "é"]', ["\U0001f600", "é"]),
        ('["a\\u0000b"]', ["a\x00b"]),
        ("[" * 900 + "]" * 900, json.loads("[" * 900 + "]" * 900)),
    ],
)
def test_edge_values_are_the_reference_values(text, expected):
    assert same(_envelope._json(text.encode()), expected)
    assert same(_envelope._json(text), expected)
    assert_parsed_alike(text.encode())


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[" + b"9" * 4301 + b"]", "not valid JSON (Exceeds the limit (4300 digits)"),
        (b'["\xed\xa0\x80"]', "not valid JSON ('utf-8' codec can't decode"),  # a surrogate written as UTF-8
        (b'["\xff"]', "not valid JSON ('utf-8' codec can't decode"),
        (b'["\xc0\xaf"]', "not valid JSON ('utf-8' codec can't decode"),  # overlong
        (b'\xef\xbb\xbf{"a": 1}', "not valid JSON (Unexpected UTF-8 BOM"),
        (b'["a\x01b"]', "not valid JSON (Invalid control character"),
        (b'{"a": 1} x', "not valid JSON (Extra data"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply"),
    ],
)
def test_refused_text_gives_the_reference_error_on_one_line(data, reason):
    with pytest.raises(cc.DecodeError) as info:
        _envelope._json(data)
    assert info.value.reason.startswith(reason)
    assert "\n" not in str(info.value)
    assert_parsed_alike(data)


def test_a_string_volume_stays_a_string_through_a_whole_body():
    sample = {**corpus_json("sample-pike-string-volume-no-message-id.json"), "big": 2**70}
    body = json.dumps(wrap({"payload": [sample], "event_type": "metering"})).encode()
    (decoded,) = samples_from_payload(unwrap(loads(body)[0]).payload)
    assert same(decoded.received, sample)
    assert same(decoded.to_wire(), sample)  # the volume "2" goes back out as "2", the big int exactly


def test_the_body_limit_holds_on_the_fast_path():
    with pytest.raises(cc.DecodeError, match="limit"):
        loads(b'{"a": "' + b"x" * 200 + b'"}', max_bytes=100)


# --- the corpus ----------------------------------------------------------------------


CORPUS_FILES = sorted(p.name for p in CORPUS.glob("*.json")) if CORPUS.is_dir() else []
RELEASE_FILES = sorted(p.name for p in RELEASE_CORPUS.parent.glob("*.json")) if RELEASE_CORPUS.parent.is_dir() else []


def test_the_corpora_are_found():
    assert CORPUS_FILES, f"no corpus files in {CORPUS}"
    assert RELEASE_FILES, f"no release corpus files in {RELEASE_CORPUS.parent}"


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_files_decode_identically(name):
    data = corpus_path(name).read_bytes()
    (parsed,) = loads(data)
    assert same(parsed, jsonutils.loads(data))
    bodies = [parsed.get("body", parsed)] if isinstance(parsed, dict) else []
    for body in bodies:
        if _envelope.is_envelope(body):
            note = unwrap(json.dumps(body).encode())
            assert same(note.message, jsonutils.loads(body["oslo.message"]))


@pytest.mark.parametrize("name", RELEASE_FILES)
def test_release_corpus_files_decode_identically(name):
    data = (RELEASE_CORPUS.parent / name).read_bytes()
    (parsed,) = loads(data)
    assert same(parsed, jsonutils.loads(data))


# --- msgpack stays with msgpack ------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (msgpack.ExtType(5, b"xx"), msgpack.ExtType(5, b"xx")),
        (msgpack.Timestamp(1, 0), msgpack.Timestamp(1, 0)),
    ],
)
def test_msgpack_extensions_decode_as_msgpack_decodes_them(document, expected):
    packed = msgpack.packb({"a": document}, use_bin_type=True)
    assert loads(packed) == [{"a": expected}]
    assert type(loads(packed)[0]["a"]) is type(expected)


def test_msgpack_maps_with_keys_other_than_text_or_bytes_are_refused_as_before():
    for document in ({1: "a", "b": 2}, {"m": {None: 1}}, {"m": {1.5: 1}}):
        with pytest.raises(cc.DecodeError, match="not allowed for map key"):
            loads(msgpack.packb(document, use_bin_type=True))

"""Garbage of every kind ends in DecodeError or a documented acceptance."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ceilocompat as cc
from ceilocompat import decode_batch, loads, samples_from_payload, unwrap

MINIMAL = {
    "counter_name": "cpu", "counter_type": "gauge", "counter_unit": "%", "counter_volume": 1,
    "resource_id": "r", "timestamp": "2024-06-20T09:32:36",
}
EVENT = {"message_id": "m", "event_type": "e", "generated": "2024-06-20T09:32:36"}
#: Keys of the models besides those of MINIMAL, whose values the tests below vary.
KNOWN_KEYS = {
    "traits", "raw", "message_id", "generated", "event_type", "monotonic_time", "user_name", "resource_metadata"
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)


def deep_list(depth: int):
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


def deep_dict(depth: int):
    value: dict = {}
    for _ in range(depth):
        value = {"k": value}
    return value


@pytest.mark.parametrize("garbage", [None, 1, 1.5, "text", b"bytes", ["list"], ("t",), {1, 2}, object()])
@pytest.mark.parametrize("model", [cc.Sample, cc.Event])
def test_non_mappings_are_decode_errors(model, garbage):
    with pytest.raises(cc.DecodeError) as info:
        model.from_wire(garbage)
    assert "mapping" in info.value.reason


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(sorted(set(MINIMAL) | KNOWN_KEYS)), json_values))
def test_any_json_values_in_known_keys_decode_or_raise_decode_error(overrides):
    for model, base in ((cc.Sample, MINIMAL), (cc.Event, EVENT)):
        try:
            obj = model.from_wire({**base, **overrides})
        except cc.DecodeError:
            continue
        wire = obj.to_wire()
        assert wire == {**base, **overrides}, "a successful decode re-encodes exactly"


@settings(max_examples=200)
@given(json_values)
def test_any_payload_container_is_handled(payload):
    batch = decode_batch(payload, cc.Sample)
    assert all(isinstance(r.error, cc.DecodeError) for r in batch.rejected)
    with contextlib.suppress(cc.DecodeError):
        samples_from_payload(payload)


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_garbage_bytes_are_decode_errors(data):
    with contextlib.suppress(cc.DecodeError):
        loads(data)


@settings(max_examples=200)
@given(json_values)
def test_signing_any_message_is_identical_or_decode_error(value):
    message = {"payload": value, "n": [value]}
    try:
        signature = cc.compute_signature(message, "k")
    except cc.DecodeError:
        return
    assert cc.verify_signature({**message, "message_signature": signature}, "k")


def test_deep_nesting_in_metadata_decodes_without_recursion():
    wire = {**MINIMAL, "resource_metadata": deep_dict(5000), "extra": deep_list(5000)}
    sample = cc.Sample.from_wire(wire)
    assert sample.to_wire() == wire


def test_deeply_nested_dicts_sign_without_recursion_error():
    signature = cc.compute_signature({"a": deep_dict(5000)}, "k")
    assert len(signature) == 64


def test_deeply_nested_lists_cannot_be_signed_and_say_so():
    with pytest.raises(cc.DecodeError, match="nested too deeply"):
        cc.compute_signature({"a": deep_list(5000)}, "k")
    with pytest.raises(cc.DecodeError):
        cc.verify_signature({"a": deep_list(5000), "message_signature": "x"}, "k")


def test_deep_json_and_msgpack_bytes_are_decode_errors():
    with pytest.raises(cc.DecodeError, match=r"nested too deeply|not valid JSON"):
        loads(b"[" * 100_000 + b"]" * 100_000)
    deep = b"\x91" * 5000 + b"\x90"  # fixarray(1) nested 5000 times
    with pytest.raises(cc.DecodeError):
        loads(deep)


def test_hundred_thousand_keys():
    wire = {**MINIMAL, **{f"k{i}": i for i in range(100_000)}}
    sample = cc.Sample.from_wire(wire)
    assert len(sample.unknown_keys()) == 100_000
    assert cc.verify_signature(sample.to_wire(secret="k"), "k")


def test_huge_body_is_refused_before_parsing():
    with pytest.raises(cc.DecodeError, match="limit"):
        loads(b"[" + b"1," * 1000 + b"1]", max_bytes=100)


@pytest.mark.parametrize(
    "message",
    [
        {1: "a", "b": 2},  # keys of mixed types (msgpack allows them)
        {"a": ["\ud800"]},  # a lone surrogate cannot be UTF-8
        {"a": "\udcff"},
        {"a": [{1: "x", "y": 2}]},
        {"a": 10**5000},  # too long for str()
    ],
)
def test_unsignable_messages_raise_decode_error(message):
    with pytest.raises(cc.DecodeError):
        cc.compute_signature(message, "k")


@pytest.mark.parametrize("signature", [None, 5, ["x"], {"a": 1}, "é" * 64, "", "0" * 64])
def test_forged_or_malformed_signatures_are_false(signature):
    assert cc.verify_signature({**MINIMAL, "message_signature": signature}, "k") is False


def test_missing_signature_fails_and_empty_secret_passes():
    assert cc.verify_signature(MINIMAL, "k") is False
    assert cc.verify_signature(MINIMAL, "") is True


@pytest.mark.parametrize(
    "body",
    [
        {"oslo.version": "3.0", "oslo.message": "{}"},
        {"oslo.version": "2.0", "oslo.message": 5},
        {"oslo.version": "2.0", "oslo.message": "{not json"},
        {"oslo.version": "2.0", "oslo.message": "[1, 2]"},
        {"oslo.version": "2.0", "oslo.message": json.dumps({"event_type": "x"})},
        {"oslo.version": "2.0", "oslo.message": json.dumps({"payload": [], "event_type": 5})},
        "not json",
        42,
    ],
)
def test_broken_envelopes_are_decode_errors(body):
    with pytest.raises(cc.DecodeError):
        unwrap(body)


def test_error_paths_locate_the_bad_item_in_a_batch():
    good = dict(MINIMAL)
    batch = decode_batch({"samples": [good] * 49 + [{**MINIMAL, "counter_volume": "x"}]}, cc.Sample)
    assert len(batch.items) == 49
    assert batch.rejected[0].index == 49
    assert batch.rejected[0].error.path == "samples[49].counter_volume"
    assert batch.rejected[0].raw["counter_volume"] == "x"


def test_error_message_is_short_for_huge_values():
    with pytest.raises(cc.DecodeError) as info:
        cc.Sample.from_wire({**MINIMAL, "counter_name": ["x" * 1_000_000]})
    assert len(str(info.value)) < 300

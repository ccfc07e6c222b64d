"""Bytes from the bus: JSON, msgpack (old raw and bin-type strings), TCP frames, envelopes."""

from __future__ import annotations

import json

import msgpack
import pytest

import ceilocompat as cc
from ceilocompat import _envelope, documents, frame, loads, samples_from_payload, unwrap, wrap
from conftest import corpus_json, corpus_path


def test_json_bytes_and_text():
    wire = corpus_json("sample-2026.1-signed-not-so-secret.json")
    assert loads(json.dumps(wire).encode()) == [wire]
    assert loads(json.dumps(wire)) == [wire]


@pytest.mark.parametrize("use_bin_type", [True, False])
def test_msgpack_both_string_encodings(use_bin_type):
    wire = corpus_json("sample-2026.1-signed-not-so-secret.json")
    packed = msgpack.packb(wire, use_bin_type=use_bin_type)
    (decoded,) = loads(packed)
    assert decoded == wire
    assert cc.verify_signature(cc.Sample.from_wire(decoded).to_wire(), "not-so-secret")


def test_tcp_publisher_frames():
    wires = [corpus_json(name) for name in ("sample-2026.1-signed-not-so-secret.json",
                                            "sample-pike-string-volume-no-message-id.json")]
    stream = b"".join(frame(w) for w in wires)
    assert stream[:8] == len(msgpack.packb(wires[0], use_bin_type=True)).to_bytes(8, "little")
    assert loads(stream) == wires


def test_truncated_frame_stream_is_an_error():
    stream = frame({"a": 1}) + frame({"b": 2})
    with pytest.raises(cc.DecodeError):
        loads(stream[:-3])


def test_whole_rabbitmq_body_from_file_bytes():
    data = corpus_path("amqp-metering-sample-notifier-publisher.json").read_bytes()
    (capture,) = loads(data)
    [(_path, payload, model, note)] = list(documents(capture))
    assert model is cc.Sample and note.event_type == "metering"
    assert note.publisher_id == "telemetry.publisher.compute-0"
    assert note.timestamp == "2024-06-20 09:32:37.000001"
    samples = samples_from_payload(payload)
    assert cc.verify_signature(samples[0].to_wire(), "not-so-secret")


def test_old_flattened_notification_has_context():
    note_dict = corpus_json("notification-liberty-telemetry-polling-oldformat.json")
    [(_, payload, model, note)] = list(documents(note_dict))
    assert note.context["request_id"] == "req-da91b4bf-d2b5-43ae-8b66-c7752e72726d"
    assert note.context["is_admin"] is True
    assert model is cc.Sample and len(payload["samples"]) == 2


def test_wrap_unwrap_inverse():
    message = {"message_id": "m", "publisher_id": "p", "event_type": "event", "priority": "SAMPLE",
               "payload": [{"x": 1}], "timestamp": "2024-01-01 00:00:00", "_context_user": "u"}
    note = unwrap(wrap(message))
    assert note.message == message and note.context == {"user": "u"}
    [(_, _, model, _)] = list(documents(wrap(message)))
    assert model is cc.Event


def test_context_keys_override_an_rpc_context_and_come_out_alike_when_planned():
    message = {"payload": [], "context": {"user": "rpc", "tenant": "t"}, "_context_user": "u", "_context_roles": ["a"]}
    for _ in range(2):  # the second time from the planned key sequence
        note = unwrap(wrap(message))
        assert note.context == {"user": "u", "tenant": "t", "roles": ["a"]}
        assert list(note.context) == ["user", "tenant", "roles"]


def test_header_values_must_be_text_or_null_and_text_subclasses_are_text():
    class Text(str):
        pass

    assert _envelope.notification_from_message({"payload": [], "event_type": Text("e")}).event_type == "e"
    for key in _envelope.HEADER_KEYS:
        with pytest.raises(cc.DecodeError) as info:
            unwrap(wrap({"payload": [], "message_id": "m", key: 5}))
        assert info.value.path == f"oslo.message.{key}" or info.value.path == key


def test_a_message_given_as_a_dict_is_copied_and_one_parsed_from_the_envelope_is_kept():
    message = {"payload": [1], "event_type": "metering"}
    note = _envelope.notification_from_message(message)
    assert note.message == message and note.message is not message


def test_the_memory_of_context_key_sequences_is_bounded():
    for i in range(_envelope.MAX_CONTEXT_PLANS + 10):
        unwrap(wrap({"payload": [], f"_context_k{i}": i}))
    assert len(_envelope._CONTEXT_PLANS) <= _envelope.MAX_CONTEXT_PLANS
    assert unwrap(wrap({"payload": [], "_context_last": 1})).context == {"last": 1}


def test_the_first_bad_sample_of_a_payload_is_named_by_its_index():
    good = corpus_json("sample-2026.1-signed-not-so-secret.json")
    with pytest.raises(cc.DecodeError) as info:
        samples_from_payload({"samples": [good, good, {**good, "counter_volume": "x"}, {}]})
    assert info.value.path == "samples[2].counter_volume"

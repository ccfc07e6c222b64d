"""Bytes from the bus: JSON, msgpack (old raw and bin-type strings), TCP frames, envelopes."""

from __future__ import annotations

import json

import msgpack
import pytest

import ceilocompat as cc
from ceilocompat import documents, frame, loads, samples_from_payload, unwrap, wrap
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

"""Every real Ceilometer payload in the shared corpus decodes and round-trips."""

from __future__ import annotations

import pytest

import ceilocompat as cc
from ceilocompat import documents, events_from_payload, samples_from_payload, unwrap
from conftest import CORPUS, corpus_json

SIGNED = [
    ("sample-2026.1-signed-not-so-secret.json", "not-so-secret"),
    ("sample-pike-string-volume-no-message-id.json", cc.DEFAULT_SECRET),
    ("event-2026.1-instance-delete-signed-not-so-secret.json", "not-so-secret"),
    ("event-2026.1-trait-types.json", "not-so-secret"),
]
LEGACY_SIGNED = [
    ("event-pike-instance-delete-py2-signed.json", cc.DEFAULT_SECRET),
    ("event-pike-image-delete-py2-signed.json", cc.DEFAULT_SECRET),
]
PAYLOAD_FILES = sorted(p.name for p in CORPUS.glob("*.json") if not p.name.startswith("signature-vectors"))


def test_corpus_is_present():
    assert len(PAYLOAD_FILES) >= 11, f"expected the shared corpus at {CORPUS}"


@pytest.mark.parametrize("name", PAYLOAD_FILES)
def test_every_corpus_file_decodes_and_reencodes_unchanged(name):
    document = corpus_json(name)
    found = 0
    for _path, payload, model, _note in documents(document):
        decode = samples_from_payload if model is cc.Sample else events_from_payload
        items = decode(payload)
        assert items, name
        raw_items = payload if isinstance(payload, list) else payload.get("samples", [payload])
        for item, raw in zip(items, raw_items, strict=True):
            assert item.to_wire() == raw
            assert list(item.to_wire()) == list(raw), "key order is kept too"
        found += len(items)
    assert found > 0


@pytest.mark.parametrize("name,secret", SIGNED)
def test_real_signatures_verify(name, secret):
    wire = corpus_json(name)
    assert cc.verify_signature(wire, secret)
    assert not cc.verify_signature(wire, secret + "x")
    model = cc.Event if name.startswith("event") else cc.Sample
    relayed = model.from_wire(wire).to_wire()
    assert cc.verify_signature(relayed, secret)


@pytest.mark.parametrize("name,secret", LEGACY_SIGNED)
def test_python2_signatures_verify_only_as_legacy(name, secret):
    wire = corpus_json(name)
    assert not cc.verify_signature(wire, secret)
    assert cc.verify_signature(wire, secret, legacy=True)
    assert not cc.verify_signature(wire, "another secret", legacy=True)


def test_signature_vectors_both_renderings():
    vectors = corpus_json("signature-vectors-legacy-vs-current.json")["vectors"]
    for vector in vectors:
        wire = corpus_json(vector["file"])
        assert cc.compute_signature(wire, vector["secret"]) == vector["current"]
        if vector["legacy"] is not None:
            assert cc.compute_legacy_signature(wire, vector["secret"]) == vector["legacy"]


def test_fake_signature_does_not_verify():
    wire = corpus_json("sample-2024.1-literal-fake-signature.json")
    assert not cc.verify_signature(wire, "not-so-secret")
    assert not cc.verify_signature(wire, "not-so-secret", legacy=True)


def test_pike_oddities_decode_with_defaults():
    sample = cc.Sample.from_wire(corpus_json("sample-pike-string-volume-no-message-id.json"))
    assert sample.counter_volume == 2.0
    assert sample.message_id is None
    assert sample.monotonic_time is None and sample.user_name is None and sample.project_name is None
    assert sample.timestamp == "2012-05-08 20:23:48.028195"
    assert sample.timestamp_utc.isoformat() == "2012-05-08T20:23:48.028195+00:00"
    assert sample.to_wire()["counter_volume"] == "2"


def test_liberty_notification_with_malformed_timestamps():
    note_samples = samples_from_payload(corpus_json("notification-liberty-telemetry-polling-oldformat.json")["payload"])
    assert [s.message_signature for s in note_samples] == ["fake_signature1", "fake_signature12"]
    assert note_samples[0].timestamp == "2015-06-19T09: 19: 35.785330"
    assert note_samples[0].timestamp_utc.isoformat() == "2015-06-19T09:19:35.785330+00:00"


def test_amqp_bodies_unwrap_to_notifications():
    capture = corpus_json("amqp-notifications-sample-telemetry-polling.json")
    note = unwrap(capture["body"])
    assert (note.event_type, note.publisher_id, note.priority) == ("telemetry.polling", "ceilometer.polling", "SAMPLE")
    assert note.payload == capture["_decoded_oslo.message"]["payload"]
    third_party = unwrap(corpus_json("amqp-metering-thirdparty-capture.json"))
    samples = samples_from_payload(third_party.payload)
    assert samples[1].user_id is None and samples[1].monotonic_time is None
    assert samples[0].timestamp_utc.utcoffset().total_seconds() == 0

"""Wire compatibility proven against the real ``ceilometer`` package (interop extra)."""

from __future__ import annotations

import datetime
import json

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ceilocompat as cc
from ceilocompat import decode_batch, samples_from_payload

pytestmark = pytest.mark.interop

text = st.text(max_size=20)
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.floats(allow_nan=False) | text
metadata = st.recursive(
    st.dictionaries(text, scalars, max_size=4),
    lambda children: st.dictionaries(text, children | scalars | st.lists(scalars, max_size=3), max_size=4),
    max_leaves=20,
)
timestamps = st.datetimes(min_value=datetime.datetime(2000, 1, 1)).map(lambda d: d.isoformat())
secrets = st.sampled_from(["", "not-so-secret", cc.DEFAULT_SECRET, "ünïcode ✓"])


@st.composite
def ceilometer_samples(draw):
    from ceilometer import sample as ceilometer_sample

    return ceilometer_sample.Sample(
        name=draw(text), type=draw(st.sampled_from(["gauge", "delta", "cumulative"])), unit=draw(text),
        volume=draw(st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False)),
        user_id=draw(st.none() | text), project_id=draw(st.none() | text), resource_id=draw(st.none() | text),
        timestamp=draw(timestamps), resource_metadata=draw(metadata), source=draw(st.none() | text),
        id=draw(st.none() | text.filter(bool)), monotonic_time=draw(st.none() | st.floats(0, 1e9)),
        user_name=draw(st.none() | text), project_name=draw(st.none() | text),
    )


@st.composite
def ceilometer_events(draw):
    from ceilometer.event import models

    traits = [
        models.Trait(draw(text), dtype, draw(value))
        for dtype, value in draw(st.lists(st.sampled_from([
            (1, text), (2, st.integers(-(2**31), 2**31)), (3, st.floats(allow_nan=False, allow_infinity=False)),
            (4, timestamps), (0, st.none()),
        ]), max_size=10))
    ]
    return models.Event(draw(text.filter(bool)), draw(text), draw(timestamps), traits, draw(st.just({}) | metadata))


def through_json(message: dict) -> dict:
    from oslo_serialization import jsonutils

    return json.loads(jsonutils.dumps(message))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(ceilometer_samples(), secrets, st.none() | text)
def test_ceilometer_samples_round_trip_and_sign_identically(ceilometer_utils, sample, secret, publisher_id):
    message = through_json(ceilometer_utils.meter_message_from_counter(sample, secret, publisher_id))
    decoded = cc.Sample.from_wire(message)
    assert decoded.to_wire() == message
    assert cc.compute_signature(message, secret) == ceilometer_utils.compute_signature(message, secret)
    assert cc.verify_signature(message, secret)
    resigned = decoded.to_wire(secret=secret)
    assert ceilometer_utils.verify_signature(resigned, secret)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(ceilometer_samples(), secrets)
def test_python_built_sample_encodes_exactly_like_meter_message_from_counter(ceilometer_utils, sample, secret):
    assume(sample.resource_id is not None)  # ceilocompat never writes a null resource_id of its own (below)
    ours = cc.Sample(
        counter_name=sample.name, counter_type=sample.type, counter_unit=sample.unit,
        counter_volume=sample.volume, user_id=sample.user_id, user_name=sample.user_name,
        project_id=sample.project_id, project_name=sample.project_name, resource_id=sample.resource_id,
        timestamp=sample.timestamp, resource_metadata=sample.resource_metadata, source=sample.source,
        message_id=sample.id, monotonic_time=sample.monotonic_time,
    ).to_wire(secret=secret)
    theirs = ceilometer_utils.meter_message_from_counter(sample, secret)
    assert list(ours) == list(theirs)
    assert {k: v for k, v in ours.items() if k != "counter_volume"} == {
        k: v for k, v in theirs.items() if k != "counter_volume"
    }
    assert ours["counter_volume"] == theirs["counter_volume"]
    assert ceilometer_utils.verify_signature(ours, secret)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(ceilometer_events(), secrets)
def test_ceilometer_events_round_trip_and_sign_identically(ceilometer_utils, event, secret):
    message = through_json(ceilometer_utils.message_from_event(event, secret))
    decoded = cc.Event.from_wire(message)
    assert decoded.to_wire() == message
    assert [t.to_wire() for t in decoded.traits] == message["traits"]
    assert cc.compute_signature(message, secret) == ceilometer_utils.compute_signature(message, secret)
    assert cc.verify_signature(message, secret) == ceilometer_utils.verify_signature(message, secret)
    assert ceilometer_utils.verify_signature(decoded.to_wire(secret=secret), secret)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(ceilometer_samples(), metadata, metadata)
def test_newer_producer_keys_survive_a_relay_and_verify_in_ceilometer(ceilometer_utils, sample, top, nested):
    message = through_json(ceilometer_utils.meter_message_from_counter(sample, "s"))
    newer = {**{f"future_{k}": v for k, v in top.items()}, **message}
    newer["resource_metadata"] = {**message["resource_metadata"], "future_nested": nested}
    newer["message_signature"] = ceilometer_utils.compute_signature(newer, "s")
    relayed = cc.Sample.from_wire(newer).to_wire()
    assert relayed == newer
    assert ceilometer_utils.verify_signature(relayed, "s")
    assert ceilometer_utils.verify_signature(cc.Sample.at("1.0").from_wire(newer).to_wire(), "s")


def test_signatures_match_ceilometer_on_awkward_values(ceilometer_utils):
    message = {
        "a": [1.5, None, True, "é", b"raw", ("t", 1), {"z": 1, "a": [2]}],
        "b": {"c": {"d": "e"}, "f": []},
        "g": 1e-300, "h": -0.0, "i": 10**30, "j": "quote ' and \" and \\", "k": "",
        "message_signature": "ignored",
    }
    for secret in ("s", b"bytes-secret", ""):
        assert cc.compute_signature(message, secret) == ceilometer_utils.compute_signature(message, secret)


def test_signature_verifies_in_ceilometer_for_corpus_events(ceilometer_utils):
    from conftest import corpus_json

    wire = corpus_json("event-2026.1-instance-delete-signed-not-so-secret.json")
    assert ceilometer_utils.verify_signature(cc.Event.from_wire(wire).to_wire(), "not-so-secret")


@pytest.mark.parametrize("version,keys", [("1.0", 12), ("1.1", 13), ("1.2", 15)])
def test_historical_key_sets_decode_with_defaults(ceilometer_utils, version, keys):
    from ceilometer import sample as ceilometer_sample

    sample = ceilometer_sample.Sample("cpu", "cumulative", "ns", 5, "u", "p", "r", "2024-01-01T00:00:00",
                                      user_name="alice", project_name="demo", monotonic_time=7.5)
    full = through_json(ceilometer_utils.meter_message_from_counter(sample, "s"))
    known = set(cc.Sample.at(version).keys)
    old = {k: v for k, v in full.items() if k in known}
    old["message_signature"] = ceilometer_utils.compute_signature(old, "s")
    assert len(old) == keys
    decoded = cc.Sample.from_wire(old)
    if version != "1.2":
        assert decoded.user_name is None and decoded.project_name is None
    if version == "1.0":
        assert decoded.monotonic_time is None
    assert decoded.to_wire() == old
    assert ceilometer_utils.verify_signature(decoded.to_wire(), "s")


def test_batch_of_fifty_without_user_and_project_names_decodes_whole(ceilometer_utils):
    """Ceilometer 21.0.0 lost such batches to KeyError; here every sample decodes."""
    from ceilometer import sample as ceilometer_sample

    batch = []
    for i in range(50):
        message = through_json(ceilometer_utils.meter_message_from_counter(
            ceilometer_sample.Sample("cpu", "cumulative", "ns", i, "u", "p", f"r{i}", "2024-01-01T00:00:00"), "s"))
        del message["user_name"], message["project_name"]
        message["message_signature"] = ceilometer_utils.compute_signature(message, "s")
        batch.append(message)
    samples = samples_from_payload({"samples": batch})
    assert [s.counter_volume for s in samples] == [float(i) for i in range(50)]
    assert not decode_batch({"samples": batch}, cc.Sample).rejected
    assert all(cc.verify_signature(s.to_wire(), "s") for s in samples)


def test_a_null_resource_id_signs_verifies_and_relays_as_in_ceilometer(ceilometer_utils):
    """Ceilometer's Sample takes resource_id=None (its gnocchi publisher tests a meter without one)."""
    from ceilometer import sample as ceilometer_sample

    sample = ceilometer_sample.Sample("unknown.meter", "gauge", "GB", 2, "u", "p", None, "2014-05-08 20:23:48.028195")
    message = through_json(ceilometer_utils.meter_message_from_counter(sample, "not-so-secret"))
    assert "resource_id" in message and message["resource_id"] is None
    secret = "not-so-secret"
    assert cc.compute_signature(message, secret) == ceilometer_utils.compute_signature(message, secret)
    decoded = cc.Sample.from_wire(message)
    assert decoded.resource_id is None and decoded.to_wire() == message
    resigned = decoded.to_wire(secret="another secret")
    assert resigned["resource_id"] is None and ceilometer_utils.verify_signature(resigned, "another secret")
    # What ceilocompat would write from Python is refused instead: readers of sample models as released want a string.
    with pytest.raises(cc.DecodeError, match="resource_id: is read but never written"):
        cc.Sample(counter_name="unknown.meter", counter_type="gauge", counter_unit="GB", counter_volume=2,
                  resource_id=None, timestamp="2014-05-08 20:23:48.028195").to_wire()

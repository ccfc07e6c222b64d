"""Decoding and encoding rules of the Sample and Event models."""

from __future__ import annotations

import datetime
import math

import attrs
import pytest

import ceilocompat as cc
from conftest import corpus_json

MINIMAL = {
    "counter_name": "cpu",
    "counter_type": "cumulative",
    "counter_unit": "ns",
    "counter_volume": 1,
    "resource_id": "vm-1",
    "timestamp": "2024-06-20T09:32:36.521082",
}
KILO_KEYS = (
    "source counter_name counter_type counter_unit counter_volume user_id project_id resource_id "
    "timestamp resource_metadata message_id message_signature"
).split()


def current_sample() -> dict:
    return corpus_json("sample-2026.1-signed-not-so-secret.json")


@pytest.mark.parametrize(
    "missing", ["counter_name", "counter_type", "counter_unit", "counter_volume", "resource_id", "timestamp"]
)
def test_required_sample_keys(missing):
    wire = {k: v for k, v in MINIMAL.items() if k != missing}
    with pytest.raises(cc.DecodeError) as info:
        cc.Sample.from_wire(wire)
    assert info.value.path == missing
    assert "required" in info.value.reason


@pytest.mark.parametrize("missing", ["message_id", "event_type", "generated"])
def test_required_event_keys(missing):
    wire = {"message_id": "m", "event_type": "e", "generated": "2012-05-08T20:24:14"}
    del wire[missing]
    with pytest.raises(cc.DecodeError) as info:
        cc.Event.from_wire(wire)
    assert info.value.path == missing


def test_missing_optional_keys_get_defaults():
    sample = cc.Sample.from_wire(MINIMAL)
    assert sample.source == "openstack"
    assert sample.resource_metadata == {}
    assert (sample.user_id, sample.user_name, sample.project_name, sample.message_id) == (None, None, None, None)
    assert sample.monotonic_time is None and sample.publisher_id is None
    event = cc.Event.from_wire({"message_id": "m", "event_type": "e", "generated": "2012-05-08T20:24:14"})
    assert event.traits == () and event.raw == {}


@pytest.mark.parametrize("key,bad", [
    (key, bad)
    for key in ("counter_name", "counter_type", "counter_unit", "resource_id")
    for bad in (1, None, ["x"], {"a": 1}, 2.5, True)
    if not (key == "resource_id" and bad is None)  # may be null: tests/models/test_null_resource_id.py
])
def test_string_fields_must_be_strings(key, bad):
    with pytest.raises(cc.DecodeError) as info:
        cc.Sample.from_wire({**MINIMAL, key: bad})
    assert info.value.path == key and info.value.value == bad


@pytest.mark.parametrize(
    "volume,expected",
    [(1, 1.0), (2.5, 2.5), ("2", 2.0), ("-1.5e3", -1500.0), (" 7 ", 7.0), (None, None), (10**20, 1e20)],
)
def test_volume_numbers_and_numeric_strings(volume, expected):
    assert cc.Sample.from_wire({**MINIMAL, "counter_volume": volume}).counter_volume == expected


@pytest.mark.parametrize("volume", ["lots", "", "1_000", "0x10", True, False, [], {}, "nan", 10**400])
def test_volume_rejects_everything_else(volume):
    with pytest.raises(cc.DecodeError) as info:
        cc.Sample.from_wire({**MINIMAL, "counter_volume": volume})
    assert info.value.path == "counter_volume"


def test_volume_nan_float_is_a_number_and_round_trips():
    sample = cc.Sample.from_wire({**MINIMAL, "counter_volume": float("nan")})
    assert math.isnan(sample.counter_volume)
    assert math.isnan(sample.to_wire()["counter_volume"])


def test_foreign_counter_type_is_accepted():
    sample = cc.Sample.from_wire({**MINIMAL, "counter_type": "histogram"})
    assert sample.counter_type == "histogram" and not sample.is_standard_type


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2024-06-20T09:32:36.521082", "2024-06-20T09:32:36.521082+00:00"),
        ("2024-06-20T09:32:36", "2024-06-20T09:32:36+00:00"),
        ("2020-09-14T16:12:49.939250+00:00", "2020-09-14T16:12:49.939250+00:00"),
        ("2020-09-14T18:12:49+02:00", "2020-09-14T16:12:49+00:00"),
        ("2012-05-08 20:23:48.028195", "2012-05-08T20:23:48.028195+00:00"),
        ("2012-05-08 20:23:48", "2012-05-08T20:23:48+00:00"),
        ("2012-05-08T20:23:48Z", "2012-05-08T20:23:48+00:00"),
        ("2012-05-08T20:23:48.123456789", "2012-05-08T20:23:48.123456+00:00"),
    ],
)
def test_every_timestamp_format_parses_to_utc(text, expected):
    sample = cc.Sample.from_wire({**MINIMAL, "timestamp": text})
    assert sample.timestamp == text
    assert sample.timestamp_utc.isoformat() == expected
    assert sample.timestamp_utc.tzinfo is datetime.timezone.utc


@pytest.mark.parametrize("text", ["yesterday", "2024-13-40T99:00:00", "x" * 1000, ""])
def test_unparsable_timestamp_raises_decode_error_on_use(text):
    sample = cc.Sample.from_wire({**MINIMAL, "timestamp": text})
    with pytest.raises(cc.DecodeError) as info:
        _ = sample.timestamp_utc
    assert info.value.path == "timestamp"


def test_timestamp_must_be_text():
    with pytest.raises(cc.DecodeError):
        cc.Sample.from_wire({**MINIMAL, "timestamp": 1718875956})


def test_resource_metadata_must_be_a_mapping():
    with pytest.raises(cc.DecodeError) as info:
        cc.Sample.from_wire({**MINIMAL, "resource_metadata": ["a"]})
    assert info.value.path == "resource_metadata"
    assert cc.Sample.from_wire({**MINIMAL, "resource_metadata": None}).resource_metadata == {}


def test_unknown_keys_are_ignored_but_kept():
    wire = {**current_sample(), "carbon_grams": 12.5, "labels": {"zone": "az1"}}
    sample = cc.Sample.from_wire(wire)
    assert sample.received is wire
    assert sample.unknown_keys() == ["carbon_grams", "labels"]
    assert sample.to_wire() == wire


def test_unchanged_round_trip_keeps_values_as_received():
    wire = {**MINIMAL, "counter_volume": "2", "monotonic_time": 5}
    out = cc.Sample.from_wire(wire).to_wire()
    assert out == wire
    assert out["counter_volume"] == "2" and isinstance(out["monotonic_time"], int)


def test_changed_fields_are_reencoded_and_the_rest_kept():
    wire = {**current_sample(), "extra": 1}
    sample = attrs.evolve(cc.Sample.from_wire(wire), counter_volume="3")
    out = sample.to_wire()
    assert out["counter_volume"] == 3.0
    assert out["extra"] == 1
    assert {k: v for k, v in out.items() if k != "counter_volume"} == {
        k: v for k, v in wire.items() if k != "counter_volume"
    }
    assert not cc.verify_signature(out, "not-so-secret"), "the received signature no longer matches"
    assert cc.verify_signature(sample.to_wire(secret="not-so-secret"), "not-so-secret")


def test_setting_a_default_on_an_old_payload_adds_the_key():
    sample = cc.Sample.from_wire(MINIMAL)
    assert "user_name" not in sample.to_wire()
    sample.user_name = "alice"
    assert sample.to_wire()["user_name"] == "alice"


def test_invalid_value_set_after_decoding_is_refused_on_encode():
    sample = cc.Sample.from_wire(MINIMAL)
    sample.counter_volume = "lots"
    with pytest.raises(cc.DecodeError):
        sample.to_wire()


def test_version_pinning_emits_only_known_keys():
    wire = {**current_sample(), "newer": True}
    sample = cc.Sample.from_wire(wire)
    kilo = sample.to_wire(version="1.0")
    assert sorted(kilo) == sorted(KILO_KEYS)
    pike = sample.to_wire(version="1.1", secret="s")
    assert sorted(pike) == sorted(KILO_KEYS + ["monotonic_time"])
    assert cc.verify_signature(pike, "s")
    with pytest.raises(ValueError, match="no version"):
        sample.to_wire(version="9.9")


def test_decoding_at_an_old_version_defaults_newer_fields_and_keeps_their_keys():
    wire = {**current_sample(), "user_name": "alice"}
    old = cc.Sample.at("1.0").from_wire(wire)
    assert old.user_name is None and old.monotonic_time is None
    assert old.to_wire() == wire


def test_python_built_sample_matches_ceilometer_key_order_and_defaults():
    sample = cc.Sample(
        counter_name="cpu", counter_type="gauge", counter_unit="%", counter_volume=3,
        resource_id="r", timestamp=datetime.datetime(2024, 1, 2, 3, 4, 5), user_id="u", project_id="p",
    )
    out = sample.to_wire()
    assert list(out) == [
        "source", "counter_name", "counter_type", "counter_unit", "counter_volume", "user_id", "user_name",
        "project_id", "project_name", "resource_id", "timestamp", "resource_metadata", "message_id",
        "monotonic_time", "message_signature",
    ]
    assert out["timestamp"] == "2024-01-02T03:04:05"
    assert out["message_signature"] == "" and out["source"] == "openstack"
    assert len(out["message_id"]) == 36
    assert cc.Sample(**{**_kw(sample), "publisher_id": "tcp"}).to_wire()["publisher_id"] == "tcp"


def _kw(sample):
    return {a.name: getattr(sample, a.name) for a in attrs.fields(cc.Sample) if "wire" in a.metadata}


def test_python_built_sample_validates_like_the_decoder():
    with pytest.raises(cc.DecodeError):
        cc.Sample(
            counter_name=1, counter_type="gauge", counter_unit="%", counter_volume=3, resource_id="r", timestamp="t"
        )


def test_event_traits_decode_to_typed_triples():
    event = cc.Event.from_wire(corpus_json("event-2026.1-trait-types.json"))
    types = cc.TraitType
    assert [t.dtype for t in event.traits] == [types.TEXT, types.DATETIME, types.INT, types.FLOAT]
    assert event.trait("memory_mb") == 512
    assert event.trait("nope", "d") == "d"
    assert event.generated_utc.year == 2012


@pytest.mark.parametrize(
    "traits,path",
    [
        ("x", "traits"),
        ([["name", 1]], "traits[0]"),
        ([["name", 1, "v", "extra"]], "traits[0]"),
        ([{"name": "n", "dtype": 1, "value": "v"}], "traits[0]"),
        ([[1, 1, "v"]], "traits[0][0]"),
        ([["n", 9, "v"]], "traits[0][1]"),
        ([["n", "1", "v"]], "traits[0][1]"),
        ([["n", True, "v"]], "traits[0][1]"),
        ([["ok", 1, "v"], None], "traits[1]"),
    ],
)
def test_broken_traits_are_errors(traits, path):
    with pytest.raises(cc.DecodeError) as info:
        cc.Event.from_wire({"message_id": "m", "event_type": "e", "generated": "2012-05-08T20:24:14", "traits": traits})
    assert info.value.path == path


def test_python_built_event_encodes_like_ceilometer_serialize():
    event = cc.Event(
        message_id="m", event_type="e", generated=datetime.datetime(2012, 5, 8, 20, 24, 14),
        traits=[cc.Trait("launched_at", 4, datetime.datetime(2012, 5, 8, 20, 23, 47)), ("n", 2, 5)],
    )
    assert event.to_wire() == {
        "message_id": "m", "event_type": "e", "generated": "2012-05-08T20:24:14",
        "traits": [["launched_at", 4, "2012-05-08T20:23:47"], ["n", 2, 5]], "raw": {}, "message_signature": "",
    }

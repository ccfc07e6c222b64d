"""Laws of additive evolution, for any values and any pair of model versions i, j.

1. Decoding version i's payload at version j gives the values projected to j:
   fields both versions know keep their value, every other field its default.
2. Encoding at a version and decoding at the same version is the identity.
3. A relay at version j (decode at j, encode unchanged) returns version i's
   payload unchanged, signature included.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

import ceilocompat as cc
from ceilocompat.evolution.manifest import PACKAGE_MODELS
from ceilocompat.models import (
    MAPPING,
    OPTIONAL_NUMBER,
    OPTIONAL_STRING,
    SIGNATURE_KEY,
    STRING,
    STRING_OR_NULL_ON_READ,
    TIMESTAMP,
    TRAITS,
    VOLUME,
)

SECRET = "laws secret"
LAWS = settings(max_examples=150, deadline=None)

numbers = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**15), 10**15)
scalars = st.none() | st.booleans() | numbers | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
text = st.text(max_size=24)
timestamps = st.builds(lambda dt, sep: dt.isoformat(sep=sep), st.datetimes(), st.sampled_from(" T")) | text
traits = st.lists(
    st.tuples(text, st.integers(0, 4), st.none() | numbers | text).map(list),
    max_size=4,
)

#: What each kind may carry, as a wire value.
KIND_VALUES = {
    STRING: text,
    OPTIONAL_STRING: st.none() | text,
    STRING_OR_NULL_ON_READ: text,  # null is read, never written (see read_only_nulls below)
    TIMESTAMP: timestamps,
    VOLUME: st.none() | numbers | numbers.map(str),
    OPTIONAL_NUMBER: st.none() | numbers,
    MAPPING: st.none() | st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    TRAITS: st.none() | traits,
}


@st.composite
def built(draw, model):
    """A model object built in Python from wire values of every field."""
    values = {f.key: draw(KIND_VALUES[f.kind]) for f in model.__wire__.fields}
    values[SIGNATURE_KEY] = draw(text)  # an absent signature is sent as ""
    return model(**values)


@st.composite
def cases(draw):
    """(model, object, i, j, future) for any model, values, two of its versions, and keys of a newer release."""
    model = draw(st.sampled_from(PACKAGE_MODELS))
    versions = st.sampled_from([v.number for v in model.__wire__.versions])
    known = model.__wire__.keys()
    unknown = st.text(min_size=1, max_size=12).filter(lambda key: key not in known)
    future = draw(st.dictionaries(unknown, json_values, max_size=3))
    return model, draw(built(model)), draw(versions), draw(versions), future


def projected(obj, model, i: str, j: str) -> dict:
    """*obj*'s values as a reader at j sees a payload of i: defaults for what either lacks."""
    both = model.at(i).keys & model.at(j).keys
    return {
        f.key: getattr(obj, f.key) if f.key in both else f.spec.missing_value() for f in model.__wire__.fields
    }


def values_of(obj, model) -> dict:
    return {f.key: getattr(obj, f.key) for f in model.__wire__.fields}


def over_the_bus(wire: dict) -> dict:
    return json.loads(json.dumps(wire))


def sent(obj, version: str, future: dict, secret: str | None = None) -> dict:
    """What a producer at *version* sends, plus the keys *future* releases add, as it arrives."""
    wire = {**obj.to_wire(version=version), **future}
    if secret is not None:
        wire.pop(SIGNATURE_KEY)
        wire[SIGNATURE_KEY] = cc.compute_signature(wire, secret)
    return over_the_bus(wire)


@LAWS
@given(cases())
def test_decoding_version_i_at_version_j_projects_the_values(case):
    model, obj, i, j, future = case
    payload = sent(obj, i, future)
    assert values_of(model.at(j).from_wire(payload), model) == projected(obj, model, i, j)


@LAWS
@given(cases())
def test_encode_then_decode_at_one_version_is_the_identity(case):
    model, obj, i, _, _ = case
    payload = sent(obj, i, {})
    decoded = model.at(i).from_wire(payload)
    assert values_of(decoded, model) == projected(obj, model, i, i)
    assert decoded.to_wire(version=i) == payload


@LAWS
@given(cases())
def test_a_relay_at_version_j_returns_the_payload_of_version_i_unchanged(case):
    model, obj, i, j, future = case
    payload = sent(obj, i, future, secret=SECRET)
    relayed = over_the_bus(model.at(j).from_wire(over_the_bus(payload)).to_wire())
    assert relayed == payload
    assert cc.verify_signature(relayed, SECRET)


@LAWS
@given(built(cc.Sample))
def test_a_sample_of_the_newest_version_decodes_at_the_oldest(sample):
    oldest = cc.Sample.__wire__.versions[0].number
    newest = cc.Sample.__wire__.versions[-1].number
    decoded = cc.Sample.at(oldest).from_wire(over_the_bus(sample.to_wire()))
    assert values_of(decoded, cc.Sample) == projected(sample, cc.Sample, newest, oldest)


def read_only_nulls(model) -> list[str]:
    """Keys whose kind reads null but never writes it (``Kind.widens``): producers such as Ceilometer send it."""
    return [f.key for f in model.__wire__.fields if f.kind.widens is not None and reads_null(f)]


def reads_null(f) -> bool:
    try:
        return f.decode_value(None) is None
    except cc.DecodeError:
        return False


@LAWS
@given(cases())
def test_a_null_only_read_decodes_at_every_version_and_relays_unchanged(case):
    model, obj, i, j, future = case
    for key in read_only_nulls(model):
        payload = sent(obj, i, future)
        payload[key] = None
        payload.pop(SIGNATURE_KEY)
        payload[SIGNATURE_KEY] = cc.compute_signature(payload, SECRET)
        decoded = model.at(j).from_wire(over_the_bus(payload))
        assert getattr(decoded, key) is None
        assert over_the_bus(decoded.to_wire()) == payload
        assert cc.verify_signature(decoded.to_wire(), SECRET)


def test_the_sample_resource_id_is_a_null_only_read():
    assert read_only_nulls(cc.Sample) == ["resource_id"] and read_only_nulls(cc.Event) == []

"""A null ``resource_id``: real Ceilometer sends it, ceilocompat reads and relays it, and never writes one.

Ceilometer's ``Sample`` accepts ``resource_id=None`` and
``meter_message_from_counter`` publishes it as null: its storage tests built
such samples (6.x to 9.x) and its gnocchi publisher has a test for a meter
without a resource id (17.x to 26.x). The release payloads below are those
samples, made by the releases' own code.
"""

from __future__ import annotations

import json

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import ceilocompat as cc
from ceilocompat.models import STRING, STRING_OR_NULL_ON_READ
from release_corpus import CORPUS, RELEASE_CORPUS, RELEASES

MINIMAL = {
    "counter_name": "cpu",
    "counter_type": "cumulative",
    "counter_unit": "ns",
    "counter_volume": 1,
    "resource_id": None,
    "timestamp": "2024-06-20T09:32:36.521082",
}
VERSIONS = [v.number for v in cc.Sample.__wire__.versions]


def release_samples_without_resource_id() -> list:
    """``(release, payload)`` for every release payload whose resource_id is null."""
    return [
        pytest.param(r["tag"], p, id=f"{r['tag']}-py{r['python']}-{p['id']}")
        for r in RELEASES
        for p in r["payloads"]
        if p["kind"] == "sample" and json.loads(p["json"])["resource_id"] is None
    ]


NULL_RESOURCE_SAMPLES = release_samples_without_resource_id()


@pytest.mark.parametrize("version", VERSIONS)
def test_null_decodes_as_none_at_every_version(version):
    sample = cc.Sample.at(version).from_wire(dict(MINIMAL))
    assert sample.resource_id is None and sample.counter_name == "cpu"


@pytest.mark.parametrize("version", VERSIONS)
def test_the_key_is_still_required(version):
    wire = {k: v for k, v in MINIMAL.items() if k != "resource_id"}
    with pytest.raises(cc.DecodeError, match="resource_id: required field is missing"):
        cc.Sample.at(version).from_wire(wire)


@pytest.mark.parametrize("bad", [1, 2.5, True, ["vm-1"], {"id": "vm-1"}])
def test_values_that_are_neither_text_nor_null_are_still_refused(bad):
    with pytest.raises(cc.DecodeError) as info:
        cc.Sample.from_wire({**MINIMAL, "resource_id": bad})
    assert info.value.path == "resource_id" and info.value.value == bad


def test_the_corpus_has_real_samples_without_resource_id():
    assert CORPUS is not None, f"{RELEASE_CORPUS} not found"
    releases = {release for release, _payload in (p.values for p in NULL_RESOURCE_SAMPLES)}
    assert {"6.1.5", "9.0.7", "17.0.2", "20.0.0"} <= releases


@pytest.mark.parametrize("release,payload", NULL_RESOURCE_SAMPLES)
def test_real_samples_without_resource_id_decode_and_relay_byte_for_byte(release, payload):
    wire = json.loads(payload["json"])
    for version in VERSIONS:
        sample = cc.Sample.at(version).from_wire(wire)
        assert sample.resource_id is None
        relayed = sample.to_wire()
        assert relayed == wire and list(relayed) == list(wire), (release, version)
        assert json.loads(json.dumps(relayed))["resource_id"] is None
    # The release's own verify_signature accepted it (Python 3 renderings); ours agrees on the relayed dict.
    if payload["release_verifies"]:
        assert cc.verify_signature(cc.Sample.from_wire(wire).to_wire(), CORPUS["secret"])


def test_a_changed_sample_keeps_the_null_it_read():
    sample = cc.Sample.from_wire(dict(MINIMAL))
    changed = attrs.evolve(sample, counter_volume=2)
    wire = changed.to_wire()
    assert wire["resource_id"] is None and wire["counter_volume"] == 2
    assert changed.to_wire(version="1.0")["resource_id"] is None


def test_ceilocompat_never_writes_a_null_of_its_own():
    built = cc.Sample(**{**MINIMAL, "counter_volume": 1.0})
    assert built.resource_id is None  # a Sample holds it, as Ceilometer's does
    with pytest.raises(cc.DecodeError, match=r"resource_id: is read but never written \(readers of kind 'string'"):
        built.to_wire()
    with pytest.raises(cc.DecodeError, match="resource_id: is read but never written"):
        built.to_wire(version="1.0")
    read = cc.Sample.from_wire({**MINIMAL, "resource_id": "vm-1"})
    with pytest.raises(cc.DecodeError, match="resource_id: is read but never written"):
        attrs.evolve(read, resource_id=None).to_wire()


def test_pinned_producers_still_write_the_golden_resource_ids():
    from ceilocompat.evolution.golden import golden_payloads

    for version in VERSIONS:
        for name, payload in golden_payloads(cc.Sample, version).items():
            assert isinstance(payload["resource_id"], str), (version, name)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


def outcome(convert, value):
    try:
        return "ok", convert(value, "resource_id")
    except cc.DecodeError:
        return "refused", None


@given(json_values)
def test_the_wider_kind_reads_whatever_string_reads_the_same_way(value):
    narrow, wide = outcome(STRING.convert, value), outcome(STRING_OR_NULL_ON_READ.convert, value)
    if narrow[0] == "ok":
        assert wide == narrow
    else:
        assert wide[0] == "refused" or value is None


@given(json_values)
def test_the_wider_kind_writes_only_what_string_readers_accept(value):
    field = next(f for f in cc.Sample.__wire__.fields if f.key == "resource_id")
    try:
        written = field.encode_value(value)
    except cc.DecodeError:
        return
    assert STRING.convert(written, "resource_id") == written

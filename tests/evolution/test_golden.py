"""Golden corpora: every version's payloads decode at every version, and relays keep them whole.

The payloads under ``tests/golden/<model>/<version>/`` were written once by
``python -m ceilocompat.evolution.golden`` and are never regenerated: every later model
must still read them.
"""

from __future__ import annotations

import copy
import json
import pathlib

import pytest

import ceilocompat as cc
from ceilocompat.evolution.golden import GOLDEN_SECRET, golden_payloads
from ceilocompat.evolution.manifest import PACKAGE_MODELS
from ceilocompat.models import version_key

GOLDEN = pathlib.Path(__file__).resolve().parent / "golden"
MODELS = {model.__wire__.name: model for model in PACKAGE_MODELS}
NAMES = ("full", "minimal", "nulls")


def _corpus() -> list[tuple[str, str, str]]:
    return sorted(
        (path.parent.parent.name, path.parent.name, path.stem) for path in GOLDEN.glob("*/*/*.json")
    )


CORPUS = _corpus()


def pairs(keep=lambda produced, read: True) -> list:
    """Every golden payload paired with every version of its model that *keep* accepts."""
    return [
        pytest.param(model, produced, name, read, id=f"{model}-{produced}-{name}@{read}")
        for model, produced, name in CORPUS
        for read in [v.number for v in MODELS[model].__wire__.versions]
        if keep(version_key(produced), version_key(read))
    ]


PAIRS = pairs()
OLD_AT_NEW = pairs(lambda produced, read: produced < read)
NEW_AT_OLD = pairs(lambda produced, read: produced > read)


def load(model: str, version: str, name: str) -> dict:
    return json.loads((GOLDEN / model / version / f"{name}.json").read_text())


def from_the_future(payload: dict) -> dict:
    """*payload* as a release newer than every model here sends it: with keys no model knows, re-signed."""
    newer = {**payload, "added_later": {"unit": "MiB", "tags": ["x"]}, "zz_last": None}
    newer.pop("message_signature")
    return {**newer, "message_signature": cc.compute_signature(newer, GOLDEN_SECRET)}


def test_every_model_version_has_its_golden_payloads():
    expected = {(m, v.number, n) for m, model in MODELS.items() for v in model.__wire__.versions for n in NAMES}
    missing = expected - set(CORPUS)
    assert not missing, f"write them with `python -m ceilocompat.evolution.golden`: {sorted(missing)}"
    assert {m for m, _, _ in CORPUS} <= set(MODELS), "a golden corpus of a model that no longer exists"


@pytest.mark.parametrize("model,version,name", CORPUS)
def test_golden_payloads_are_signed(model, version, name):
    payload = load(model, version, name)
    assert cc.verify_signature(payload, GOLDEN_SECRET)
    assert not cc.verify_signature({**payload, "added": 1}, GOLDEN_SECRET)


@pytest.mark.parametrize("model,version,name", CORPUS)
def test_models_still_produce_their_golden_payloads(model, version, name):
    """A producer pinned at a version sends today exactly what it sent when the corpus was written."""
    assert golden_payloads(MODELS[model], version)[name] == load(model, version, name)


@pytest.mark.parametrize("model,produced,name,read", PAIRS)
def test_decoding_at_any_version_reads_known_keys_and_defaults_the_rest(model, produced, name, read):
    payload = load(model, produced, name)
    view = MODELS[model].at(read)
    obj = view.from_wire(payload)
    for f in MODELS[model].__wire__.fields:
        if f.key in view.keys and f.key in payload:
            assert getattr(obj, f.key) == f.decode_value(payload[f.key]), f.key
        else:  # unknown at this version, or not sent by the producer: the reader's default
            assert getattr(obj, f.key) == f.spec.missing_value(), f.key


@pytest.mark.parametrize("model,produced,name,read", OLD_AT_NEW)
def test_old_payloads_get_defaults_for_newer_fields(model, produced, name, read):
    payload = load(model, produced, name)
    obj = MODELS[model].at(read).from_wire(payload)
    newer = [f for f in MODELS[model].__wire__.fields if version_key(f.spec.since) > version_key(produced)]
    assert newer and all(f.key not in payload for f in newer)
    assert {f.key: getattr(obj, f.key) for f in newer} == {f.key: f.spec.missing_value() for f in newer}


@pytest.mark.parametrize("model,produced,name,read", NEW_AT_OLD)
def test_new_payloads_keep_their_extra_keys_at_old_versions(model, produced, name, read):
    payload = load(model, produced, name)
    view = MODELS[model].at(read)
    extra = {key: value for key, value in payload.items() if key not in view.keys}
    if name != "minimal":  # the minimal payloads carry only Kilo's required keys
        assert extra
    relayed = view.from_wire(copy.deepcopy(payload)).to_wire()
    assert {key: relayed.get(key, "<dropped>") for key in extra} == extra


@pytest.mark.parametrize("model,produced,name,read", PAIRS)
def test_relay_through_any_version_keeps_every_key_and_the_signature(model, produced, name, read):
    payload = load(model, produced, name)
    relayed = MODELS[model].at(read).from_wire(copy.deepcopy(payload)).to_wire()
    assert relayed == payload
    on_the_bus = json.loads(json.dumps(relayed))
    assert cc.verify_signature(on_the_bus, GOLDEN_SECRET)


@pytest.mark.parametrize("model,produced,name,read", PAIRS)
def test_keys_of_a_future_release_survive_a_relay_at_any_version(model, produced, name, read):
    payload = from_the_future(load(model, produced, name))
    obj = MODELS[model].at(read).from_wire(copy.deepcopy(payload))
    assert set(obj.unknown_keys()) >= {"added_later", "zz_last"}
    relayed = json.loads(json.dumps(obj.to_wire()))
    assert relayed == payload and cc.verify_signature(relayed, GOLDEN_SECRET)


@pytest.mark.parametrize("model,version,name", CORPUS)
def test_relay_chain_through_every_version_newest_first(model, version, name):
    payload = from_the_future(load(model, version, name))
    wire = copy.deepcopy(payload)
    for v in reversed(MODELS[model].__wire__.versions):
        wire = json.loads(json.dumps(MODELS[model].at(v.number).from_wire(wire).to_wire()))
    assert wire == payload and cc.verify_signature(wire, GOLDEN_SECRET)


def test_sample_of_the_newest_version_decodes_at_the_oldest():
    payload = load("sample", "1.2", "full")
    old = cc.Sample.at("1.0").from_wire(payload)
    assert (old.counter_name, old.counter_volume, old.user_name, old.monotonic_time) == (
        "counter_name-example",
        42.5,
        None,
        None,
    )
    assert old.to_wire()["user_name"] == "user_name-example"

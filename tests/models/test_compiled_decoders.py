"""The compiled decoders give what the generated Python decoders give, on any input.

Every version view of every model is compiled (``_compiled_decoders``) and
run against its own ``python_from_wire`` (the reference) on generated wire
dicts: valid ones, ones with a key missing, a value of another type, a
subclass of a fast class, unknown keys, and things that are not dicts. Both
must give equal objects (same received dict, same version decoded at, same
deferred state, same re-encoding) or raise the same DecodeError.
``decode_list`` must give, item by item, what a call gives, and say the items
are uniform exactly when they share the first one's key sequence.

Skipped where the accelerator was not built, unless
``CEILOCOMPAT_REQUIRE_COMPILED=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import gc
import json
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ceilocompat as cc
from ceilocompat._compiled import compiled_module
from ceilocompat.models import _compiled_decoders
from ceilocompat.models._deferred import is_unread
from compiled import built_or_skip
from conftest import CORPUS
from documents import dicts_in

CORPORA = (CORPUS, CORPUS.parent / "corpus-releases")
VIEWS = [model.at(v.number) for model in (cc.Sample, cc.Event) for v in model.__wire__.versions]

SAMPLE = {
    "source": "openstack", "counter_name": "cpu", "counter_type": "cumulative", "counter_unit": "ns",
    "counter_volume": 2, "user_id": "u", "user_name": None, "project_id": "p", "project_name": "n",
    "resource_id": "r", "timestamp": "2024-06-20T09:32:36.521082", "resource_metadata": {"flavor": {"id": "x"}},
    "message_id": "m", "monotonic_time": None, "publisher_id": "telemetry.publisher.x", "message_signature": "sig",
}
EVENT = {
    "message_id": "m", "event_type": "compute.instance.delete.start", "generated": "2012-05-08T20:24:14",
    "traits": [["state", 1, "active"], ["vcpus", 2, 1]], "raw": {"payload": {}}, "message_signature": "sig",
}


class Text(str):
    pass


class Number(int):
    pass


class Record(dict):
    pass


class Key(str):
    pass


@pytest.fixture(scope="module")
def accelerator():
    return built_or_skip(compiled_module("_decoder_accel"), "_decoder_accel")


def compiled(view, accelerator):
    decoder = _compiled_decoders.compiled_decoder(view, module=accelerator)
    assert decoder is not None, f"{view!r} was not compiled"
    return decoder


odd_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**64), st.floats(allow_nan=False),
    st.text(max_size=5), st.builds(Text, st.text(max_size=3)), st.builds(Number, st.integers(0, 9)),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.just([["size", 2, 1]]), st.just([["bad"]]), st.just("2"), st.just("2012-05-08 20:24:14"),
    st.just(float("nan")), st.just(10**400),
)


@st.composite
def wire_dicts(draw, base):
    """A dict near *base*: keys dropped, values replaced, unknown keys added, key order shuffled."""
    wire = dict(base)
    for key in list(wire):
        choice = draw(st.integers(0, 9))
        if choice == 0:
            del wire[key]
        elif choice == 1:
            wire[key] = draw(odd_values)
    for n in range(draw(st.integers(0, 3))):
        wire[f"unknown_{n}"] = draw(odd_values)
    if draw(st.integers(0, 7)) == 0:  # a key that is not an exact str: no shared key sequence is planned
        wire[draw(st.sampled_from([1, Key("unknown_key")]))] = "x"
    if draw(st.booleans()):
        keys = draw(st.permutations(list(wire)))
        wire = {key: wire[key] for key in keys}
    return wire


def outcome(decode, wire) -> tuple[str, Any]:
    try:
        return "decoded", decode(wire)
    except cc.DecodeError as exc:
        return "refused", str(exc)


def assert_same(view, got, expected, wire):
    assert got[0] == expected[0], (got, expected)
    if got[0] == "refused":
        assert got[1] == expected[1]
        return
    obj, reference = got[1], expected[1]
    assert type(obj) is type(reference)
    assert obj.received is wire and reference.received is wire
    assert obj._decoded_at == reference._decoded_at == view.decoded_at
    for key in view.schema.deferred:
        assert is_unread(obj, key) == is_unread(reference, key)
    for field in attrs.fields(type(obj)):
        value, expected_value = getattr(obj, field.name), getattr(reference, field.name)
        assert type(value) is type(expected_value), field.name
        assert value == expected_value or (value != value and expected_value != expected_value), field.name
    assert obj.to_wire() == reference.to_wire() or "nan" in repr(obj)


@pytest.mark.parametrize("view", VIEWS, ids=repr)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_call_gives_what_the_python_decoder_gives(accelerator, view, data):
    base = SAMPLE if view.schema.model is cc.Sample else EVENT
    wire = data.draw(wire_dicts(base))
    decoder = compiled(view, accelerator)
    if data.draw(st.booleans()):
        wire = json.loads(json.dumps(wire, default=str)) if "nan" not in repr(wire) else wire
    assert_same(view, outcome(decoder, wire), outcome(view.python_from_wire, wire), wire)


@pytest.mark.parametrize("view", VIEWS, ids=repr)
@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_decode_list_gives_what_calls_give_and_knows_a_uniform_message(accelerator, view, data):
    base = SAMPLE if view.schema.model is cc.Sample else EVENT
    shapes = data.draw(st.lists(wire_dicts(base), min_size=1, max_size=3))
    picks = data.draw(st.lists(st.integers(0, len(shapes) - 1), max_size=8))
    items = [dict(shapes[i]) for i in picks]
    if data.draw(st.booleans()) and "nan" not in repr(items):
        items = json.loads(json.dumps(items, default=str))  # the dicts of one document share key objects
    if items and data.draw(st.integers(0, 5)) == 0:
        items[data.draw(st.integers(0, len(items) - 1))] = data.draw(st.sampled_from([Record(base), "x", None, []]))
    decoder = compiled(view, accelerator)
    expected = [outcome(view.python_from_wire, item) for item in items]
    refused = [item for item in expected if item[0] == "refused"]
    try:
        decoded, uniform = decoder.decode_list(items)
    except cc.DecodeError as exc:
        assert refused and str(exc) == refused[0][1]
        return
    assert not refused
    for wire, got, want in zip(items, decoded, expected, strict=True):
        assert_same(view, ("decoded", got), want, wire)
    first = items[0] if items else None
    same = not items or (
        type(first) is dict and all(type(k) is str for k in first)
        and all(type(item) is dict and list(item) == list(first) for item in items)
    )
    assert uniform is same


def wire_items(document: Any):
    """Every dict in *document* that looks like a sample or an event."""
    return dicts_in(document, lambda d: "counter_name" in d or ("event_type" in d and "traits" in d))


def test_every_corpus_and_release_corpus_item_decodes_as_the_python_decoder_decodes_it(accelerator):
    checked = 0
    for path in sorted(path for corpus in CORPORA for path in corpus.rglob("*.json")):
        for item in wire_items(json.loads(path.read_text())):
            for view in VIEWS:
                if (view.schema.model is cc.Sample) == ("counter_name" in item):
                    assert_same(view, outcome(compiled(view, accelerator), item),
                                outcome(view.python_from_wire, item), item)
                    checked += 1
    assert checked > 50, f"only {checked} corpus items were found under {CORPORA}"


def test_the_models_decode_with_the_compiled_decoders_unless_pure_python_is_forced(accelerator):
    if _compiled_decoders.COMPILED_DECODERS is None:
        assert cc.Sample.from_wire is cc.Sample.__wire__.latest.python_from_wire
    else:
        assert type(cc.Sample.from_wire).__name__ == "Decoder"
        assert cc.Sample.from_wire.__wrapped__ is cc.Sample.__wire__.latest.python_from_wire


def test_a_value_to_convert_or_a_mapping_goes_to_the_python_decoder(accelerator):
    decoder = compiled(cc.Sample.__wire__.latest, accelerator)
    converted = decoder({**SAMPLE, "counter_volume": "2.5", "timestamp": "2024-06-20 09:32:36"})
    assert converted.counter_volume == 2.5 and converted.to_wire()["counter_volume"] == "2.5"
    record = Record(SAMPLE)
    assert decoder(record).received is record
    with pytest.raises(cc.DecodeError, match="counter_name: required field is missing"):
        decoder({k: v for k, v in SAMPLE.items() if k != "counter_name"})
    with pytest.raises(cc.DecodeError, match="expected an object"):
        decoder("not a dict")
    with pytest.raises(TypeError, match="takes a list"):
        decoder.decode_list((SAMPLE,))
    with pytest.raises(TypeError, match="one argument"):
        decoder(SAMPLE, SAMPLE)


def test_a_plan_it_cannot_take_keeps_the_python_decoder(accelerator):
    @attrs.define(slots=False)
    class Loose:
        counter_name: str = ""

    class View:
        schema = cc.Sample.__wire__
        fields = cc.Sample.__wire__.latest.fields
        keys = cc.Sample.__wire__.latest.keys
        decoded_at = None
        python_from_wire = staticmethod(cc.Sample.__wire__.latest.python_from_wire)

    assert _compiled_decoders.compiled_decoder(View, module=None) is None
    View.schema = type("Schema", (), {"model": Loose, "fields": View.fields, "deferred": frozenset()})
    assert _compiled_decoders.compiled_decoder(View, module=accelerator) is None
    with pytest.raises(TypeError, match="member descriptors"):
        accelerator.Decoder(cc.Sample, (("counter_name", None, (), (), 0, None, None),), (), print, None)
    with pytest.raises(ValueError, match="at most 64 fields"):
        accelerator.Decoder(cc.Sample, tuple(("k", None, (), (), 0, None, None) for _ in range(65)), (), print, None)


def test_decoders_and_decoded_objects_are_collected(accelerator):
    view = cc.Sample.__wire__.latest
    decoder = compiled(view, accelerator)
    before = len(gc.get_objects())
    for _ in range(2000):
        decoder.decode_list([dict(SAMPLE), dict(SAMPLE)])
        decoder(dict(SAMPLE))
    gc.collect()
    assert len(gc.get_objects()) - before < 200


def test_items_of_another_key_sequence_are_read_by_key(accelerator):
    decoder = compiled(cc.Sample.__wire__.latest, accelerator)
    first = dict(SAMPLE)
    reordered = dict(reversed(list(SAMPLE.items())))
    renamed = {("counter_unit_x" if k == "counter_unit" else k): v for k, v in SAMPLE.items()}
    decoded, uniform = decoder.decode_list([first, reordered, {**SAMPLE, "counter_unit": "B"}])
    assert uniform is False
    assert [s.counter_unit for s in decoded] == ["ns", "ns", "B"]
    assert [s.received for s in decoded] == [first, reordered, {**SAMPLE, "counter_unit": "B"}]
    decoded, uniform = decoder.decode_list([{**renamed, "counter_unit": "B"}, {**SAMPLE, "x": 1}])
    assert uniform is False and [s.counter_unit for s in decoded] == ["B", "ns"]


def counting_view(view):
    """*view* with a Python decoder that counts its calls."""
    calls = []

    def python_from_wire(wire):
        calls.append(wire)
        return view.python_from_wire(wire)

    return type("View", (), {"schema": view.schema, "fields": view.fields, "keys": view.keys,
                             "decoded_at": view.decoded_at, "python_from_wire": staticmethod(python_from_wire)}), calls


def on_the_fast_path(view, item) -> bool:
    """Whether every value of *item* is one the plan takes as it is (or coerces), every required key there."""
    for f in view.fields:
        if f.key not in item:
            if f.spec.required or f.key in view.schema.deferred:
                return False
            continue
        value = item[f.key]
        if f.key in view.schema.deferred and f.kind.deferrable(value):
            continue
        if type(value) not in (*f.kind.fast_classes, *(cls for cls, _builtin in f.kind.coercions)):
            return False
    return True


def test_what_ceilometer_sends_never_reaches_the_python_decoder(accelerator):
    """Text, numbers (an int volume is coerced), nulls, metadata and an event's traits take the compiled path."""
    items = [item for corpus in CORPORA for path in sorted(corpus.rglob("*.json"))
             for item in wire_items(json.loads(path.read_text()))]
    for model, base in ((cc.Sample, SAMPLE), (cc.Event, EVENT)):
        view, calls = counting_view(model.__wire__.latest)
        decoder = compiled(view, accelerator)
        plain = [item for item in [base, *items] if on_the_fast_path(view, item)]
        assert len(plain) > 5, f"only {len(plain)} {model.__name__} items to try"
        for item in plain:
            decoder(item)
        decoder.decode_list([dict(base) for _ in range(5)])
        assert calls == [], f"{len(calls)} of {len(plain)} {model.__name__} items were handed to the Python decoder"


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_payload_decoding_gives_what_decoding_each_item_gives(data):
    """``samples_from_payload`` and ``events_from_payload`` read a list with ``decode_list`` where it exists."""
    model, base, decode_payload = data.draw(st.sampled_from([(cc.Sample, SAMPLE, cc.samples_from_payload),
                                                             (cc.Event, EVENT, cc.events_from_payload)]))
    items = data.draw(st.lists(st.one_of(st.just(base), wire_dicts(base)), max_size=6))
    reference = model.__wire__.latest.python_from_wire
    expected: Any = []
    for index, item in enumerate(items):
        try:
            expected.append(reference(item))
        except cc.DecodeError as exc:
            expected = str(exc.at(f"[{index}]"))
            break
    try:
        decoded = decode_payload(items)
    except cc.DecodeError as exc:
        assert str(exc) == expected
        return
    assert not isinstance(expected, str), expected
    for wire, got, want in zip(items, decoded, expected, strict=True):
        assert_same(model.__wire__.latest, ("decoded", got), ("decoded", want), wire)

"""Traits checked at decode time and built on first read give what building them at once gave.

The reference is the per-trait construction (``_traits_one_by_one``, each
trait checked and built on its own). The traits kind's converter builds a
JSON-form list without checking each trait again; the mapping reader runs it
at decode time, while the plain-dict reader only checks the list
(``TRAITS.deferrable``) and the converter runs when the traits are first read.
"""

from __future__ import annotations

import copy
import json
import pickle

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ceilocompat as cc
from ceilocompat.models import TRAITS, ModelVersion, WireModel, wire_field, wire_model
from ceilocompat.models._deferred import UNREAD, is_unread
from ceilocompat.models._event import _traits_one_by_one
from conftest import CORPUS, corpus_json
from release_corpus import RELEASES

SECRET = "deferred traits secret"
HEAD = {"message_id": "m", "event_type": "compute.instance.update", "generated": "2012-05-08T20:24:14.824743"}


class Text(str):
    """A str subclass: a name the converter turns into plain text."""


class Received(dict):
    """A dict subclass: the generated decoder reads it with the mapping reader, which builds traits at once."""


names = st.text(max_size=8)
codes = st.integers(0, 4)
bad_codes = st.sampled_from([True, False, 1.0, "1", -1, 5, None, 2**70, [1]]) | st.integers()
values = st.none() | st.booleans() | st.integers() | st.floats() | names | st.lists(st.integers(), max_size=2)
json_triples = st.tuples(names, codes, values).map(list)
other_items = st.one_of(
    st.tuples(names, codes, values),  # tuples, as Python producers hand them over
    st.tuples(names, st.sampled_from(list(cc.TraitType)), values).map(list),
    st.tuples(names.map(Text), codes, values).map(list),
    st.builds(cc.Trait, names, codes, values),
    st.tuples(st.none() | st.integers() | st.binary(max_size=3), codes, values).map(list),
    st.tuples(names, bad_codes, values).map(list),
    st.lists(names | codes, max_size=5),
    st.dictionaries(st.sampled_from(["name", "dtype", "value"]), values),
    st.tuples(names, codes, st.none() | names).map(dict.fromkeys),  # iterates as a trait would
    st.none() | st.integers() | names,
)
trait_lists = st.lists(json_triples, max_size=12) | st.lists(json_triples | other_items, min_size=1, max_size=12)
trait_values = trait_lists | trait_lists.map(tuple) | st.none() | names | st.integers() | st.dictionaries(names, values)


def seen(traits) -> tuple:
    """Everything about decoded traits, values compared as the objects they are (a NaN equals itself)."""
    fields = [(type(t), type(t.name), t.name, type(t.dtype), t.dtype, t.value) for t in traits]
    return type(traits), fields, repr(traits)


def refusal(exc: cc.DecodeError) -> tuple:
    return ("refused", exc.path, exc.value, exc.reason)


def built_one_by_one(value) -> tuple:
    """What the per-trait construction gives for a traits value: the traits, or the refusal."""
    return converted_by(_traits_one_by_one, value)


def converted_by(convert, value) -> tuple:
    try:
        traits = convert(value, "traits")
    except cc.DecodeError as exc:
        return refusal(exc)
    return ("decoded", seen(traits))


def decoded_by(from_wire, wire) -> tuple:
    """What decoding *wire* gives: a refusal must come from decoding itself, before any read."""
    try:
        event = from_wire(wire)
    except cc.DecodeError as exc:
        return refusal(exc)
    return ("decoded", seen(event.traits))


@settings(max_examples=400, deadline=None)
@given(trait_values)
def test_both_readers_decode_traits_as_the_per_trait_construction(value):
    expected = built_one_by_one(value)
    assert converted_by(TRAITS.convert, value) == expected
    assert decoded_by(cc.Event.from_wire, {**HEAD, "traits": value}) == expected
    assert decoded_by(cc.Event.from_wire, Received({**HEAD, "traits": value})) == expected


@settings(max_examples=400, deadline=None)
@given(trait_values)
def test_the_check_passes_only_values_the_per_trait_construction_accepts(value):
    if TRAITS.deferrable(value):
        _traits_one_by_one(value, "traits")


@settings(max_examples=200, deadline=None)
@given(st.lists(json_triples, max_size=12))
def test_json_form_traits_are_left_unread_by_decoding(traits):
    """The check passes traits as they come out of JSON, so decoding builds no Trait."""
    wire = json.loads(json.dumps({**HEAD, "traits": traits}))
    assert TRAITS.deferrable(wire["traits"])
    event = cc.Event.from_wire(wire)
    assert is_unread(event, "traits")
    assert event.to_wire() == wire and is_unread(event, "traits"), "passed on unread, still unread"
    assert seen(event.traits) == seen(_traits_one_by_one(wire["traits"], "traits")) and not is_unread(event, "traits")


def eager(wire: dict) -> cc.Event:
    """*wire* decoded by the mapping reader, which builds the traits at once."""
    event = cc.Event.from_wire(Received(wire))
    assert not is_unread(event, "traits")
    return event


def unpickled(event: cc.Event) -> cc.Event:
    return pickle.loads(pickle.dumps(event))  # noqa: S301  the test's own object


#: Everything a user may do with an event, each on an event fresh from decoding.
USES = {
    "equality": lambda e, other: e == other,
    "repr": lambda e, other: repr(e),
    "traits": lambda e, other: (e.traits, hash(e.traits), len(e.traits), list(e.traits)),
    "trait lookup": lambda e, other: [e.trait(t.name) for t in other.traits] + [e.trait("absent", "d")],
    "to_wire": lambda e, other: e.to_wire(),
    "to_wire signed": lambda e, other: e.to_wire(secret=SECRET),
    "to_wire signed, verified": lambda e, other: cc.verify_signature(e.to_wire(secret=SECRET), SECRET),
    "pickle": lambda e, other: unpickled(e) == other,
    "pickle, traits": lambda e, other: unpickled(e).traits,
    "copy": lambda e, other: (copy.copy(e) == other, copy.deepcopy(e).traits),
    "evolve": lambda e, other: attrs.evolve(e, message_id="another").to_wire(),
    "evolve, traits": lambda e, other: attrs.evolve(e, event_type="another").traits,
    "asdict": lambda e, other: attrs.asdict(e),
    "astuple": lambda e, other: attrs.astuple(e),
    "assignment": lambda e, other: (setattr(e, "traits", (cc.Trait("n", 1, "v"),)), e.to_wire(), e.traits),
}


def outcome(use, event: cc.Event, reference: cc.Event):
    try:
        return use(event, reference)
    except Exception as exc:  # noqa: BLE001  an error is an outcome to compare, e.g. hashing a list value
        return type(exc), str(exc)


def assert_used_alike(wire: dict) -> None:
    for name, use in USES.items():
        reference = eager(wire)
        deferred = cc.Event.from_wire(wire)
        assert is_unread(deferred, "traits")
        assert outcome(use, deferred, reference) == outcome(use, reference, reference), name


@settings(max_examples=100, deadline=None)
@given(st.lists(json_triples.filter(lambda t: t[2] == t[2]), max_size=6))  # NaN is not equal to itself
def test_an_unread_event_is_used_as_one_built_at_once(traits):
    assert_used_alike(json.loads(json.dumps({**HEAD, "traits": traits, "raw": {}, "message_signature": ""})))


def corpus_events() -> list:
    events = [(name, corpus_json(name)) for name in sorted(p.name for p in CORPUS.glob("event-*.json"))]
    for release in RELEASES:
        events += [
            (f"{release['tag']}-py{release['python']}:{p['id']}", json.loads(p["json"]))
            for p in release["payloads"]
            if p["kind"] == "event"
        ]
    return events


CORPUS_EVENTS = corpus_events()


def test_the_corpus_has_events_of_every_release():
    assert len(CORPUS_EVENTS) >= 100 and len({name.split(":")[0] for name, _ in CORPUS_EVENTS}) >= 20


@pytest.mark.parametrize("name,wire", CORPUS_EVENTS, ids=[name for name, _ in CORPUS_EVENTS])
def test_corpus_events_decode_as_built_at_once(name, wire):
    wire = {key: value for key, value in wire.items() if not key.startswith("_")}
    deferred = cc.Event.from_wire(wire)
    assert is_unread(deferred, "traits"), "a real event takes the checked path"
    assert deferred.to_wire() == eager(wire).to_wire() == wire
    assert deferred == eager(wire)
    assert_used_alike(wire)


def test_python_built_events_build_their_traits_at_once():
    event = cc.Event(**HEAD, traits=[["n", 2, 5], ("t", cc.TraitType.TEXT, "v")])
    assert not is_unread(event, "traits")
    assert event.traits == (cc.Trait("n", 2, 5), cc.Trait("t", 1, "v"))


def test_a_trait_list_changed_after_decoding_is_read_as_changed():
    """As for every nested value, the event shares the received list rather than copying it."""
    wire = {**HEAD, "traits": [["state", 1, "active"]]}
    event = cc.Event.from_wire(wire)
    wire["traits"][0][2] = "deleted"
    assert event.trait("state") == "deleted"


def test_the_slot_never_shows_unread():
    event = cc.Event.from_wire({**HEAD, "traits": [["n", 1, "v"]]})
    assert UNREAD not in attrs.astuple(event, recurse=False)
    assert repr(UNREAD) == "UNREAD"


def test_a_model_without_slots_converts_at_once():
    @wire_model("slotless", (ModelVersion("1.0", release="2015.1.0"),))
    @attrs.define(slots=False, kw_only=True)
    class Slotless(WireModel):
        traits: tuple = wire_field(TRAITS, since="1.0", default_factory=tuple)

    assert Slotless.__wire__.deferred == frozenset()
    decoded = Slotless.from_wire({"traits": [["n", 1, "v"]]})
    assert decoded.traits == (cc.Trait("n", 1, "v"),)
    with pytest.raises(cc.DecodeError) as info:
        Slotless.from_wire({"traits": [["n", True, "v"]]})
    assert info.value.path == "traits[0][1]"


def test_a_subclass_of_a_model_keeps_the_deferred_traits():
    @wire_model("annotated_event", cc.Event.__wire__.versions)
    @attrs.define(kw_only=True, on_setattr=attrs.setters.NO_OP)
    class AnnotatedEvent(cc.Event):
        pass

    event = AnnotatedEvent.from_wire({**HEAD, "traits": [["n", 1, "v"]]})
    assert AnnotatedEvent.__wire__.deferred == {"traits"} and is_unread(event, "traits")
    assert event.traits == (cc.Trait("n", 1, "v"),)

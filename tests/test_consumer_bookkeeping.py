"""A consumer's per-message bookkeeping counts exactly what counting item by item counts."""

from __future__ import annotations

import collections
import json

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

import ceilocompat as cc
from ceilocompat import routing
from ceilocompat._consumers import CompatBatchEndpoint, CompatEndpoint, ConsumerPolicy
from ceilocompat._key_shapes import KeyShapes
from ceilocompat._payload import decode_each

SCHEMA = cc.Sample.__wire__
FULL = cc.Sample(counter_name="cpu", counter_type="gauge", counter_unit="%", counter_volume=1, resource_id="r",
                 timestamp="2026-01-01T00:00:00", user_name="alice", project_name="demo",
                 publisher_id="telemetry.publisher.h1", monotonic_time=1.0).to_wire()
OPTIONAL = [key for key in FULL if not SCHEMA.latest.fields[SCHEMA.keys().index(key)].spec.required]


def reference(wires: list) -> tuple[dict, dict]:
    """Generations and unknown keys counted one item at a time, as a consumer counted them before."""
    generations = collections.Counter(SCHEMA.generation_of(w) for w in wires)
    unknown = collections.Counter(k for w in wires for k in w if k not in SCHEMA.latest.keys)
    return dict(generations), dict(unknown)


def call(endpoint, payload, message_id="m-1"):
    return getattr(endpoint, endpoint.route.priority)({}, "p", "metering", payload,
                                                     {"message_id": message_id, "timestamp": "t"})


def test_one_item_unlike_the_others_in_a_message_is_counted_as_itself():
    wires = [dict(FULL) for _ in range(50)]
    swapped = {k: v for k, v in FULL.items() if k != "publisher_id"}
    wires[17] = {**swapped, "carbon": 1}  # as many keys as the others, one of them unknown
    wires[30] = {k: v for k, v in FULL.items() if k not in ("user_name", "project_name", "publisher_id")}
    wires[49] = {"carbon": 2, **FULL}  # the same keys plus one, in another order
    payload = json.loads(json.dumps({"samples": wires}))  # one parse: the dicts share their key objects
    endpoint = CompatEndpoint(routing.POLLING_ROUTE, lambda items, d: None)
    call(endpoint, payload)
    snap = endpoint.counters.snapshot()
    assert (snap["generations"], snap["unknown_keys"]) == reference(payload["samples"])
    assert snap["generations"] == {"1.2": 49, "1.1": 1} and snap["unknown_keys"] == {"carbon": 2}


key_sets = st.lists(st.sampled_from(OPTIONAL + ["carbon", "labels"]), unique=True).map(
    lambda keys: {**{k: v for k, v in FULL.items() if k not in OPTIONAL}, **{k: FULL.get(k, 0) for k in keys}})


@settings(max_examples=200, deadline=None)
@given(st.lists(key_sets, min_size=1, max_size=8), st.lists(st.integers(0, 7), max_size=30), st.booleans())
def test_tallies_equal_counting_item_by_item(shapes, picks, through_json):
    wires = [dict(shapes[i % len(shapes)]) for i in picks] or [dict(shapes[0])]
    if through_json:
        wires = json.loads(json.dumps(wires))
    assert KeyShapes(SCHEMA, size=2).tally(wires) == reference(wires)
    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, lambda items, d: None)
    call(endpoint, wires)
    snap = endpoint.counters.snapshot()
    assert (snap["generations"], snap["unknown_keys"]) == reference(wires)
    assert snap["decoded"] == snap["handled"] == len(wires)


def test_decode_each_names_every_bad_item_and_keeps_the_good_ones_in_order():
    good = [dict(FULL, counter_volume=i) for i in range(6)]
    payload = [{"x": 0}, good[0], good[1], "not a dict", good[2], good[3], good[4], good[5], {"counter_name": 1}]
    items, rejected, wires, _uniform = decode_each({"samples": payload}, cc.Sample.from_wire)
    assert [r.index for r in rejected] == [0, 3, 8]
    assert [r.error.path.split(".")[0] for r in rejected] == ["samples[0]", "samples[3]", "samples[8]"]
    assert [s.counter_volume for s in items] == [0, 1, 2, 3, 4, 5]
    assert all(w is s.received for w, s in zip(wires, items, strict=True))


def test_a_decoder_that_raises_leaves_the_message_counted_and_dead_lettered():
    dead = []

    class Broken(Exception):
        pass

    def explode(_wire):
        raise Broken("kind bug")

    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, lambda items, d: None,
                              policy=ConsumerPolicy(max_tries=1, dead_letter=dead.append))
    endpoint._planned = (endpoint.policy, explode, None)
    assert call(endpoint, [FULL]) == "handled"
    snap = endpoint.counters.snapshot()
    assert (snap["messages"], snap["decoded"], snap["handler_errors"]) == (1, 0, 1)
    assert snap["event_types"] == {"metering": 1}
    assert dead[0].reason == "handler" and "kind bug" in dead[0].detail


def test_a_replaced_policy_is_planned_again():
    got = []
    endpoint = CompatBatchEndpoint(routing.SAMPLE_ROUTE, lambda items, d: got.extend(items))
    nameless = {**FULL, "resource_id": None}
    endpoint.sample([{"ctxt": {}, "publisher_id": "p", "event_type": "metering", "payload": [nameless],
                      "metadata": {"message_id": "a", "timestamp": "t"}}])
    endpoint.policy = attrs.evolve(endpoint.policy, require_resource_id=True, dead_letter=lambda d: None)
    endpoint.sample([{"ctxt": {}, "publisher_id": "p", "event_type": "metering", "payload": [nameless],
                      "metadata": {"message_id": "b", "timestamp": "t"}}])
    assert len(got) == 1 and endpoint.counters.snapshot()["rejected"] == {"decode": 1}

"""Samples without a resource id: handed over by default, rejected with ``ConsumerPolicy(require_resource_id=True)``."""

from __future__ import annotations

import pytest

import ceilocompat as cc
from ceilocompat import routing
from ceilocompat._consumers import CompatBatchEndpoint, CompatEndpoint, ConsumerPolicy, _RequiringResourceId
from ceilocompat._payload import decode_each
from compiled import built_or_skip
from test_consumers import Collect, call

SECRET = "not-so-secret"


def wire(resource_id, volume=1) -> dict:
    """A sample as Ceilometer publishes it, resource id null or not, signed."""
    message = {"source": "openstack", "counter_name": "unknown.meter", "counter_type": "gauge", "counter_unit": "GB",
               "counter_volume": volume, "user_id": "u", "project_id": "p", "resource_id": resource_id,
               "timestamp": "2014-05-08 20:23:48.028195", "resource_metadata": {}, "message_id": f"id-{volume}"}
    return {**message, "message_signature": cc.compute_signature(message, SECRET)}


def test_by_default_a_null_resource_id_reaches_the_handler():
    handler = Collect()
    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, handler,
                              policy=ConsumerPolicy(signatures="verify", secret=SECRET))
    assert call(endpoint, [wire(None), wire("vm-1", 2)]) == "handled"
    assert [s.resource_id for s in handler.items] == [None, "vm-1"]
    assert endpoint.counters.snapshot()["rejected"] == {}


def test_a_consumer_that_needs_a_resource_id_dead_letters_the_sample_and_handles_the_rest():
    dead, handler = [], Collect()
    policy = ConsumerPolicy(require_resource_id=True, dead_letter=dead.append)
    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, handler, policy=policy)
    nameless = wire(None)
    assert call(endpoint, [wire("vm-1", 2), nameless]) == "handled"
    assert [s.resource_id for s in handler.items] == ["vm-1"]
    (letter,) = dead
    assert letter.reason == "decode" and letter.raw is nameless
    assert letter.detail == "[1].resource_id: is null, and this consumer requires a resource id (got None)"
    snap = endpoint.counters.snapshot()
    assert snap["rejected"] == {"decode": 1} and snap["handled"] == 1 and snap["decoded"] == 1


def test_the_rejected_item_is_named_inside_a_polling_batch_and_by_batch_endpoints():
    dead = []
    policy = ConsumerPolicy(require_resource_id=True, on_bad_input="dead-letter", dead_letter=dead.append)
    endpoint = CompatEndpoint(routing.POLLING_ROUTE, Collect(), policy=policy)
    call(endpoint, {"samples": [wire(None)]}, event_type="telemetry.polling")
    assert dead[-1].detail.startswith("samples[0].resource_id: is null")
    batch = CompatBatchEndpoint(routing.SAMPLE_ROUTE, Collect(), policy=policy)
    batch.sample([{"ctxt": {}, "publisher_id": "p", "event_type": "metering", "payload": [wire(None)],
                   "metadata": {"message_id": "m-2", "timestamp": "t"}}])
    assert dead[-1].detail.startswith("[0].resource_id: is null") and len(dead) == 2


def test_a_list_is_decoded_at_once_by_the_compiled_decoder_and_a_null_among_many_is_still_named():
    built_or_skip(getattr(cc.Sample.from_wire, "decode_list", None), "_decoder_accel")
    reader = _RequiringResourceId(cc.Sample.from_wire)
    good = [wire(f"vm-{n}", n) for n in range(1, 7)]
    items, rejected, wires, uniform = decode_each(good, reader)
    assert uniform is True and wires is good and rejected == []  # one decode_list call read them all
    assert [s.resource_id for s in items] == [f"vm-{n}" for n in range(1, 7)]
    mixed = [*good[:3], wire(None, 9), *good[3:], wire(None, 10)]
    items, rejected, wires, uniform = decode_each(mixed, reader)
    assert [(r.index, r.error.path) for r in rejected] == [(3, "[3].resource_id"), (7, "[7].resource_id")]
    assert [s.resource_id for s in items] == [f"vm-{n}" for n in range(1, 7)] and uniform is None
    assert wires == good


def test_without_a_compiled_decoder_the_reader_decodes_item_by_item():
    reader = _RequiringResourceId(cc.Sample.at(cc.Sample.__wire__.versions[-1].number).python_from_wire)
    assert not hasattr(reader, "decode_list")
    items, rejected, _wires, uniform = decode_each([wire("vm-1"), wire(None, 2)], reader)
    assert [s.resource_id for s in items] == ["vm-1"] and [r.index for r in rejected] == [1] and uniform is None


def test_dropping_is_the_other_choice():
    endpoint = CompatEndpoint(routing.SAMPLE_ROUTE, Collect(),
                              policy=ConsumerPolicy(require_resource_id=True, on_bad_input="drop"))
    call(endpoint, [wire(None)])
    assert endpoint.counters.snapshot()["dropped"] == 1


def test_events_have_no_resource_id_and_are_not_affected():
    handler = Collect()
    endpoint = CompatEndpoint(routing.EVENT_ROUTE, handler, policy=ConsumerPolicy(require_resource_id=True))
    event = {"message_id": "e-1", "event_type": "compute.instance.delete.end", "generated": "2026-01-01T00:00:00",
             "traits": [], "raw": {}, "message_signature": ""}
    assert call(endpoint, [event], event_type="event") == "handled"
    assert len(handler.items) == 1


def test_the_option_is_a_boolean():
    with pytest.raises(TypeError, match="require_resource_id"):
        ConsumerPolicy(require_resource_id="yes")

"""Decoding touches only the keys a model knows, so unknown keys cost nothing.

Not a timing: every access the decoder makes is recorded, on an instrumented
mapping for the mapping reader and by reading the generated source for the
plain-dict reader (a dict subclass would not take that path).
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Mapping

import pytest

import ceilocompat as cc
from ceilocompat.models import ModelView

UNKNOWN = {f"added_by_a_newer_release_{i}": [i, {"deep": i}] for i in range(100)}


class RecordingMapping(Mapping):
    """A read-only mapping that records every way it is read."""

    def __init__(self, data: dict) -> None:
        self._data = data
        self.reads: list[tuple[str, object]] = []

    def __getitem__(self, key):
        self.reads.append(("[]", key))
        return self._data[key]

    def get(self, key, default=None):
        self.reads.append(("get", key))
        return self._data.get(key, default)

    def __contains__(self, key):
        self.reads.append(("in", key))
        return key in self._data

    def __iter__(self):
        self.reads.append(("iter", None))
        return iter(self._data)

    def __len__(self):
        self.reads.append(("len", None))
        return len(self._data)


class UntouchableDict(dict):
    """A nested dict that fails the test if anything looks inside it."""

    def _touched(self, *args, **kwargs):
        raise AssertionError("the decoder looked inside a nested value")

    __iter__ = __len__ = __getitem__ = get = keys = items = values = __contains__ = copy = _touched


def views() -> list[ModelView]:
    return [model.at(v.number) for model in (cc.Sample, cc.Event) for v in model.__wire__.versions]


def full_payload(model: type, nested: type = UntouchableDict) -> dict:
    """Every key the model has ever had; nested dicts of class *nested*."""
    wire = {
        cc.Sample: {
            "source": "openstack", "counter_name": "cpu", "counter_type": "cumulative", "counter_unit": "ns",
            "counter_volume": 2, "user_id": "u", "user_name": None, "project_id": "p", "project_name": "n",
            "resource_id": "r", "timestamp": "2024-06-20T09:32:36.521082",
            "resource_metadata": nested(flavor={"id": "x"}), "message_id": "m",
            "monotonic_time": None, "publisher_id": "telemetry.publisher.x", "message_signature": "sig",
        },
        cc.Event: {
            "message_id": "m", "event_type": "compute.instance.delete.start", "generated": "2012-05-08T20:24:14",
            "traits": [["state", 1, "active"], ["vcpus", 2, 1]], "raw": nested(payload={}),
            "message_signature": "sig",
        },
    }[model]
    assert set(wire) == set(model.__wire__.keys()), "the payload must carry every key the model has had"
    return wire


@pytest.mark.parametrize("view", views(), ids=repr)
def test_mapping_reader_reads_each_known_key_once_and_nothing_else(view):
    wire = RecordingMapping({**full_payload(view.schema.model), **UNKNOWN})
    decoded = view.from_wire(wire)
    read_keys = [key for _how, key in wire.reads]
    assert all(how in ("get", "[]") for how, _key in wire.reads), wire.reads  # no iteration, len or membership
    assert sorted(read_keys) == sorted(view.keys)  # each known key once, no unknown key
    assert decoded.received is wire  # kept by reference, not copied


@pytest.mark.parametrize("view", views(), ids=repr)
def test_dict_reader_source_reads_only_known_keys(view):
    """The plain-dict reader uses ``d`` only for lookups of known constant keys."""
    tree = ast.parse(view.from_wire.__source__)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    looked_up = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Name) and node.id == "d"):
            continue
        parent = parents[node]
        if isinstance(parent, ast.Subscript) and isinstance(parent.slice, ast.Constant):
            looked_up.append(parent.slice.value)
        elif isinstance(parent, ast.Attribute) and parent.attr == "get":
            call = parents[parent]
            assert isinstance(call.args[0], ast.Constant), ast.unparse(call)
            looked_up.append(call.args[0].value)
        elif (isinstance(parent, ast.Attribute) and parent.attr == "__class__") or (
            isinstance(parent, ast.Call) and parent.func.id in ("from_mapping", "_as_mapping")
        ):
            pass
        elif isinstance(parent, (ast.Assign, ast.arguments, ast.arg)):
            pass  # d = _as_mapping(d); self._wire = d
        else:
            pytest.fail(f"the decoder uses the received dict in {ast.unparse(parent)!r}")
    assert set(looked_up) == set(view.keys)


@pytest.mark.parametrize("view", views(), ids=repr)
def test_both_readers_decode_alike(view):
    data = {**full_payload(view.schema.model, nested=dict), **UNKNOWN}
    from_dict = view.from_wire(data)
    from_mapping = view.from_wire(RecordingMapping(data))
    assert {f.key: getattr(from_dict, f.key) for f in view.fields} == {
        f.key: getattr(from_mapping, f.key) for f in view.fields
    }
    assert from_dict.received is data


def test_a_missing_required_key_in_a_plain_dict_is_named():
    wire = {key: value for key, value in full_payload(cc.Sample).items() if key != "resource_id"}
    with pytest.raises(cc.DecodeError, match="resource_id: required field is missing"):
        cc.Sample.from_wire(wire)


@pytest.mark.parametrize("volume", [2, -3, 2**53 + 1, 10**400, True, "2", None, 1.5])
@pytest.mark.parametrize("reader", [dict, RecordingMapping], ids=["dict", "mapping"])
def test_inline_coercions_decode_as_the_kind_converts(volume, reader):
    from ceilocompat.models import VOLUME

    wire = reader({**full_payload(cc.Sample, nested=dict), "counter_volume": volume})
    try:
        expected = volume if type(volume) is float else VOLUME.convert(volume, "counter_volume")
    except cc.DecodeError as exc:
        with pytest.raises(cc.DecodeError, match=re.escape(exc.reason)):
            cc.Sample.from_wire(wire)
        return
    decoded = cc.Sample.from_wire(wire).counter_volume
    assert decoded == expected and type(decoded) is type(expected)


def test_generated_decoders_are_readable_by_tracebacks_and_tools():
    """Like attrs' generated methods, decoders register their source with linecache."""
    import linecache
    import traceback

    view = cc.Sample.at("1.0")
    assert inspect.getsource(view.from_wire).startswith("def from_wire(d):")
    filename = inspect.unwrap(view.from_wire).__code__.co_filename  # a compiled decoder wraps the generated one
    assert filename.startswith("<ceilocompat sample") and linecache.getline(filename, 1).startswith("def from_wire")

    class Exploding(dict):  # a mapping whose lookups fail inside the generated code
        def get(self, key, default=None):
            raise RuntimeError("boom")

    try:
        view.from_wire(Exploding(counter_name="cpu"))
    except Exception as exc:  # noqa: BLE001 - any failure will do, its traceback is the point
        text = "".join(traceback.format_exception(exc))
    else:
        raise AssertionError("the exploding mapping was not read")
    assert f'File "{filename}"' in text and "d.get(" in text, text


def test_decoders_of_different_views_have_different_file_names():
    names = {inspect.unwrap(v.from_wire).__code__.co_filename for v in views()}
    assert len(names) == len(views())

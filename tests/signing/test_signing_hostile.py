"""Hostile input signs on the compiled path exactly as on the reference.

Deep nesting, huge texts, keys that are not text, objects whose ``str()``
raises or counts its calls: for each, both implementations give the same
digest or raise the same class of exception, and Python code inside the
message runs as often on one as on the other. Nothing here may crash the
interpreter.
"""

from __future__ import annotations

import collections
import types

import pytest

import ceilocompat as cc
from ceilocompat import _signing as signing
from signing.implementations import compiled_or_skip, outcome


@pytest.fixture(scope="module")
def compiled():
    return compiled_or_skip()


def assert_same(compiled, message, secret="k"):
    """Both implementations agree on all three functions; returns the reference's digest."""
    results = []
    for implementation in (signing.PYTHON, compiled):
        results.append(
            (
                outcome(implementation.compute_signature, message, secret),
                outcome(implementation.compute_legacy_signature, message, secret),
                outcome(implementation.verify_signature, message, secret, False),
                outcome(implementation.verify_signature, message, secret, True),
            )
        )
    assert results[0] == results[1], message if len(repr(message)) < 2000 else type(message)
    return results[0][0]


def nested_dicts(depth):
    message = leaf = {}
    for level in range(depth):
        leaf["k"] = {"v": level}
        leaf = leaf["k"]
    return message


def nested_lists(depth, item="x"):
    value = [item]
    for _ in range(depth):
        value = [value, 1]
    return value


@pytest.mark.parametrize("depth", [1, 30, 31, 32, 33, 34, 40, 200, 5000])
def test_deeply_nested_dicts(compiled, depth):
    assert len(assert_same(compiled, {"a": nested_dicts(depth), "message_signature": "x"})) == 64


@pytest.mark.parametrize("depth", [1, 30, 31, 32, 33, 34, 40, 200, 5000])
def test_deeply_nested_lists(compiled, depth):
    assert_same(compiled, {"a": nested_lists(depth)})
    assert_same(compiled, {"a": [{"b": nested_lists(depth)}]})


def test_deep_lists_beyond_what_python_prints_are_refused(compiled):
    assert assert_same(compiled, {"a": nested_lists(5000)}) is cc.DecodeError


def test_self_containing_list(compiled):
    loop = ["x"]
    loop.append(loop)
    assert assert_same(compiled, {"a": loop}) is cc.DecodeError


def test_self_containing_dicts_are_refused_not_walked_forever(compiled):
    message = {"a": 1}
    message["self"] = message
    inner = {"c": 1}
    inner["d"] = {"e": inner}
    for hostile in (message, {"a": {"b": inner}}):
        results = assert_same(compiled, hostile)
        assert results is cc.DecodeError


def test_a_dict_met_twice_but_not_inside_itself_signs(compiled):
    shared = nested_dicts(40)
    assert len(assert_same(compiled, {"a": shared, "b": {"c": shared}})) == 64


@pytest.mark.parametrize(
    "value",
    ["x" * 10_000_000, "é" * 1_000_000, "\U0001f600" * 500_000, ["'\"\\\x00é" * 500_000], [["x" * 1_000_000] * 8]],
    ids=["ascii-10M", "latin-1M", "astral-500k", "quotes-in-list", "rows"],
)
def test_huge_texts(compiled, value):
    assert len(assert_same(compiled, {"a": value, "b": {"c": value}})) == 64


@pytest.mark.parametrize(
    "message",
    [
        {1: "a"},
        {1: "a", "b": 2},
        {(1, 2): "x", (0, 3): "y"},
        {None: 1},
        {1.5: 1, 2: 2, True: 3},
        {b"k": 1},
        {"a": {1: 2}},
        {"a": {1: 2, "b": 3}},
        {"a": [{1: "x"}]},
        {"a": [{1: "x", "y": 2}]},
        {"a": [{b"k": "v", "k": "v"}]},
        {"a": [{(1,): "x"}]},
        {frozenset(): 1},
    ],
)
def test_keys_that_are_not_text(compiled, message):
    assert_same(compiled, message)


class Counted:
    """An object whose str() and repr() count their calls (and may raise)."""

    def __init__(self, raises=None):
        self.calls = 0
        self.raises = raises

    def __str__(self):
        self.calls += 1
        if self.raises:
            raise self.raises("from __str__")
        return "counted"

    __repr__ = __str__


@pytest.mark.parametrize("raises", [None, RuntimeError, ValueError, TypeError, UnicodeDecodeError.__base__, KeyError])
@pytest.mark.parametrize("where", ["top", "nested", "in a list", "in a dict in a list", "after a surrogate"])
def test_objects_whose_str_raises_or_counts(compiled, raises, where):
    calls = []
    for implementation in (signing.PYTHON, compiled):
        counted = Counted(raises)
        message = {
            "top": {"a": counted},
            "nested": {"a": {"b": {"c": counted}}},
            "in a list": {"a": ["x", 1, counted]},
            "in a dict in a list": {"a": [{"k": counted}]},
            "after a surrogate": {"a": "\ud800", "b": counted},
        }[where]
        result = outcome(implementation.compute_signature, message, "k")
        calls.append((result, counted.calls))
    assert calls[0] == calls[1]


class Text(str):
    def __str__(self):
        return "other"


class Number(int):
    def __str__(self):
        return "other"


class Real(float):
    def __repr__(self):
        return "other"


class Items(list):
    pass


class Table(dict):
    def __getitem__(self, key):
        return "other"


@pytest.mark.parametrize(
    "message",
    [
        {"a": Text("x")},
        {"a": [Text("x")]},
        {Text("a"): 1},
        {"a": Number(1)},
        {"a": [Number(1)]},
        {"a": Real(1.5)},
        {"a": [Real(1.5)]},
        {"a": Items(["x"])},
        {"a": [Items(["x"])]},
        {"a": Table(b=1)},
        {"a": [Table(b=1)]},
        {"message_signature": Table(b=1)},
        {"message_signature": {"b": 1}},
        {"message_signature": {}},
        {"message_signature": ["x"], "a": 1},
        {"message_signature": Counted(RuntimeError)},
        {"message_signature": [Counted(RuntimeError), {1: "x", "y": 2}]},
        {"message_signature": [{1: "x", "y": 2}]},
        {"message_signature": (b"\xff",)},
        {"message_signature": [Items(["x"])]},
        {"a": True, "b": [False, None, True]},
        {"a": float("nan"), "b": [float("inf"), -float("inf"), -0.0]},
        {"a": 10**5000},
        {"a": [10**5000]},
        {"a": 2**64, "b": [-(2**64), 2**63, -(2**63)]},
        {"a": "\ud800"},
        {"\udcff": 1},
        {"a": ["\ud800"]},
        {"a": [{"\ud800": 1}]},
        {"a": [b"\xff"]},
        {"a": [b"ok", bytearray(b"x"), memoryview(b"y")]},
        {"a": b"top-level bytes"},
        {"a": types.SimpleNamespace(x=1)},
        {"a": collections.OrderedDict(b=1)},
        {"a": {}},
        {},
    ],
)
def test_values_of_other_classes(compiled, message):
    assert_same(compiled, message)


@pytest.mark.parametrize(
    "message",
    [
        types.MappingProxyType({"a": 1, "b": {"c": [["n", 1, "v"]]}, "message_signature": "x"}),
        collections.OrderedDict(a=1, b=[1]),
        Table(a=1),
        ["not", "a", "mapping"],
        None,
        "text",
    ],
)
def test_messages_that_are_not_plain_dicts(compiled, message):
    assert_same(compiled, message)


@pytest.mark.parametrize("secret", [None, 0, 123, "\ud800", bytearray(b"k"), Text("k"), "", b""])
def test_secrets_of_other_kinds(compiled, secret):
    assert_same(compiled, {"a": 1, "message_signature": "x"}, secret)


def test_the_module_refuses_wrong_calls_with_a_clear_error(compiled):
    from ceilocompat import _signing_accel

    with pytest.raises(TypeError, match="takes 3 arguments"):
        _signing_accel.signature({"a": 1}, "k")
    with pytest.raises(TypeError, match="takes 3 arguments"):
        _signing_accel.verify({"a": 1})

    class Undecided:
        def __bool__(self):
            raise RuntimeError("no answer")

    with pytest.raises(RuntimeError, match="no answer"):
        _signing_accel.signature({"a": 1}, "k", Undecided())

"""The compiled key-sequence check answers as the pure-Python reference does.

Skipped where the accelerator was not built, unless
``CEILOCOMPAT_REQUIRE_COMPILED=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ceilocompat import _key_shapes
from compiled import built_or_skip


@pytest.fixture(scope="module")
def same_keys():
    return built_or_skip(_key_shapes._compiled_same_keys(), "_key_shapes_accel")


texts = st.sampled_from(["a", "b", "c", "counter_name", "é", ""])
keys = st.one_of(texts, texts, st.integers(0, 2), st.booleans())
dicts = st.dictionaries(keys, st.none(), max_size=4)


@settings(max_examples=500, deadline=None)
@given(st.lists(dicts, max_size=6), st.lists(keys, max_size=5, unique=True), st.booleans(), st.booleans())
def test_the_compiled_check_answers_as_the_reference(same_keys, wires, expected, through_json, as_tuple):
    if through_json:  # text keys shared by the dicts of one document, as a consumer gets them
        wires = json.loads(json.dumps([{str(k): v for k, v in w.items()} for w in wires]))
        expected = [str(k) for k in expected]
    items = tuple(wires) if as_tuple else wires
    reference = _key_shapes._same_keys(items, expected)
    if all(type(k) is str for w in wires for k in w) and all(type(k) is str for k in expected):
        assert same_keys(items, expected) is reference
    else:  # any other key may only send the tally shape by shape, never claim a shape that is not there
        assert same_keys(items, expected) is False or reference


def test_equal_text_keys_that_are_not_the_same_objects_match(same_keys):
    built = "".join(["counter", "_name"])
    assert built is not "counter_name"  # noqa: F632 - the point is that they are two objects
    assert same_keys([{built: 1}, {"counter_name": 2}], ["counter_name"]) is True
    assert same_keys([{"counter_name": 1}, {"counter_name": 2, "x": 3}], ["counter_name"]) is False


def test_what_is_not_a_list_of_dicts_is_not_one_shape(same_keys):
    class Text(str):
        def __eq__(self, other):
            raise AssertionError("a comparison ran Python code")

        __hash__ = str.__hash__

    assert same_keys([{Text("a"): 1}], ["a"]) is False
    assert same_keys([{"a": 1}, ["a"]], ["a"]) is False
    assert same_keys(iter([{"a": 1}]), ["a"]) is False
    with pytest.raises(TypeError, match="a list of keys"):
        same_keys([{"a": 1}], ("a",))


def test_the_tally_runs_the_compiled_check_where_it_was_built(same_keys):
    assert (_key_shapes.SAME_KEYS is same_keys) != _key_shapes.pure_python_forced()

"""The fast signing path gives Ceilometer's signatures exactly (interop extra).

``ceilocompat._signing`` renders recurring message shapes from cached plans
and templates. Whatever it has cached, every signature must be the one the
real ``ceilometer.publisher.utils`` computes, and a message Ceilometer cannot
sign must be refused (``DecodeError``), never signed differently.

These tests go through the public functions, so through the implementation
chosen at import (``CEILOCOMPAT_PURE_PYTHON``); ``tests/signing`` compares
both implementations directly.
"""

from __future__ import annotations

import types

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ceilocompat as cc
from ceilocompat import _signing as signing
from signing.messages import SECRETS, messages

pytestmark = pytest.mark.interop


def outcome(sign, message, secret):
    """The signature, or ``"refused"`` when the message cannot be signed."""
    try:
        return sign(message, secret)
    except cc.DecodeError:
        return "refused"
    except (TypeError, ValueError, RecursionError):  # how Ceilometer fails on the same input
        return "refused"


def assert_same_signatures(ceilometer_utils, message, secret="s"):
    expected = outcome(ceilometer_utils.compute_signature, message, secret)
    for _attempt in range(2):  # the second time from cached plans and templates
        assert outcome(cc.compute_signature, message, secret) == expected, message


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(messages, min_size=1, max_size=3), st.sampled_from(SECRETS))
def test_compute_signature_is_ceilometers_for_any_message(ceilometer_utils, batch, secret):
    for message in batch:
        assert_same_signatures(ceilometer_utils, message, secret)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages, messages)
def test_verify_signature_agrees_with_ceilometer(ceilometer_utils, message, other):
    message.pop("message_signature", None)  # the signature replaces it
    try:
        signed = {**message, "message_signature": ceilometer_utils.compute_signature(message, "s")}
    except (TypeError, ValueError, RecursionError):
        return
    assert cc.verify_signature(signed, "s") is True
    tampered = {**other, "message_signature": signed["message_signature"]}
    if outcome(ceilometer_utils.compute_signature, other, "s") != "refused":
        assert cc.verify_signature(tampered, "s") is ceilometer_utils.verify_signature(tampered, "s")


def test_same_shape_with_other_value_classes_is_not_served_from_a_stale_plan(ceilometer_utils):
    shapes = [
        {"a": 1, "b": {"c": "x"}, "t": [["n", 1, "v"], ["m", 2, 3]]},
        {"a": True, "b": {"c": None}, "t": [["n", True, "v"], ["m", 2, 3.0]]},
        {"a": 1.0, "b": {"c": ["x"]}, "t": [["n", 1.0, b"v"], ["m", 2, None]]},
        {"a": "1", "b": {"c": {"d": 1}}, "t": [["n", cc.TraitType.TEXT, "v"], ["m", 2, "é"]]},
        {"a": 1, "b": {}, "t": [("n", 1, "v"), ("m", 2, 3)]},
        {"a": 1, "b": {"c": "x"}, "t": ["n1v", "m23"]},
        {"a": 1, "message_signature": {"nested": "signed"}, "t": [["n", 1, "it's"], ["m", 2, "\x01"]]},
        {"a": 1, "message_signature": ["not", "signed"], "t": [["n", 1, "v"], ["m", 2, 3, 4]]},
    ]
    for _round in range(3):
        for message in shapes:
            assert_same_signatures(ceilometer_utils, message)


def test_trait_lists_with_enum_dtypes_render_as_ceilometer_does(ceilometer_utils):
    plain = {"traits": [["service", 1, "compute"], ["vcpus", 2, 1]]}
    enum = {"traits": [["service", cc.TraitType.TEXT, "compute"], ["vcpus", cc.TraitType.INT, 1]]}
    for message in (plain, enum, plain, enum):
        assert_same_signatures(ceilometer_utils, message)


def test_deeply_nested_dicts_beyond_the_planned_depth(ceilometer_utils):
    message = leaf = {}
    for depth in range(signing._MAX_PLANNED_DEPTH + 8):
        leaf[f"k{depth % 3}"] = {"v": depth, "l": ["x", depth]}
        leaf = leaf[f"k{depth % 3}"]
    assert_same_signatures(ceilometer_utils, message)


def test_mappings_that_are_not_dicts(ceilometer_utils):
    message = types.MappingProxyType({"a": 1, "b": {"c": [["n", 1, "v"]]}, "message_signature": "x"})
    assert_same_signatures(ceilometer_utils, message)


def test_wide_levels_and_long_lists_beyond_the_planned_size(ceilometer_utils):
    message = {f"k{i}": [["name", 1, f"v{i}"]] * (i % 3) for i in range(signing._MAX_PLANNED_ITEMS + 5)}
    message["traits"] = [[f"n{i}", 1, "v"] for i in range(signing._MAX_PLANNED_ITEMS + 5)]
    assert_same_signatures(ceilometer_utils, message)


def test_caches_stay_bounded(ceilometer_utils):
    rendering = signing._CURRENT
    for i in range(rendering.list_templates.limit + 50):
        signing.PYTHON.compute_signature({"traits": [[f"trait-{i}", 1, "v"]], f"key-{i}": 1}, "s")
        assert len(rendering.list_templates) <= rendering.list_templates.limit
        assert len(rendering.top_plans) <= signing._TOP_PLANS
    assert_same_signatures(ceilometer_utils, {"traits": [["trait-1", 1, "v"]], "key-1": 1})


def test_empty_secret_signs_nothing_and_accepts_everything(ceilometer_utils):
    message = {"a": [1, "x"], "message_signature": "anything"}
    assert cc.compute_signature(message, "") == ceilometer_utils.compute_signature(message, "") == ""
    assert cc.verify_signature(message, "") is ceilometer_utils.verify_signature(message, "") is True

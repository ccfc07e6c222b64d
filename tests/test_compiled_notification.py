"""The envelope's Notification built by the compiled decoder, against the Python reference.

``_envelope._python_notification`` is the reference and the fallback; the
compiled plan (``_envelope._compiled_notification``) must give the same
Notification, or the same error, for every message it is handed, and hand
off whatever it does not take.
"""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ceilocompat import DecodeError, _envelope
from ceilocompat._compiled import compiled_module
from compiled import built_or_skip
from conftest import CORPUS
from documents import dicts_in

CORPORA = (CORPUS, CORPUS.parent / "corpus-releases")


class Text(str):
    pass


@pytest.fixture(scope="module")
def accelerator():
    return built_or_skip(compiled_module("_decoder_accel"), "_decoder_accel")


@pytest.fixture(scope="module")
def compiled(accelerator):
    return _envelope._compiled_notification(accelerator)


def outcome(build, message):
    """What *build* gives for *message*: the Notification and whether it kept *message*, or the error."""
    try:
        note = build(message)
    except DecodeError as exc:
        return "error", str(exc)
    return note, note.message is message, type(note.context) is dict


header_values = st.one_of(st.none(), st.text(max_size=8), st.builds(Text, st.text(max_size=4)),
                          st.integers(), st.booleans(), st.floats(allow_nan=False), st.lists(st.integers()))
payloads = st.one_of(st.lists(st.dictionaries(st.text(max_size=4), st.integers()), max_size=3),
                     st.dictionaries(st.text(max_size=4), st.integers()), st.none(), st.text(), st.integers())
CONTEXT_KEYS = ["_context_user", "_context_request_id", "context"]
extra_values = st.one_of(st.none(), st.text(max_size=4),
                         st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@st.composite
def messages(draw, context=True):
    """Messages of every header and payload kind, with context keys (*context*) or without."""
    message = {key: draw(header_values) for key in _envelope.HEADER_KEYS if draw(st.booleans())}
    if draw(st.integers(0, 9)):
        message["payload"] = draw(payloads)
    extra = ["_unique_id", "other", "_context"] + (CONTEXT_KEYS if context else [])
    message.update(draw(st.dictionaries(st.sampled_from(extra), extra_values)))
    order = draw(st.permutations(list(message)))
    return {key: message[key] for key in order}


@settings(max_examples=400, deadline=None)
@given(messages(context=False))
def test_the_compiled_notification_is_the_reference_s(compiled, message):
    """For a message without context keys, the plan's domain."""
    assert outcome(compiled, dict(message)) == outcome(_envelope._python_notification, dict(message))


def result(build, source):
    try:
        return build(source)
    except DecodeError as exc:
        return str(exc)


@settings(max_examples=200, deadline=None)
@given(messages())
def test_unwrap_gives_the_reference_s_notification_for_any_message(message):
    """``unwrap`` sends each message (with context keys or without) to the compiled plan or to the reference."""
    body = json.dumps(_envelope.wrap(message)).encode()
    inner = json.loads(json.loads(body)["oslo.message"])
    assert result(_envelope.unwrap, body) == result(_envelope._python_notification, inner)


def test_each_notification_has_a_context_of_its_own(compiled):
    first, second = compiled({"payload": []}), compiled({"payload": []})
    first.context["user"] = "alice"
    assert second.context == {} and first.context is not second.context


def test_what_the_plan_does_not_take_goes_whole_to_the_reference(accelerator, monkeypatch):
    python, handed = _envelope._python_notification, []

    def reference(message):
        handed.append(message)
        return python(message)

    monkeypatch.setattr(_envelope, "_python_notification", reference)
    counting = _envelope._compiled_notification(accelerator)
    taken = {"event_type": "metering", "payload": [], "_unique_id": "u"}
    counting(taken)
    assert handed == []
    off_plan = [{"event_type": Text("metering"), "payload": []}, {"event_type": 1, "payload": []},
                {"payload": "text"}, {"event_type": "metering"}]
    for message in off_plan:
        with contextlib.suppress(DecodeError):
            counting(message)
    assert len(handed) == len(off_plan) and all(m is o for m, o in zip(handed, off_plan, strict=True))


def notifications_in(document):
    """Every notification in *document* (in JSON text too) without context keys: those the plan is for."""
    return dicts_in(document, lambda d: "payload" in d and "event_type" in d
                    and not any(str(k).startswith(_envelope.CONTEXT_PREFIX) or k == "context" for k in d),
                    json_text=True)


def test_no_notification_ceilometer_sent_reaches_the_reference(accelerator, monkeypatch):
    """Every such notification of both corpora is built on the compiled plan, as the reference builds it."""
    reference, handed = _envelope._python_notification, []
    monkeypatch.setattr(_envelope, "_python_notification",
                        lambda message, plan=None: handed.append(message) or reference(message, plan))
    counting = _envelope._compiled_notification(accelerator)
    checked = 0
    for path in sorted(path for corpus in CORPORA for path in corpus.rglob("*.json")):
        for message in notifications_in(json.loads(path.read_text())):
            assert counting(dict(message)) == reference(dict(message)), path
            checked += 1
    assert checked > 20, "the corpora hold notifications"
    assert handed == []

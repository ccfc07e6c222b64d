"""Both signing implementations give Ceilometer 27's digests, in one run.

The pure-Python reference and the compiled accelerator are imported
explicitly (``_signing.PYTHON`` and ``_signing.compiled()``), whichever the
public functions use, and compared with ``ceilometer.publisher.utils`` and
with each other on every corpus file and on generated messages. Where the
compiled module was not built the comparison is skipped, unless
``CEILOCOMPAT_REQUIRE_COMPILED=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ceilocompat as cc
from ceilocompat import _signing as signing
from conftest import CORPUS, corpus_json, subprocess_env
from signing.implementations import compiled_or_skip, outcome
from signing.messages import SECRETS, corpus_messages, messages

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def compiled():
    return compiled_or_skip()


@pytest.fixture(scope="module")
def accel(compiled):
    from ceilocompat import _signing_accel

    return _signing_accel


def ceilometer_outcome(ceilometer_utils, message, secret):
    """Ceilometer's digest, or "refused" where it fails (we raise DecodeError there)."""
    try:
        return ceilometer_utils.compute_signature(message, secret)
    except (TypeError, ValueError, RecursionError):
        return "refused"


def assert_all_agree(ceilometer_utils, compiled, message, secret):
    expected = ceilometer_outcome(ceilometer_utils, message, secret)
    for _attempt in range(2):  # the second time from the reference's cached plans
        python = outcome(signing.PYTHON.compute_signature, message, secret)
        ours = outcome(compiled.compute_signature, message, secret)
        assert ours == python, message
        assert python is cc.DecodeError if expected == "refused" else python == expected, message
    legacy = outcome(signing.PYTHON.compute_legacy_signature, message, secret)
    assert outcome(compiled.compute_legacy_signature, message, secret) == legacy, message
    for legacy_too in (False, True):
        verdict = outcome(signing.PYTHON.verify_signature, message, secret, legacy_too)
        assert outcome(compiled.verify_signature, message, secret, legacy_too) == verdict, message


CORPUS_MESSAGES = corpus_messages(CORPUS) if CORPUS.exists() else []


@pytest.mark.parametrize(
    "name,message", CORPUS_MESSAGES, ids=[f"{name}-{i}" for i, (name, _m) in enumerate(CORPUS_MESSAGES)]
)
@pytest.mark.parametrize("secret", ["not-so-secret", cc.DEFAULT_SECRET, b"bytes-secret"])
def test_every_corpus_message_signs_as_ceilometer_does(ceilometer_utils, compiled, accel, name, message, secret):
    assert_all_agree(ceilometer_utils, compiled, message, secret)
    assert accel.signature(message, secret, False) is not None, "the compiled path must sign corpus messages itself"


def test_corpus_has_the_files_it_should():
    names = {name for name, _message in CORPUS_MESSAGES}
    assert len(CORPUS_MESSAGES) >= 12 and any(n.startswith("amqp-") for n in names), names


@pytest.mark.parametrize(
    "name,secret",
    [
        ("sample-2026.1-signed-not-so-secret.json", "not-so-secret"),
        ("event-2026.1-instance-delete-signed-not-so-secret.json", "not-so-secret"),
        ("sample-pike-string-volume-no-message-id.json", cc.DEFAULT_SECRET),
    ],
)
def test_genuine_signatures_verify_on_both(compiled, name, secret):
    message = corpus_json(name)
    assert signing.PYTHON.verify_signature(message, secret) is True
    assert compiled.verify_signature(message, secret) is True
    assert compiled.verify_signature({**message, "extra": 1}, secret) is False


def test_legacy_vectors_on_both(compiled, accel):
    vectors = corpus_json("signature-vectors-legacy-vs-current.json")["vectors"]
    for vector in vectors:
        message = corpus_json(vector["file"])
        for implementation in (signing.PYTHON, compiled):
            assert implementation.compute_signature(message, vector["secret"]) == vector["current"]
            if vector["legacy"] is not None:
                assert implementation.compute_legacy_signature(message, vector["secret"]) == vector["legacy"]
                assert implementation.verify_signature(message, vector["secret"]) is False
                assert implementation.verify_signature(message, vector["secret"], legacy=True) is True
        assert accel.verify(message, vector["secret"], True) is (vector["legacy"] is not None)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(messages, min_size=1, max_size=3), st.sampled_from(SECRETS))
def test_generated_messages_sign_alike_on_both_and_as_ceilometer(ceilometer_utils, compiled, batch, secret):
    for message in batch:
        assert_all_agree(ceilometer_utils, compiled, message, secret)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages, st.sampled_from(SECRETS))
def test_generated_signed_messages_verify_alike(ceilometer_utils, compiled, message, secret):
    message.pop("message_signature", None)
    try:
        signed = {**message, "message_signature": ceilometer_utils.compute_signature(message, secret)}
    except (TypeError, ValueError, RecursionError):
        return
    assert compiled.verify_signature(signed, secret) is True
    assert signing.PYTHON.verify_signature(signed, secret) is True
    assert ceilometer_utils.verify_signature(signed, secret) is True
    tampered = {**signed, "": "added"}
    assert compiled.verify_signature(tampered, secret) is signing.PYTHON.verify_signature(tampered, secret) is False


@pytest.mark.parametrize(
    "received",
    [None, 5, ["x"], {"a": 1}, "é" * 64, "", "0" * 64, b"0" * 64, "0" * 63, bytearray(b"0" * 64)],
)
def test_malformed_signatures_are_false_on_both(compiled, received):
    message = {"a": 1, "message_signature": received}
    assert compiled.verify_signature(message, "k") is signing.PYTHON.verify_signature(message, "k") is False


def test_signature_as_bytes_verifies_on_both(compiled):
    message = {"a": [1, "x"], "b": {"c": 2.5}}
    signed = {**message, "message_signature": signing.PYTHON.compute_signature(message, "k").encode("ascii")}
    assert compiled.verify_signature(signed, "k") is signing.PYTHON.verify_signature(signed, "k") is True


def test_empty_secret_on_both(compiled):
    for implementation in (signing.PYTHON, compiled):
        assert implementation.compute_signature({"a": 1}, "") == implementation.compute_signature({"a": 1}, b"") == ""
        assert implementation.verify_signature({"a": 1, "message_signature": "x"}, "") is True


def test_many_secrets_and_long_secrets(ceilometer_utils, compiled):
    message = {"a": "b", "l": ["x", 1]}
    for i in range(40):  # more secrets than the compiled module keeps keyed
        for secret in (f"secret-{i}", "x" * (60 + i), f"s{i}".encode()):
            assert compiled.compute_signature(message, secret) == ceilometer_utils.compute_signature(message, secret)


def test_public_functions_use_the_chosen_implementation():
    assert signing.IMPLEMENTATION in ("compiled", "python")
    assert signing._ACTIVE.name == signing.IMPLEMENTATION
    if os.environ.get("CEILOCOMPAT_PURE_PYTHON", "") not in ("", "0"):
        assert signing.IMPLEMENTATION == "python"
    elif signing.compiled() is not None:
        assert signing.IMPLEMENTATION == "compiled"


@pytest.mark.parametrize("value,expected", [("1", "python"), ("", None), ("0", None)])
def test_pure_python_environment_variable_is_read_at_import(value, expected):
    code = "import ceilocompat._signing as s; print(s.IMPLEMENTATION, s.compute_signature({'a': 1}, 'k'))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=subprocess_env(CEILOCOMPAT_PURE_PYTHON=value),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    name, digest = result.stdout.split()
    assert name == (expected or ("compiled" if signing.compiled() is not None else "python"))
    assert digest == signing.PYTHON.compute_signature({"a": 1}, "k")


@pytest.mark.parametrize(
    "signature",
    [[{1: "x", "y": 2}], ({"a": [b"\xff"]},), ["ok", b"fine", {"k": "v"}], [[[[["deep"]]]]], ("x",)],
)
def test_a_signature_list_is_left_out_but_decoded_as_ceilometer_does(ceilometer_utils, compiled, signature):
    assert_all_agree(ceilometer_utils, compiled, {"a": 1, "message_signature": signature}, "k")


def test_where_the_compiled_module_is_missing_the_reference_signs():
    code = (
        "import sys; sys.modules['ceilocompat._signing_accel'] = None\n"
        "import ceilocompat as cc, ceilocompat._signing as s\n"
        "print(s.IMPLEMENTATION, s.compiled(), cc.verify_signature({'a': 1, 'message_signature': sys.argv[1]}, 'k'))"
    )
    digest = signing.PYTHON.compute_signature({"a": 1}, "k")
    result = subprocess.run(
        [sys.executable, "-c", code, digest],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split() == ["python", "None", "True"]

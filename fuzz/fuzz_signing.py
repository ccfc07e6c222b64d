"""Coverage-guided differential fuzzer: compiled vs pure-Python vs Ceilometer 27.

Every input becomes one message: JSON text that parses to an object is taken
as it is (the seeds are the shared corpus's signed messages); any other
input drives a builder of nested dicts, lists, tuples, texts (lone
surrogates included), bytes, ints past 64 bits, floats, booleans and None.
For each message the fuzzer checks:

- the compiled and the pure-Python implementation give the same digest, or
  raise the same class of exception, for ``compute_signature``,
  ``compute_legacy_signature`` and ``verify_signature`` (legacy or not);
- where Ceilometer 27's ``compute_signature`` signs, both give its digest;
  where it fails, both raise ``DecodeError``;
- a message signed by Ceilometer that Ceilometer verifies verifies on both.

Run from a checkout, with atheris installed in the venv (a developer tool,
not a dependency)::

    pip install atheris
    python fuzz/fuzz_signing.py -max_total_time=600 fuzz/corpus

``fuzz/corpus`` (created, not kept in git) holds the inputs found; the seeds
are written there first. Any difference stops the run with the message.
"""

from __future__ import annotations

import json
import os
import pathlib
import sys

import atheris

with atheris.instrument_imports(include=["ceilocompat._signing", "ceilometer.publisher.utils"]):
    from ceilometer.publisher import utils as ceilometer_utils

    import ceilocompat as cc
    from ceilocompat import _signing as signing

REPO = pathlib.Path(__file__).resolve().parent.parent
SHARED_CORPUS = pathlib.Path(os.environ.get("CEILOCOMPAT_CORPUS", REPO.parent / "shared" / "corpus"))
SECRETS = ["s", cc.DEFAULT_SECRET, b"\x00bytes", "k" * 65, "ünï"]
MAX_DEPTH = 40

COMPILED = signing.compiled()
if COMPILED is None:
    sys.exit("the compiled signing accelerator was not built: pip install -e . with a C compiler first")


def outcome(function, *args):
    try:
        return function(*args)
    except Exception as exc:  # noqa: BLE001 - the class is what is compared
        return type(exc)


class Builder:
    """A message from fuzzer bytes."""

    def __init__(self, data: bytes) -> None:
        self.fdp = atheris.FuzzedDataProvider(data)

    def text(self) -> str:
        kind = self.fdp.ConsumeIntInRange(0, 3)
        if kind == 0:
            return self.fdp.PickValueInList(["", "'", '"', "\\", "message_signature", "é", "日本", "\ud800", "a:b"])
        length = self.fdp.ConsumeIntInRange(0, 24)
        return self.fdp.ConsumeUnicode(length) if kind == 1 else self.fdp.ConsumeUnicodeNoSurrogates(length)

    def key(self):
        if self.fdp.ConsumeIntInRange(0, 15) == 0:
            return self.fdp.PickValueInList([1, 2.5, None, b"k", (1,), True])
        return self.text()

    def scalar(self):
        kind = self.fdp.ConsumeIntInRange(0, 9)
        if kind == 0:
            return None
        if kind == 1:
            return self.fdp.ConsumeBool()
        if kind == 2:
            return self.fdp.ConsumeInt(self.fdp.ConsumeIntInRange(1, 12))
        if kind == 3:
            return self.fdp.ConsumeRegularFloat()
        if kind == 4:
            return self.fdp.ConsumeFloat()
        if kind == 5:
            return self.fdp.ConsumeBytes(self.fdp.ConsumeIntInRange(0, 8))
        if kind == 6:
            return self.fdp.PickValueInList([2**63, -(2**63) - 1, 10**30, cc.TraitType.TEXT, 10**5000])
        return self.text()

    def value(self, depth: int):
        if depth >= MAX_DEPTH or self.fdp.remaining_bytes() < 2:
            return self.scalar()
        kind = self.fdp.ConsumeIntInRange(0, 7)
        if kind == 0:
            return self.mapping(depth + 1)
        if kind in (1, 2):
            items = [self.value(depth + 1) for _ in range(self.fdp.ConsumeIntInRange(0, 4))]
            return tuple(items) if kind == 2 else items
        if kind == 3:  # a trait row
            return [self.text(), self.fdp.ConsumeIntInRange(0, 4), self.scalar()]
        return self.scalar()

    def mapping(self, depth: int) -> dict:
        return {self.key(): self.value(depth) for _ in range(self.fdp.ConsumeIntInRange(0, 6))}


def message_from(data: bytes):
    if data[:1] == b"{":
        try:
            message = json.loads(data)
        except (ValueError, RecursionError):
            message = None
        if isinstance(message, dict):
            return message
    return Builder(data).mapping(0)


def check(message, secret) -> None:
    for name in ("compute_signature", "compute_legacy_signature"):
        python = outcome(getattr(signing.PYTHON, name), message, secret)
        compiled = outcome(getattr(COMPILED, name), message, secret)
        if python != compiled:
            raise AssertionError(f"{name}: python {python!r} != compiled {compiled!r} for {message!r}")
    for legacy in (False, True):
        python = outcome(signing.PYTHON.verify_signature, message, secret, legacy)
        compiled = outcome(COMPILED.verify_signature, message, secret, legacy)
        if python != compiled:
            raise AssertionError(f"verify(legacy={legacy}): python {python!r} != compiled {compiled!r} for {message!r}")
    ours = outcome(signing.PYTHON.compute_signature, message, secret)
    try:
        expected = ceilometer_utils.compute_signature(message, secret)
    except (TypeError, ValueError, RecursionError):
        if ours is not cc.DecodeError:
            raise AssertionError(f"ceilometer refuses, we give {ours!r}, for {message!r}") from None
        return
    if ours != expected:
        raise AssertionError(f"ceilometer {expected!r} != ours {ours!r} for {message!r}")
    signed = {**message, "message_signature": expected}
    if outcome(ceilometer_utils.verify_signature, signed, secret) is True and not (
        COMPILED.verify_signature(signed, secret) and signing.PYTHON.verify_signature(signed, secret)
    ):
        raise AssertionError(f"Ceilometer's own signature does not verify for {signed!r}")


def test_one_input(data: bytes) -> None:
    message = message_from(data)
    secret = SECRETS[data[-1] % len(SECRETS)] if data else "s"
    check(message, secret)


def write_seeds(directory: pathlib.Path) -> None:
    """The shared corpus's signed messages, as JSON, into the fuzzer's corpus."""
    sys.path.insert(0, str(REPO / "tests"))
    from signing.messages import corpus_messages

    directory.mkdir(parents=True, exist_ok=True)
    if SHARED_CORPUS.exists():
        for index, (_name, message) in enumerate(corpus_messages(SHARED_CORPUS)):
            (directory / f"seed-{index}.json").write_text(json.dumps(message))


def main() -> None:
    paths = [pathlib.Path(arg) for arg in sys.argv[1:] if not arg.startswith("-")]
    if paths and not paths[0].is_file():  # a corpus directory, not inputs to run again
        write_seeds(paths[0])
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

"""Messages to sign: hypothesis strategies and the corpus's signed dicts.

Shared by the signing tests and the fuzzer (``fuzz/fuzz_signing.py``): nested
dicts and lists, awkward and non-ASCII text, NaN and infinite floats, ints
past 64 bits, booleans, None, bytes in lists, tuples, enum members as trait
types, and the names Ceilometer treats specially (``message_signature``).
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

import ceilocompat as cc
from documents import dicts_in

AWKWARD_TEXT = [
    "", "'", '"', "\\", "it's", 'say "hi"', "both ' and \"", "\x00", "\x7f", "\t\n", "\r",
    "é", "\u2028", "日本", "\U0001f600", "%s", "%(x)s", "{}", "\x80\xff",
]
RECURRING_NAMES = ["state", "user_id", "host", "a%b", "x:y", "message_signature", "é", "", "message_signature2"]

texts = st.sampled_from(AWKWARD_TEXT) | st.text(max_size=12)
keys = st.sampled_from(RECURRING_NAMES) | texts
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.sampled_from([2**63 - 1, -(2**63), 2**63, -(2**63) - 1, 0, -1])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0.1, -0.0, 1e16, 1e22, 123456789012.5, 1819980.112406547, 5e-324])
    | texts
)
dtypes = st.sampled_from([0, 1, 2, 3, 4, True, 1.0, cc.TraitType.TEXT])
trait_rows = st.lists(
    st.tuples(st.sampled_from(RECURRING_NAMES), dtypes, scalars).map(list) | st.tuples(texts, dtypes, scalars),
    max_size=6,
)
list_items = scalars | texts.map(lambda text: text.encode("utf-8"))


def lists_of(children):
    return st.lists(children, max_size=5) | st.lists(children, max_size=3).map(tuple)


list_values = st.recursive(
    lists_of(list_items),
    lambda inner: lists_of(inner | list_items | st.dictionaries(keys, list_items | inner, max_size=3)),
    max_leaves=12,
)
values = st.recursive(
    scalars | list_values | trait_rows,
    lambda inner: st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)
messages = st.dictionaries(keys, values, max_size=7)
SECRETS = ["s", b"bytes-secret", "ünïcode ✓", cc.DEFAULT_SECRET, "k" * 64, "long" * 40, b"\x00\xff"]


def signed_dicts(document: Any) -> Iterator[dict]:
    """Every dict in a parsed JSON document that carries a ``message_signature``,
    looking into JSON text too (an envelope's ``oslo.message``)."""
    return dicts_in(document, lambda d: "message_signature" in d, json_text=True)


def corpus_messages(corpus: pathlib.Path) -> list[tuple[str, dict]]:
    """``(file name, message)`` for every signed dict of every corpus file."""
    found = []
    for path in sorted(corpus.glob("*.json")):
        document = json.loads(path.read_text())
        if isinstance(document, dict):  # keys starting with "_" describe the file
            document = {key: value for key, value in document.items() if not key.startswith("_")}
        for message in signed_dicts(document):
            found.append((path.name, message))
    return found

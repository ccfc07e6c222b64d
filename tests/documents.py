"""Walking parsed JSON documents for the dicts tests need."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any


def dicts_in(document: Any, wanted: Callable[[dict], bool], json_text: bool = False) -> Iterator[dict]:
    """Every dict in *document* (depth first) for which *wanted* is true; with *json_text*, inside JSON text too
    (an envelope's ``oslo.message``).

    >>> [d["a"] for d in dicts_in({"a": 1, "b": [{"a": 2}], "c": '{"a": 3}'}, lambda d: "a" in d, json_text=True)]
    [1, 2, 3]
    """
    if isinstance(document, dict):
        if wanted(document):
            yield document
        for value in document.values():
            yield from dicts_in(value, wanted, json_text)
    elif isinstance(document, list):
        for value in document:
            yield from dicts_in(value, wanted, json_text)
    elif json_text and isinstance(document, str) and document.startswith("{"):
        try:
            inner = json.loads(document)
        except ValueError:
            return
        yield from dicts_in(inner, wanted, json_text)

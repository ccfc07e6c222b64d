"""Compiled dict-to-slots decoders (C), planned by ``models._compiled_decoders`` and ``_envelope``."""

from collections.abc import Callable
from typing import Any

#: What a plan gives a field whose key is absent: fall back to the Python code, a constant, a factory's
#: value, or (tail only) the received dict.
FALL_BACK: int
CONSTANT: int
FACTORY: int
RECEIVED: int

class Decoder:
    fallback: Callable[[Any], Any]
    def __init__(
        self,
        cls: type,
        fields: tuple[tuple[str, Any, tuple[type, ...], tuple[tuple[type, Callable[[Any], Any]], ...], int, Any,
                            Callable[[Any], bool] | None], ...],
        tail: tuple[tuple[Any, int, Any], ...],
        fallback: Callable[[Any], Any],
        unread: Any,
        /,
    ) -> None: ...
    def __call__(self, wire: Any, /) -> Any: ...
    def decode_list(self, items: list[Any], /) -> tuple[list[Any], bool]: ...

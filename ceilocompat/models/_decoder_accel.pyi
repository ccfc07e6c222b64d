"""The compiled decoders of ``ceilocompat.models`` (C); ``_compiled_decoders`` builds their plans."""

from collections.abc import Callable
from typing import Any

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

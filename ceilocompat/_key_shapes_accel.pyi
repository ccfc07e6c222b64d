"""The key-sequence check of ``ceilocompat._key_shapes``, compiled (C)."""

from collections.abc import Sequence

def same_keys(wires: Sequence[object], keys: list[object], /) -> bool: ...

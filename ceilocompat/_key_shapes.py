"""Key shapes: what the keys of wire dicts say, worked out once per key sequence.

A consumer counts, for every item it decodes, the model generation the
item's keys show (:meth:`~ceilocompat.models._wiremodel.ModelSchema.generation_of`)
and the keys the model does not know. Both depend only on the item's keys,
and the items of a message nearly always share one key sequence, so
:class:`KeyShapes` works them out once per distinct sequence and tallies a
whole message at once.

>>> from ceilocompat import Sample
>>> shapes = KeyShapes(Sample.__wire__)
>>> kilo = dict.fromkeys(Sample.at("1.0").keys)
>>> newer = {**dict.fromkeys(Sample.__wire__.latest.keys), "carbon": 1}
>>> shapes.tally([kilo, newer, newer])
({'1.0': 1, '1.2': 2}, {'carbon': 2})
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, cast

from ceilocompat._compiled import compiled_module, pure_python_forced

#: Distinct key sequences remembered per schema; beyond this, shapes are worked out each time.
MAX_SHAPES = 512

_chain = itertools.chain.from_iterable


class KeyShapes:
    """Generations and unknown keys of a model's wire dicts, planned per key sequence."""

    def __init__(self, schema: Any, size: int = MAX_SHAPES) -> None:
        self.schema = schema
        self.size = size
        self._plans: dict[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = {}
        self._last: tuple[tuple[Any, ...], tuple[str, tuple[Any, ...]]] = ((), ("", ()))

    def plan(self, keys: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        """The generation and the unknown keys (in wire order) of a dict with *keys*."""
        last_keys, plan = self._last
        if keys == last_keys:
            return plan
        found = self._plans.get(keys)
        if found is None:
            known = self.schema.latest.keys
            found = (self.schema.generation_of(dict.fromkeys(keys)), tuple(k for k in keys if k not in known))
            if len(self._plans) < self.size:
                self._plans[keys] = found
        self._last = (keys, found)
        return found

    def tally(self, wires: Sequence[Any], uniform: bool | None = None) -> tuple[dict[str, int], dict[Any, int]]:
        """Items per generation and sightings per unknown key, over *wires*.

        *uniform* True says the dicts are known to share the first one's key
        sequence (a compiled decoder read them by it), which is then not
        checked again.
        """
        count = len(wires)
        if not count:
            return {}, {}
        keys = list(wires[0])
        if count == 1 or uniform or SAME_KEYS(wires, keys):
            generation, unknown_keys = self.plan(tuple(keys))
            return {generation: count}, dict.fromkeys(unknown_keys, count)
        shapes: dict[tuple[Any, ...], int] = {}
        for shape in map(tuple, wires):
            shapes[shape] = shapes.get(shape, 0) + 1
        generations: dict[str, int] = {}
        unknown: dict[Any, int] = {}
        for shape, items in shapes.items():
            generation, unknown_keys = self.plan(shape)
            generations[generation] = generations.get(generation, 0) + items
            for key in unknown_keys:
                unknown[key] = unknown.get(key, 0) + items
        return generations, unknown


def _same_keys(wires: Sequence[Any], keys: list[Any]) -> bool:
    """True when every one of *wires* has exactly *keys*, in that order.

    The keys of all the dicts, end to end, must be *keys* repeated: a dict
    cannot hold a key twice, so none can be longer than *keys* without
    breaking the pattern, and then none can be shorter. Cheapest when the
    dicts of a message share their key objects, as ``json.loads`` makes them.

    >>> _same_keys([{"a": 1, "b": 2}, {"a": 3, "b": 4}], ["a", "b"])
    True
    >>> _same_keys([{"a": 1, "b": 2}, {"b": 3, "a": 4}], ["a", "b"])
    False
    >>> _same_keys([{"a": 1}, {"b": 3, "a": 4}, {"b": 5}], ["a", "b"])
    False
    """
    return list(_chain(wires)) == keys * len(wires)


def _compiled_same_keys() -> Callable[[Sequence[Any], list[Any]], bool] | None:
    """The compiled :func:`_same_keys`, or None where it was not built (whatever ``CEILOCOMPAT_PURE_PYTHON`` says)."""
    module = compiled_module("_key_shapes_accel")
    return None if module is None else cast(Callable[[Sequence[Any], list[Any]], bool], module.same_keys)


#: The key-sequence check :meth:`KeyShapes.tally` runs: compiled where it was built (its answer is the
#: reference's for dicts with text keys, and False, sending the tally shape by shape, for any other).
SAME_KEYS: Callable[[Sequence[Any], list[Any]], bool] = (
    None if pure_python_forced() else _compiled_same_keys()
) or _same_keys

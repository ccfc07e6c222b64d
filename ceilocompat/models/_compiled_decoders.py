"""Compiled decoders: the generated decoder's plan, run by ``_decoder_accel`` where it was built.

The generated Python decoder of a version view (:mod:`~ceilocompat.models._wiremodel`)
stays the reference and the fallback. Its plan for a plain dict (per field:
the key, the slot, the exact classes taken as they are, the coercions, what a
missing key gets, the deferrable test; then the newer fields' defaults, the received
dict and the version decoded at) is handed to the compiled
``Decoder``, which runs it without bytecode and hands any input off that
plan (a value to convert, a coercion that raised, a missing required key, anything but a
dict) to the Python decoder, whole. ``Decoder.decode_list`` reads the items
of a message that share one key sequence entry by entry, planned once for
that sequence.

``CEILOCOMPAT_PURE_PYTHON=1`` keeps the Python decoders.

>>> from ceilocompat import Sample
>>> Sample.from_wire.fallback.__name__ if COMPILED_DECODERS else "from_wire"
'from_wire'
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, cast

from ceilocompat._compiled import compiled_module, pure_python_forced
from ceilocompat.models._deferred import UNREAD, slot_of

#: The compiled module the models decode with, or None (not built, or ``CEILOCOMPAT_PURE_PYTHON=1``).
COMPILED_DECODERS = None if pure_python_forced() else compiled_module("_decoder_accel")


def _when_missing(spec: Any, module: Any) -> tuple[int, Any]:
    """What the plan gives a field whose key is absent: fall back (required), a constant, or a factory's value."""
    if spec.required:
        return module.FALL_BACK, None
    if spec.default_factory is not None:
        return module.FACTORY, spec.default_factory
    return module.CONSTANT, spec.default


def compiled_decoder(view: Any, module: Any = COMPILED_DECODERS) -> Callable[[Any], Any] | None:
    """The compiled decoder of a version view, falling back to its ``python_from_wire``; None where it cannot be made.

    None where the module was not built (or is *module* None) or a field is
    not a plain slot (a model declared with ``slots=False``). The decoder
    wraps the Python one as :func:`functools.wraps` would, so
    :func:`inspect.getsource` and tools that unwrap find the generated source.
    """
    if module is None:
        return None
    schema, fallback = view.schema, view.python_from_wire
    newer = [f for f in schema.fields if f.key not in view.keys]
    names = [f.key for f in (*view.fields, *newer)] + ["_wire", "_decoded_at"]
    slots = {name: slot_of(schema.model, name) for name in names}
    if not all(isinstance(slot, types.MemberDescriptorType) for slot in slots.values()):
        return None
    plan = tuple(
        (f.key, slots[f.key], f.kind.fast_classes, f.kind.coercions, *_when_missing(f.spec, module),
         f.kind.deferrable if f.key in schema.deferred else None)
        for f in view.fields
    )
    tail = (
        *((slots[f.key], *_when_missing(f.spec, module)) for f in newer),
        (slots["_wire"], module.RECEIVED, None),
        (slots["_decoded_at"], module.CONSTANT, view.decoded_at),
    )
    try:
        decoder = module.Decoder(schema.model, plan, tail, fallback, UNREAD)
    except (TypeError, ValueError):  # a plan it cannot take (a slot it cannot store into, too many fields)
        return None
    decoder.__doc__, decoder.__wrapped__ = fallback.__doc__, fallback
    decoder.__source__ = getattr(fallback, "__source__", None)
    return cast("Callable[[Any], Any]", decoder)

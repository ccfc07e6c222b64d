"""Field and version declarations: the one definition every model is made of.

A model is an attrs class whose attributes are declared with
:func:`wire_field`. Each field says what it holds (its :class:`Kind`), which
model version added it, whether a reader may do without it and what it then
assumes. Decoder, encoder, version views and manifests are all derived from
these declarations.

>>> from ceilocompat.models._kinds import STRING
>>> f = wire_field(STRING, since="1.0", required=True, doc="meter name")
>>> f.metadata["wire"].since
'1.0'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from ceilocompat._errors import NOTHING
from ceilocompat.models._kinds import Kind


def version_key(version: str) -> tuple[int, ...]:
    """Order model versions numerically.

    >>> sorted(["1.10", "1.2", "1.0"], key=version_key)
    ['1.0', '1.2', '1.10']
    """
    try:
        return tuple(int(part) for part in version.split("."))
    except (AttributeError, ValueError):
        raise ValueError(f"model versions are dotted numbers like '1.2', not {version!r}") from None


@attrs.frozen
class ModelVersion:
    """One version of a model's key set and the releases that brought it.

    :param number: the model version, a dotted number (``"1.2"``).
    :param release: the first Ceilometer release that sends this key set.
    :param series: that release's series name, for people.
    :param also_in: stable point releases that got the same keys by backport.
    """

    number: str
    release: str
    series: str = ""
    also_in: tuple[str, ...] = ()
    note: str = ""


@attrs.frozen
class FieldSpec:
    """What a model knows about one wire key, apart from its attrs attribute.

    ``default`` is what a reader assumes when the key is absent; a callable
    ``default_factory`` gives a fresh value each time (for mutable defaults).
    """

    kind: Kind
    since: str
    required: bool = False
    default: Any = None
    default_factory: Callable[[], Any] | None = None
    doc: str = ""
    meaning: str = ""
    omit_when_none: bool = False
    deprecated_in: str | None = None
    drop_after: str | None = None

    def missing_value(self) -> Any:
        """The value a reader assumes when the key is absent."""
        if self.default_factory is not None:
            return self.default_factory()
        return self.default


def wire_field(
    kind: Kind,
    *,
    since: str,
    required: bool = False,
    default: Any = None,
    default_factory: Callable[[], Any] | None = None,
    new_value: Callable[[], Any] | None = None,
    doc: str = "",
    meaning: str = "",
    omit_when_none: bool = False,
    deprecated_in: str | None = None,
    drop_after: str | None = None,
) -> Any:
    """Declare one wire key of a model (use inside an attrs class body).

    ``new_value`` is a factory for objects built in Python only (a fresh
    message id, say); readers of the wire never invent values with it.
    """
    spec = FieldSpec(
        kind=kind,
        since=since,
        required=required,
        default=default,
        default_factory=default_factory,
        doc=doc,
        meaning=meaning,
        omit_when_none=omit_when_none,
        deprecated_in=deprecated_in,
        drop_after=drop_after,
    )
    if required:
        construct_default: Any = NOTHING
    elif new_value is not None:
        construct_default = attrs.Factory(new_value)
    elif default_factory is not None:
        construct_default = attrs.Factory(default_factory)
    else:
        construct_default = default
    field_kwargs: dict[str, Any] = {"metadata": {"wire": spec}, "converter": _converter(kind)}
    if construct_default is not NOTHING:
        field_kwargs["default"] = construct_default
    return attrs.field(**field_kwargs)


def _converter(kind: Kind) -> attrs.Converter[Any, Any]:
    def convert(value: Any, _self: Any, field: attrs.Attribute[Any]) -> Any:
        if value.__class__ in kind.fast_classes:
            return value
        return kind.accept(value, field.name)

    return attrs.Converter(convert, takes_self=True, takes_field=True)

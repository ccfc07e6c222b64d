"""Model schemas: field history, version views and their generated codecs.

:func:`wire_model` turns an attrs class declared with
:func:`~ceilocompat.models._fields.wire_field` into a wire model. Per version
of the model it generates, once, a decoder that reads exactly the keys known
at that version (``d.get`` per key, nothing else: unknown keys are never
touched, so a payload with a hundred extra keys decodes as fast as one
without) and keeps a reference to the received dict, so that encoding gives
back every key it did not know. A field whose kind is ``deferrable`` is only
checked by the plain-dict decoder and converted on its first read
(:mod:`~ceilocompat.models._deferred`).

>>> from ceilocompat import Sample
>>> view = Sample.at("1.0")
>>> sorted(set(Sample.__wire__.keys()) - set(view.keys))
['monotonic_time', 'project_name', 'publisher_id', 'user_name']
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar, cast

import attrs

from ceilocompat._errors import NOTHING, DecodeError
from ceilocompat._signing import SIGNATURE_KEY, compute_signature
from ceilocompat.models._compiled_decoders import compiled_decoder
from ceilocompat.models._deferred import UNREAD, defer_conversion, is_unread
from ceilocompat.models._fields import FieldSpec, ModelVersion, version_key
from ceilocompat.models._kinds import Kind, same_value
from ceilocompat.releases import series_number

NoneType = type(None)
_M = TypeVar("_M", bound="WireModel")


@attrs.frozen
class WireField:
    """A field of a model: its wire key and its :class:`FieldSpec`."""

    key: str
    spec: FieldSpec

    @property
    def kind(self) -> Kind:
        return self.spec.kind

    def decode_value(self, value: Any) -> Any:
        """Decode one wire value of this field (raises DecodeError)."""
        if value.__class__ in self.spec.kind.fast_classes:
            return value
        return self.spec.kind.convert(value, self.key)

    def encode_value(self, value: Any) -> Any:
        """The wire value for a value held in Python (raises DecodeError).

        A kind that widens another for readers only (``Kind.widens``) writes
        only what the narrower kind accepts.
        """
        kind = self.spec.kind
        if kind.widens is not None:
            kind.check_written(value, self.key)
        return kind.encode(value if value.__class__ in kind.fast_classes else kind.accept(value, self.key))


class ModelView:
    """A model as it was at one version: its keys, decoder and encoder.

    Decoding with an older view sets the newer fields to their defaults and
    leaves newer keys untouched in the received dict; encoding with it emits
    only the keys that version knew.
    """

    def __init__(self, schema: ModelSchema, version: str) -> None:
        self.schema = schema
        self.version = version
        at = version_key(version)
        self.fields: tuple[WireField, ...] = tuple(
            f for f in schema.fields if version_key(f.spec.since) <= at
        )
        self.keys: frozenset[str] = frozenset(f.key for f in self.fields)
        #: What this view's decoders record as the version decoded at: None for the latest.
        self.decoded_at: str | None = None if version == schema.versions[-1].number else version
        #: The generated Python decoder: the reference, and the fallback of the compiled one.
        self.python_from_wire: Callable[[Any], Any] = _generate_decoder(schema, self.fields, self.decoded_at)
        #: The decoder: compiled where it was built (see ``_compiled_decoders``), else the Python one.
        self.from_wire: Callable[[Any], Any] = compiled_decoder(self) or self.python_from_wire

    def __repr__(self) -> str:
        return f"<{self.schema.name} model at version {self.version}>"

    def to_wire(self, obj: Any, secret: str | None = None) -> dict[str, Any]:
        """Encode *obj* with the keys this version knows (see ``to_wire``)."""
        return _encode(obj, self.fields, self.keys, secret, keep_unknown=self is self.schema.latest)


class ModelSchema:
    """Everything derived from one model definition."""

    def __init__(self, model: type, name: str, versions: Sequence[ModelVersion]) -> None:
        self.model = model
        self.name = name
        self.versions: tuple[ModelVersion, ...] = tuple(versions)
        self.fields: tuple[WireField, ...] = tuple(
            WireField(a.name, a.metadata["wire"]) for a in attrs.fields(model) if "wire" in a.metadata
        )
        _check_history(self)
        #: Keys of the fields a plain dict's decoder only checks, converted on first read (``Kind.deferrable``).
        self.deferred: frozenset[str] = _defer_conversions(model, self.fields)
        self._views: dict[str, ModelView] = {}
        self._keys_added = [
            (v.number, [f.key for f in self.fields if f.spec.since == v.number]) for v in reversed(self.versions[1:])
        ]
        self.latest = self.view(self.versions[-1].number)

    def keys(self) -> tuple[str, ...]:
        """Every wire key the model has ever had, in wire order."""
        return tuple(f.key for f in self.fields)

    def generation_of(self, wire: Mapping[str, Any]) -> str:
        """The newest model version whose keys *wire* carries.

        >>> from ceilocompat import Sample
        >>> Sample.__wire__.generation_of({"counter_name": "cpu", "monotonic_time": None})
        '1.1'
        """
        for version, keys in self._keys_added:
            if any(key in wire for key in keys):
                return version
        return self.versions[0].number

    def view(self, version: str) -> ModelView:
        """The model at *version* (one of :attr:`versions`)."""
        view = self._views.get(version)
        if view is None:
            if version not in {v.number for v in self.versions}:
                known = ", ".join(v.number for v in self.versions)
                raise ValueError(f"{self.name} has no version {version!r} (known: {known})")
            view = self._views[version] = ModelView(self, version)
        return view


def _defer_conversions(model: type, fields: Sequence[WireField]) -> frozenset[str]:
    """Make each field of a deferrable kind convert on first read; the keys of those that do."""
    deferred = set()
    for f in fields:
        if f.kind.deferrable is not None and defer_conversion(model, f.key, f.kind.convert, f.spec.doc):
            deferred.add(f.key)
    return frozenset(deferred)


def _check_history(schema: ModelSchema) -> None:
    numbers = [v.number for v in schema.versions]
    if not numbers or numbers != sorted(numbers, key=version_key) or len(set(numbers)) != len(numbers):
        raise TypeError(f"{schema.name}: versions must be given oldest first, each once")
    first = numbers[0]
    for f in schema.fields:
        if f.spec.since not in numbers:
            raise TypeError(f"{schema.name}.{f.key}: since={f.spec.since!r} is not a model version")
        if f.spec.required and f.spec.since != first:
            raise TypeError(
                f"{schema.name}.{f.key}: a field added after {first} must have a default, "
                "or older producers' payloads could not decode"
            )
        _check_deprecation(schema.name, f, numbers)


def _check_deprecation(model: str, f: WireField, numbers: Sequence[str]) -> None:
    """``deprecated_in`` names a model version; ``drop_after`` a Ceilometer release."""
    deprecated_in, drop_after = f.spec.deprecated_in, f.spec.drop_after
    if deprecated_in is not None and deprecated_in not in numbers:
        raise TypeError(f"{model}.{f.key}: deprecated_in={deprecated_in!r} is not a model version")
    if drop_after is None:
        return
    if deprecated_in is None:
        raise TypeError(f"{model}.{f.key}: drop_after needs deprecated_in (a field is deprecated before it drops)")
    try:
        series_number(drop_after)
    except ValueError as exc:
        raise TypeError(f"{model}.{f.key}: drop_after: {exc}") from None


@attrs.define(kw_only=True, on_setattr=attrs.setters.NO_OP)
class WireModel:
    """Base of every wire model: decoding, encoding and version views.

    Subclasses are attrs classes decorated with :func:`wire_model`. Every
    object remembers the dict it was decoded from (``wire=``) and the model
    version that decoded it (``decoded_at=``, None for the latest); both
    survive ``attrs.evolve``.
    """

    __wire__: ClassVar[ModelSchema]
    _wire: Mapping[str, Any] | None = attrs.field(default=None, alias="wire", eq=False, repr=False)
    _decoded_at: str | None = attrs.field(default=None, alias="decoded_at", eq=False, repr=False)

    @classmethod
    def from_wire(cls: type[_M], data: Any) -> _M:  # replaced per class by wire_model
        raise NotImplementedError

    @classmethod
    def at(cls, version: str) -> ModelView:
        """The model as it was at *version*, for pinning and old readers."""
        return cls.__wire__.view(version)

    def to_wire(self, secret: str | None = None, version: str | None = None) -> dict[str, Any]:
        """Encode for the bus.

        Values read from the wire and not changed since are given back exactly
        as received (a volume of ``"2"`` stays ``"2"``), keys this model does
        not know are kept, and so is the received signature. With *secret* the
        result is signed as Ceilometer signs it; with *version* only the keys
        known at that model version are emitted.
        """
        view = self.__wire__.latest if version is None else self.__wire__.view(version)
        return view.to_wire(self, secret)

    @property
    def received(self) -> Mapping[str, Any] | None:
        """The dict this object was decoded from, or None if built in Python."""
        return self._wire

    def unknown_keys(self) -> list[str]:
        """Keys of the received dict that this model does not know."""
        if self._wire is None:
            return []
        known = self.__wire__.latest.keys
        return [key for key in self._wire if key not in known]


def wire_model(name: str, versions: Sequence[ModelVersion]) -> Callable[[type[_M]], type[_M]]:
    """Class decorator: make an attrs class of wire fields a wire model."""

    def decorate(cls: type[_M]) -> type[_M]:
        cls.__wire__ = ModelSchema(cls, name, versions)
        cls.from_wire = staticmethod(cls.__wire__.latest.from_wire)  # type: ignore[method-assign, assignment]
        return cls

    return decorate


# --- generated decoders -----------------------------------------------------


def _as_mapping(data: Any) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    raise DecodeError("", data, "expected an object (mapping) of wire keys")


def _generate_decoder(
    schema: ModelSchema, fields: Sequence[WireField], decoded_at: str | None
) -> Callable[[Any], Any]:
    """Write and compile the decoder for one version view of a model.

    Per known key: one lookup, one exact class test, one slot store; missing
    keys, coercions and conversions take a branch that a value of a fast
    class never enters. Keys the model does not know are never touched.

    A plain dict is read with ``d[key]`` for required keys, which is cheaper
    than ``get``; a missing one raises KeyError and the same dict is read
    again by the mapping reader, which names the missing field.
    """
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_cls": schema.model,
        "_as_mapping": _as_mapping,
        "NOTHING": NOTHING,
        "DecodeError": DecodeError,
        "_UNREAD": UNREAD,
    }
    known = {f.key for f in fields}
    tail = [
        f"self.{f.key} = {_default_expression(namespace, 1000 + i, f.spec)}"
        for i, f in enumerate(schema.fields)
        if f.key not in known
    ]
    tail += ["self._wire = d", f"self._decoded_at = {decoded_at!r}", "return self"]

    def body(required_by_index: bool) -> list[str]:
        lines = ["self = _new(_cls)"]
        for i, f in enumerate(fields):
            deferred = required_by_index and f.key in schema.deferred
            lines.extend(_field_decoder_lines(namespace, i, f, required_by_index, deferred))
        return lines + tail

    source = "\n".join(
        [
            "def from_wire(d):",
            "    if d.__class__ is dict:",
            "        try:",
            *(" " * 12 + line for line in body(required_by_index=True)),
            "        except KeyError:",
            "            pass",
            "    return from_mapping(d)",
            "",
            "def from_mapping(d):",
            "    if d.__class__ is not dict:",
            "        d = _as_mapping(d)",
            *(" " * 4 + line for line in body(required_by_index=False)),
            "",
        ]
    )
    filename = _register_source(f"<ceilocompat {schema.name} {decoded_at or 'latest'} decoder>", source)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102  source made from the model's declarations
    decoder = namespace["from_wire"]
    decoder.__doc__ = (
        f"Decode a {schema.name} wire dict (tolerant: unknown keys are ignored, "
        "missing optional keys get defaults; raises DecodeError)."
    )
    decoder.__source__ = source
    return cast("Callable[[Any], Any]", decoder)


def _register_source(name: str, source: str) -> str:
    """Give generated source a unique file name that tracebacks and tools can read.

    As attrs does for the methods it writes, the source goes into
    :mod:`linecache`, so a traceback through a decoder shows its lines and
    ``inspect.getsource`` finds them.
    """
    filename, number, lines = name, 1, source.splitlines(True)
    while filename in linecache.cache and linecache.getlines(filename) != lines:
        number += 1
        filename = f"{name[:-1]}-{number}>"
    linecache.cache[filename] = (len(source), None, lines, filename)
    return filename


def _field_decoder_lines(
    namespace: dict[str, Any], i: int, f: WireField, required_by_index: bool, deferred: bool
) -> list[str]:
    """Source lines that read, check and store one field into ``self``.

    With *required_by_index* a required key is read with ``d[key]`` (a
    missing one raises KeyError); otherwise every key is read with ``get``.
    With *deferred* a value the kind's ``deferrable`` test passes is stored
    as ``UNREAD``, to be converted on first read.
    """
    spec, kind, key = f.spec, f.spec.kind, f.key
    namespace[f"_convert{i}"] = kind.convert
    # A missing key reads as None when None is both its default and a fast value.
    missing_is_none = not spec.required and spec.default_factory is None and spec.default is None
    missing_is_none = missing_is_none and NoneType in kind.fast_classes
    if spec.required and required_by_index:
        read, reads_nothing = f"d[{key!r}]", False
    elif missing_is_none:
        read, reads_nothing = f"d.get({key!r})", False
    else:
        read, reads_nothing = f"d.get({key!r}, NOTHING)", True
    slow_path = _slow_path_test(namespace, i, kind)
    lines = [f"v = {read}"]
    if deferred:
        namespace[f"_deferrable{i}"] = kind.deferrable
        lines += [f"if _deferrable{i}(v):", "    v = _UNREAD", "else:" if slow_path == "True" else f"elif {slow_path}:"]
    else:
        lines.append(f"if {slow_path}:")
    branches = []
    if reads_nothing:
        if spec.required:
            branches.append(("v is NOTHING", [f"raise DecodeError({key!r}, NOTHING, 'required field is missing')"]))
        else:
            branches.append(("v is NOTHING", [f"v = {_default_expression(namespace, i, spec)}"]))
    for j, (cls, builtin) in enumerate(kind.coercions):
        namespace[f"_class{i}_{j}"], namespace[f"_coerce{i}_{j}"] = cls, builtin
        # Catches everything: a coercion of a kind of one's own may fail in any way, and whatever it raises the
        # value goes to the kind's converter, which accepts it or raises the DecodeError that names the field.
        coerce = ["try:", f"    v = _coerce{i}_{j}(v)", "except Exception:", f"    v = _convert{i}(v, {key!r})"]
        branches.append((f"type(v) is _class{i}_{j}", coerce))
    convert = [f"v = _convert{i}(v, {key!r})"]
    for n, (test, block) in enumerate(branches):
        lines.append(f"    {'if' if n == 0 else 'elif'} {test}:")
        lines.extend(" " * 8 + line for line in block)
    if branches:
        lines.append("    else:")
        lines.extend(" " * 8 + line for line in convert)
    else:
        lines.extend(" " * 4 + line for line in convert)
    lines.append(f"self.{key} = v")
    return lines


def _default_expression(namespace: dict[str, Any], i: int, spec: FieldSpec) -> str:
    if spec.default_factory is not None:
        namespace[f"_factory{i}"] = spec.default_factory
        return f"_factory{i}()"
    if spec.default is None or isinstance(spec.default, (str, int, float, bool)):
        return repr(spec.default)
    namespace[f"_default{i}"] = spec.default
    return f"_default{i}"


def _slow_path_test(namespace: dict[str, Any], i: int, kind: Kind) -> str:
    """True for a value that is not of one of the kind's fast classes."""
    classes = [cls for cls in kind.fast_classes if cls is not NoneType]
    tests = []
    if len(classes) == 1:
        namespace[f"_fast{i}"] = classes[0]
        tests.append(f"type(v) is not _fast{i}")
    elif classes:
        namespace[f"_fast{i}"] = frozenset(classes)
        tests.append(f"type(v) not in _fast{i}")
    if NoneType in kind.fast_classes:
        tests.append("v is not None")
    return " and ".join(tests) or "True"


# --- encoding ----------------------------------------------------------------


def _encode(
    obj: Any,
    fields: Sequence[WireField],
    keys: frozenset[str],
    secret: str | None,
    keep_unknown: bool,
) -> dict[str, Any]:
    received = obj._wire
    out: dict[str, Any] = {}
    if received is None:
        for f in fields:
            value = getattr(obj, f.key)
            if value is None and f.spec.omit_when_none:
                continue
            out[f.key] = f.encode_value(value)
        if out.get(SIGNATURE_KEY) is None and SIGNATURE_KEY in keys:
            out[SIGNATURE_KEY] = ""
    else:
        by_key = {f.key: f for f in fields}
        decoded = obj.__wire__.view(obj._decoded_at).keys if obj._decoded_at else None
        for key, raw in received.items():
            field = by_key.pop(key, None)
            if field is None:
                if keep_unknown:
                    out[key] = raw
            elif decoded is not None and key not in decoded:
                out[key] = raw  # never decoded: passed on as received
            else:
                out[key] = _current_wire_value(obj, field, raw)
        for f in by_key.values():  # known keys the received dict lacked
            value = getattr(obj, f.key)
            if not same_value(f.kind, f.spec.missing_value(), value):
                out[f.key] = f.encode_value(value)
    if secret is not None:
        out.pop(SIGNATURE_KEY, None)
        out[SIGNATURE_KEY] = compute_signature(out, secret)
    return out


def _current_wire_value(obj: Any, f: WireField, raw: Any) -> Any:
    if f.key in obj.__wire__.deferred and is_unread(obj, f.key):
        return raw  # never read, so never changed
    value = getattr(obj, f.key)
    try:
        unchanged = same_value(f.kind, f.decode_value(raw), value)
    except DecodeError:
        unchanged = False
    return raw if unchanged else f.encode_value(value)

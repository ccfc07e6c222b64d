"""Sphinx directives that render reference tables from the code itself.

Nothing these directives print is written by hand: the wire tables come from
a model's ``__wire__`` schema (the same declarations its decoder is generated
from), the route table from :mod:`ceilocompat.routing`, and the command line
reference from :func:`ceilocompat.cli.build_parser`.

``.. wire-fields:: ceilocompat.Sample``
    One row per wire key: kind, what a reader assumes when it is absent,
    the model version (and Ceilometer release) that added it, and notes.

``.. wire-versions:: ceilocompat.Sample``
    One row per model version: first release, series, backports, keys added.

``.. wire-enum:: ceilocompat.TraitType``
    The codes of an integer enum.

``.. wire-routes::`` (optionally ``module:ATTRIBUTE``)
    Where each built-in route travels on the bus.

``.. cli-help:: ceilocompat.cli:build_parser``
    The help of a command and of every subcommand, one section each.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import importlib
import inspect
import json
import os
from collections.abc import Iterator
from typing import Any

import attrs
from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

__version__ = "1.0"

#: Width the CLI help is wrapped to, whatever the terminal running Sphinx.
HELP_COLUMNS = 88


def import_object(path: str) -> Any:
    """``package.module.Name`` or ``package.module:attr.attr`` to an object."""
    if ":" in path:
        module_name, _, attr_path = path.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in attr_path.split("."):
            obj = getattr(obj, part)
        return obj
    module_name, _, name = path.rpartition(".")
    if not module_name:
        return importlib.import_module(path)
    return getattr(importlib.import_module(module_name), name)


def literal(text: str) -> str:
    """An inline literal in reST, safe for any text."""
    text = text.replace("\\", "\\\\").replace("`", "\\`")
    return f"``{text}``" if text.strip() else "(empty)"


def wire_json(value: Any) -> str:
    """A value as it would be written on the wire (JSON)."""
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


class TableDirective(SphinxDirective):
    """Base: build a ``list-table`` in reST and parse it in place."""

    def note_source_of(self, obj: Any) -> None:
        """Rebuild this page when the file defining *obj* changes."""
        with contextlib.suppress(TypeError, OSError):
            source = inspect.getsourcefile(obj)
            if source:
                self.env.note_dependency(source)

    def render(self, header: list[str], rows: list[list[str]], widths: str | None = None) -> list[nodes.Node]:
        lines = [".. list-table::", "   :header-rows: 1"]
        if widths:
            lines.append(f"   :widths: {widths}")
        lines.append("")
        for row in [header, *rows]:
            for i, cell in enumerate(row):
                cell_lines = str(cell).splitlines() or [""]
                bullet = "   * - " if i == 0 else "     - "
                lines.append(bullet + cell_lines[0])
                lines.extend("       " + line for line in cell_lines[1:])
        return self.parse(lines)

    def parse(self, lines: list[str]) -> list[nodes.Node]:
        container = nodes.container()
        source = f"<{self.name} {' '.join(self.arguments)}>"
        nested_parse_with_titles(self.state, StringList(lines, source=source), container)
        return container.children

    def schema_of(self, path: str) -> Any:
        model = import_object(path)
        schema = getattr(model, "__wire__", None)
        if schema is None:
            raise self.error(f"{path} is not a wire model (no __wire__ schema)")
        self.note_source_of(model)
        return schema


def _series(series: str) -> str:
    """``kilo`` to ``Kilo``; numbered series (``2023.1``) as they are."""
    return series.title() if series.isalpha() else series


def _since(schema: Any, number: str) -> str:
    for version in schema.versions:
        if version.number == number:
            release = version.release + (f" {_series(version.series)}" if version.series else "")
            if version.also_in:
                release += "; also " + ", ".join(version.also_in)
            return f"{number} ({release})"
    return number


class WireFieldsDirective(TableDirective):
    """Every wire key of a model, from its field declarations."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        schema = self.schema_of(self.arguments[0])
        rows = []
        for field in schema.fields:
            spec = field.spec
            absent = "**required**" if spec.required else literal(wire_json(spec.kind.encode(spec.missing_value())))
            notes = [spec.doc] if spec.doc else []
            if spec.meaning:
                notes.append(f"*Meaning changed:* {spec.meaning}")
            if spec.omit_when_none:
                notes.append("Left out of the payload when it has no value.")
            if spec.deprecated_in:
                notes.append(f"*Deprecated in* {spec.deprecated_in}.")
            if spec.drop_after:
                notes.append(f"*May be dropped after* {spec.drop_after}.")
            rows.append(
                [literal(field.key), literal(spec.kind.name), absent, _since(schema, spec.since), "\n\n".join(notes)]
            )
        header = ["Key", "Kind", "Assumed when absent", "Since (first release)", "Notes"]
        return self.render(header, rows, "14 14 16 14 42")


class WireVersionsDirective(TableDirective):
    """Every version of a model and the keys it added."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        schema = self.schema_of(self.arguments[0])
        rows = []
        for version in schema.versions:
            added = [f.key for f in schema.fields if f.spec.since == version.number]
            release = version.release + (f" ({_series(version.series)})" if version.series else "")
            rows.append(
                [
                    literal(version.number),
                    release,
                    ", ".join(version.also_in) or "",
                    ", ".join(literal(k) for k in added),
                    version.note,
                ]
            )
        header = ["Version", "First release", "Also in", "Keys added", "Note"]
        return self.render(header, rows, "8 16 14 32 30")


class WireEnumDirective(TableDirective):
    """The members of an integer enum: code and name."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        enum_class = import_object(self.arguments[0])
        self.note_source_of(enum_class)
        rows = [[literal(str(int(member))), literal(member.name.lower())] for member in enum_class]
        return self.render(["Code", "Meaning"], rows)


class WireRoutesDirective(TableDirective):
    """Where each route travels: topic, event type, queue, payload shape."""

    optional_arguments = 1

    def run(self) -> list[nodes.Node]:
        path = self.arguments[0] if self.arguments else "ceilocompat.routing:BUILTIN_ROUTES"
        routes = import_object(path)
        self.note_source_of(importlib.import_module(path.partition(":")[0]))
        rows = [
            [
                literal(route.model_name),
                literal(route.exchange),
                literal(route.topic),
                literal(route.event_type),
                literal(route.routing_key),
                literal(str(route.payload_shape)),
            ]
            for route in routes
        ]
        header = ["Model", "Exchange", "Topic", "Event type", "Routing key and queue", "Payload"]
        return self.render(header, rows)


@contextlib.contextmanager
def _columns(width: int) -> Iterator[None]:
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    """``(name, help, parser)`` of each subcommand, in definition order."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
        seen: set[int] = set()
        for name, sub in action.choices.items():
            if id(sub) in seen:  # an alias
                continue
            seen.add(id(sub))
            yield name, helps.get(name, ""), sub


class CliHelpDirective(SphinxDirective):
    """The ``--help`` of a command line and of each of its subcommands."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        factory = import_object(self.arguments[0])
        with contextlib.suppress(TypeError, OSError):
            self.env.note_dependency(inspect.getsourcefile(factory))
        parser = factory()
        with _columns(HELP_COLUMNS):
            return [self._help_block(parser), *self._sections(parser)]

    def _help_block(self, parser: argparse.ArgumentParser) -> nodes.Node:
        text = parser.format_help().rstrip()
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return block

    def _sections(self, parser: argparse.ArgumentParser) -> list[nodes.Node]:
        sections = []
        for _name, help_text, sub in _subcommands(parser):
            section = nodes.section()
            section["ids"].append(nodes.make_id(sub.prog))
            section["names"].append(nodes.fully_normalize_name(sub.prog))
            self.state.document.note_implicit_target(section, section)
            section += nodes.title(sub.prog, "", nodes.literal(sub.prog, sub.prog))
            if help_text:
                section += nodes.paragraph(help_text, help_text[:1].upper() + help_text[1:] + ".")
            section += self._help_block(sub)
            section.extend(self._sections(sub))
            sections.append(section)
        return sections


def attrs_has(obj: Any) -> bool:
    return isinstance(obj, type) and attrs.has(obj)


def wire_model_signature(app: Any, what: str, name: str, obj: Any, options: Any, signature: Any, ret: Any) -> Any:
    """Constructor signature of a wire model: its wire keys, required first.

    The attrs-generated ``__init__`` also takes the private ``wire`` and
    ``decoded_at`` arguments that decoding fills in; they are left out.
    """
    if what != "class" or not hasattr(obj, "__wire__") or not attrs_has(obj):
        return None
    by_name = {a.name: a for a in attrs.fields(obj)}
    required, optional = [], []
    for field in obj.__wire__.fields:
        attribute = by_name.get(field.key)
        if attribute is None:
            continue
        default = attribute.default
        if default is attrs.NOTHING:
            required.append(field.key)
        elif isinstance(default, attrs.Factory):
            shown = repr(field.spec.default_factory()) if field.spec.default_factory else "<new>"
            optional.append(f"{field.key}={shown}")
        else:
            optional.append(f"{field.key}={default!r}")
    return "(*, " + ", ".join(required + optional) + ")", ret


def _shown_default(default: Any) -> str:
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return repr(default.factory()) if not default.takes_self else "<computed>"
    if isinstance(default, enum.Enum):
        return f"{type(default).__name__}.{default.name}"
    if inspect.isfunction(default) or inspect.isclass(default):
        return default.__name__
    return repr(default)


def attrs_signature(app: Any, what: str, name: str, obj: Any, options: Any, signature: Any, ret: Any) -> Any:
    """Constructor signature of any other attrs class, with readable defaults.

    With ``autodoc_preserve_defaults`` Sphinx shows the defaults as written
    in the attrs-generated ``__init__`` (``attr_dict['x'].default``); this
    shows each default's value instead.
    """
    if what != "class" or not attrs_has(obj) or not signature or "attr_dict[" not in signature:
        return None
    positional, keyword = [], []
    for attribute in attrs.fields(obj):
        if not attribute.init:
            continue
        text = attribute.alias
        if attribute.default is not attrs.NOTHING:
            text += "=" + _shown_default(attribute.default)
        (keyword if attribute.kw_only else positional).append(text)
    return "(" + ", ".join(positional + (["*", *keyword] if keyword else [])) + ")", ret


def setup(app: Any) -> dict:
    app.connect("autodoc-process-signature", wire_model_signature)
    app.connect("autodoc-process-signature", attrs_signature)
    app.add_directive("wire-fields", WireFieldsDirective)
    app.add_directive("wire-versions", WireVersionsDirective)
    app.add_directive("wire-enum", WireEnumDirective)
    app.add_directive("wire-routes", WireRoutesDirective)
    app.add_directive("cli-help", CliHelpDirective)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}

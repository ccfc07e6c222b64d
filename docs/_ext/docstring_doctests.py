"""Run the examples of autodoc'ed docstrings the way ``doctest`` does.

Sphinx's doctest builder puts every ``>>>`` block of a page into one shared
namespace, so a name bound in one docstring's example leaks into the next and
module globals are not available at all. This extension turns each
docstring's examples into a doctest group of its own whose namespace starts
as a copy of the defining module's globals, as ``python -m doctest`` and
``pytest --doctest-modules`` run them.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from typing import Any

__version__ = "1.0"

_PROMPT = re.compile(r"^(\s*)>>>( |$)")


def _module_name(what: str, name: str, obj: Any) -> str | None:
    if what == "module" and inspect.ismodule(obj):
        return obj.__name__
    target = obj.fget if isinstance(obj, property) else obj
    target = inspect.unwrap(target) if callable(target) else target
    module = getattr(target, "__module__", None)
    if isinstance(module, str) and module in sys.modules:
        return module
    parts = name.split(".")
    for end in range(len(parts) - 1, 0, -1):  # longest importable prefix of the name
        candidate = ".".join(parts[:end])
        try:
            importlib.import_module(candidate)
        except ImportError:
            continue
        return candidate
    return None


def _setup_lines(group: str, module: str, indent: str) -> list[str]:
    return [
        f"{indent}.. testsetup:: {group}",
        "",
        f"{indent}   import importlib as _docs_importlib",
        f"{indent}   globals().update({{_k: _v for _k, _v in vars(_docs_importlib.import_module({module!r})).items()",
        f"{indent}                     if not (_k.startswith('__') and _k.endswith('__'))}})",
        "",
    ]


def _in_literal(done: list[str]) -> bool:
    """Whether the next block follows a ``::`` paragraph (a literal block)."""
    for line in reversed(done):
        if line.strip():
            return line.rstrip().endswith("::")
    return False


def isolate_examples(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """Wrap each ``>>>`` block of a docstring in a ``doctest`` directive."""
    if not any(_PROMPT.match(line) for line in lines):
        return
    module = _module_name(what, name, obj)
    group = f"docstring:{name}"
    out: list[str] = []
    setup_done = False
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _PROMPT.match(line)
        starts_block = match is not None and (i == 0 or not lines[i - 1].strip()) and not _in_literal(out)
        if not starts_block:
            out.append(line)
            i += 1
            continue
        indent = match.group(1)
        block = []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i])
            i += 1
        if not setup_done and module is not None:
            out.extend(_setup_lines(group, module, indent))
            setup_done = True
        out.append(f"{indent}.. doctest:: {group}")
        out.append("")
        out.extend(f"{indent}   {text[len(indent):] if text.startswith(indent) else text.lstrip()}" for text in block)
        out.append("")
    lines[:] = out


def setup(app: Any) -> dict:
    app.setup_extension("sphinx.ext.autodoc")
    app.setup_extension("sphinx.ext.doctest")
    app.connect("autodoc-process-docstring", isolate_examples)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}

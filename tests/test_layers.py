"""The package's import graph follows its layers: each imports only from the layers above it."""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "ceilocompat"

#: The layers, top (imported by everyone) to bottom; the same table is in docs/guides/developers.rst.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundations", ("ceilocompat._errors", "ceilocompat.releases", "ceilocompat._timestamps",
                     "ceilocompat._messaging", "ceilocompat.config", "ceilocompat._compiled",
                     "ceilocompat._decoder_accel")),
    ("integrity", ("ceilocompat._signing", "ceilocompat._signing_accel")),
    ("bytes", ("ceilocompat._envelope",)),
    ("models", ("ceilocompat.models",)),
    ("payloads", ("ceilocompat._payload", "ceilocompat._documents", "ceilocompat._key_shapes",
                  "ceilocompat._key_shapes_accel")),
    ("places", ("ceilocompat.partitioning",)),
    ("routes", ("ceilocompat.routing",)),
    ("consumers", ("ceilocompat._consumers", "ceilocompat._publisher", "ceilocompat._sending",
                   "ceilocompat.queue_policy")),
    ("facade", ("ceilocompat",)),
    ("evolution", ("ceilocompat.evolution",)),
    ("testing", ("ceilocompat.testing",)),
    ("upgrade", ("ceilocompat.upgrade",)),
    ("grenade", ("ceilocompat.grenade",)),
    ("command line", ("ceilocompat.cli", "ceilocompat.__main__")),
    ("plugins", ("ceilocompat.pytest_plugin",)),
]


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int:
    """The index of the layer a module belongs to: its own or its package's, longest match."""
    best, found = -1, None
    for index, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), index
    if found is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS and to the developer guide")
    return found


def imports_of(path: pathlib.Path) -> list[tuple[int, str]]:
    """(line, module) of every ceilocompat import in a module, at any depth, TYPE_CHECKING ones excepted."""
    tree = ast.parse(path.read_text(), str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("ceilocompat")]
        elif (isinstance(node, ast.ImportFrom) and node.module and node.level == 0
              and node.module.startswith("ceilocompat")):
            if node.module == "ceilocompat":  # ``from ceilocompat import x``: x may be a subpackage
                found += [(node.lineno, f"ceilocompat.{a.name}" if (PACKAGE / a.name).exists()
                           or (PACKAGE / f"{a.name}.py").exists() else "ceilocompat") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_in_a_layer():
    for path in MODULES:
        layer_of(module_name(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_each_layer_imports_only_from_the_layers_above_it(path):
    me = module_name(path)
    mine = layer_of(me)
    wrong = [f"line {line}: {me} ({LAYERS[mine][0]}) imports {other} ({LAYERS[layer_of(other)][0]})"
             for line, other in imports_of(path) if layer_of(other) > mine]
    assert not wrong, "\n".join(wrong)


def test_the_import_graph_has_no_cycles():
    graph = {module_name(p): {m for _, m in imports_of(p)} - {module_name(p)} for p in MODULES}
    # A package's __init__ importing its own modules is not a cycle of concepts.
    for name, deps in graph.items():
        graph[name] = {d for d in deps if not d.startswith(name + ".") and d in graph}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(dep):] + [dep]))
            if dep not in state:
                visit(dep, trail + [dep])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])


def test_the_rule_can_fail(tmp_path):
    """A model importing the command line is caught (the check is not vacuous)."""
    bad = PACKAGE / "models" / "_sample.py"
    source = bad.read_text() + "\nfrom ceilocompat.cli import main\n"
    fake = tmp_path / "ceilocompat" / "models" / "_sample.py"
    fake.parent.mkdir(parents=True)
    fake.write_text(source)
    offending = [m for _, m in imports_of(fake) if layer_of(m) > layer_of("ceilocompat.models._sample")]
    assert offending == ["ceilocompat.cli"]


def test_the_facade_has_every_name_it_lists():
    """``ceilocompat.__all__`` resolves, lazy names included."""
    import ceilocompat

    missing = [name for name in ceilocompat.__all__ if not hasattr(ceilocompat, name)]
    assert not missing

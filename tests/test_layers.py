"""The house rules of issue 10, read from the source with ``ast`` (nothing is imported):

* no import cycle among the kit's modules;
* no module imports one in a layer above it (the layers are data, below);
* the shared parts know neither engine generation;
* the 2025 engine knows no concept, reader, database, table, diagnosis or widget, nor pandas,
  pymongo, mongomock or ipywidgets, and imports none of the kit's modules lazily;
* no ``from x import _private`` (or ``module._private``) across modules;
* no module over 500 lines and no function over 60 lines (pure data tables aside).

Where today's code still breaks a rule while its owner refactors it, the violation is listed in a
``KNOWN_…`` table as a strict xfail: it fails loudly once fixed, so the entry is deleted and the
rule stays tight.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sessioning"

# The layers, lowest first: a module may import modules of its own layer or of a lower one. A module
# belongs to the layer of the longest prefix listed (``sessioning.gen2025.engine`` before ``sessioning.gen2025``).
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("leaves", ("sessioning.masking", "sessioning.console", "sessioning.ids", "sessioning.errors",
                "sessioning.files", "sessioning.failure_modes", "sessioning.findings")),
    # the generation registry is data (markers, module names): the generations may import it
    ("shared data", ("sessioning.record", "sessioning.db", "sessioning.doctor_report", "sessioning.generations",
                     "sessioning.diagrams", "sessioning.styling")),
    ("2025 engine", ("sessioning.gen2025.engine",)),
    ("generations", ("sessioning.gen2025", "sessioning.gen2026")),
    ("tables and widgets", ("sessioning.tables", "sessioning.widgets")),
    ("command line", ("sessioning.cli", "sessioning.__main__")),
    ("public face", ("sessioning",)),
]

GENERATIONS = ("sessioning.gen2025", "sessioning.gen2026")
# Only these may import an engine generation from outside it: the flat public face (its names must
# keep working) and the CLI's generation registry.
MAY_IMPORT_GENERATIONS = ("sessioning", "sessioning.generations")

ENGINE = "sessioning.gen2025.engine"
ENGINE_MUST_NOT_IMPORT = (
    "sessioning.gen2025.concepts", "sessioning.gen2025.readers", "sessioning.gen2025.diagnosis",
    "sessioning.gen2025.diagnose", "sessioning.gen2025.app", "sessioning.gen2025.server", "sessioning.db",
    "sessioning.tables", "sessioning.widgets", "sessioning.cli", "pandas", "pymongo", "mongomock", "ipywidgets",
)

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


# ---------------------------------------------------------------- reading the source


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module (a kit module resolved to its file, or a third-party name)
    names: tuple[str, ...]  # names taken with `from target import …` (none for `import target`)
    line: int
    nested: bool  # inside a function (a lazy import)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


SOURCES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
TREES: dict[str, ast.Module] = {m: ast.parse(p.read_text(encoding="utf-8")) for m, p in SOURCES.items()}


def _is_package(module: str) -> bool:
    return SOURCES[module].name == "__init__.py"


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if _is_package(module) else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _nested_nodes(tree: ast.AST) -> set[int]:
    """ids of the import nodes that sit inside a function body."""
    out: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            out.update(id(n) for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom)))
    return out


def imports(module: str) -> Iterator[Import]:
    """Every import in ``module``, at any depth, with ``from pkg import submodule`` resolved to the submodule."""
    tree = TREES[module]
    nested = _nested_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, (), node.lineno, id(node) in nested)
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = _absolute(module, node)
            plain = []
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if sub in SOURCES:
                    yield Import(module, sub, (), node.lineno, id(node) in nested)
                else:
                    plain.append(alias.name)
            if plain:
                yield Import(module, base, tuple(plain), node.lineno, id(node) in nested)


ALL_IMPORTS: list[Import] = [i for m in SOURCES for i in imports(m)]


def kit_edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in SOURCES}
    for i in ALL_IMPORTS:
        if i.target in SOURCES and i.target != i.module:
            graph[i.module].add(i.target)
    return graph


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for index, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if _within(module, prefix) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")
    return best


# ---------------------------------------------------------------- what counts as data


_DATA_NODES = (ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.Name, ast.BinOp, ast.UnaryOp,
               ast.Load, ast.Add, ast.USub, ast.Mult, ast.Attribute)


def is_data(node: ast.AST | None) -> bool:
    """A literal table: constants, containers, names and ``+`` of them (no calls, no comprehensions)."""
    return node is not None and all(isinstance(n, _DATA_NODES) for n in ast.walk(node))


def _is_data_statement(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return True  # a docstring
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(stmt, ast.Assign):
        return is_data(stmt.value)
    if isinstance(stmt, ast.AnnAssign):
        return stmt.value is None or is_data(stmt.value)
    return False


def is_data_module(module: str) -> bool:
    return all(_is_data_statement(s) for s in TREES[module].body)


def _span(node: ast.AST) -> int:
    return node.end_lineno - node.lineno + 1


def function_lengths() -> Iterator[tuple[str, int]]:
    """``module:qualified.name`` and its length without its docstring and its pure-data assignments."""
    def visit(module: str, body: list[ast.stmt], prefix: str) -> Iterator[tuple[str, int]]:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                exempt = sum(_span(s) for s in node.body if isinstance(s, (ast.Assign, ast.AnnAssign, ast.Expr))
                             and _is_data_statement(s))
                yield f"{module}:{prefix}{node.name}", _span(node) - exempt
                yield from visit(module, node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.ClassDef):
                yield from visit(module, node.body, f"{prefix}{node.name}.")

    for module, tree in TREES.items():
        yield from visit(module, tree.body, "")


# ---------------------------------------------------------------- the rules, as lists of violations


def cycles() -> list[str]:
    """Each import cycle (a strongly connected component of more than one module), sorted."""
    graph = kit_edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[str] = []
    counter = [0]

    def strongconnect(v: str) -> None:  # Tarjan; the graph has ~100 nodes, recursion is fine
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(" ↔ ".join(sorted(component)))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return sorted(found)


def upward_imports() -> list[str]:
    out = set()
    for i in ALL_IMPORTS:
        if i.target in SOURCES and i.target != i.module and layer_of(i.target) > layer_of(i.module):
            out.add(f"{i.module} → {i.target}")
    return sorted(out)


def shared_importing_generations() -> list[str]:
    out = set()
    for i in ALL_IMPORTS:
        if any(_within(i.module, g) for g in GENERATIONS) or i.module in MAY_IMPORT_GENERATIONS:
            continue
        if any(_within(i.target, g) for g in GENERATIONS):
            out.add(f"{i.module} → {i.target}")
    return sorted(out)


def engine_imports() -> list[str]:
    out = set()
    for i in ALL_IMPORTS:
        if not _within(i.module, ENGINE):
            continue
        if any(_within(i.target, bad) for bad in ENGINE_MUST_NOT_IMPORT):
            out.add(f"{i.module} → {i.target}")
        elif i.nested and _within(i.target, "sessioning"):
            out.add(f"{i.module} → {i.target} (lazy)")
        elif i.target == "sessioning":
            out.add(f"{i.module} → sessioning (the public face)")
    return sorted(out)


def private_imports() -> list[str]:
    out = set()
    for i in ALL_IMPORTS:
        if not _within(i.target, "sessioning") or i.target == i.module:
            continue
        for name in i.names:
            if name.startswith("_") and not name.startswith("__"):
                out.add(f"{i.module} → {i.target}.{name}")
    # `module._private` through a module imported whole (`from sessioning import tables; tables._x`)
    for module, tree in TREES.items():
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module != "__future__":
                base = _absolute(module, node)
                for a in node.names:
                    if f"{base}.{a.name}" in SOURCES:
                        aliases[a.asname or a.name] = f"{base}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname and a.name in SOURCES:
                        aliases[a.asname] = a.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                    and node.attr.startswith("_") and not node.attr.startswith("__")
                    and aliases[node.value.id] != module):
                out.add(f"{module} → {aliases[node.value.id]}.{node.attr}")
    return sorted(out)


def long_modules() -> list[str]:
    out = []
    for module, path in SOURCES.items():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_MODULE_LINES and not is_data_module(module):
            out.append(f"{module} ({n} lines)")
    return sorted(out)


def long_functions() -> list[str]:
    return sorted(f"{name} ({n} lines)" for name, n in function_lengths() if n > MAX_FUNCTION_LINES)


RULES = {
    "cycles": cycles,
    "upward imports": upward_imports,
    "shared parts importing an engine generation": shared_importing_generations,
    "2025 engine imports": engine_imports,
    "private names across modules": private_imports,
    "modules over 500 lines": long_modules,
    "functions over 60 lines": long_functions,
}

# ---------------------------------------------------------------- today's violations, being refactored away
# Each entry is the violation text without the line counts. Delete an entry when its refactor lands
# (the strict xfail below fails as soon as the violation is gone).
KNOWN: dict[str, list[str]] = {
    "cycles": [
    ],
    "upward imports": [
    ],
    "shared parts importing an engine generation": [
    ],
    "2025 engine imports": [
    ],
    "private names across modules": [],
    "modules over 500 lines": [
    ],
    "functions over 60 lines": [
    ],
}


def _key(violation: str) -> str:
    return violation.split(" (", 1)[0] if violation.endswith(" lines)") else violation


@functools.cache
def current(rule: str) -> frozenset[str]:
    return frozenset(_key(v) for v in RULES[rule]())


@pytest.mark.parametrize("rule", list(RULES))
def test_no_new_violations(rule):
    new = sorted(current(rule) - set(KNOWN[rule]))
    assert not new, f"{rule}: {new}"


@pytest.mark.parametrize(("rule", "violation"), [
    pytest.param(rule, v, id=f"{rule}: {v}", marks=pytest.mark.xfail(
        strict=True, reason="known violation being refactored away; once it passes, delete it from KNOWN"))
    for rule, items in KNOWN.items() for v in items
])
def test_known_violation_is_gone(rule, violation):
    assert violation not in current(rule)


# ---------------------------------------------------------------- the checks themselves


def test_every_module_has_a_layer_and_the_layers_are_ordered_as_the_plan_says():
    for module in SOURCES:
        layer_of(module)
    assert layer_of("sessioning.masking") < layer_of("sessioning.db.connect") < layer_of(ENGINE)
    assert layer_of(ENGINE) < layer_of("sessioning.gen2025.readers.logs") < layer_of("sessioning.tables")
    assert layer_of("sessioning.tables") < layer_of("sessioning.cli") < layer_of("sessioning")


def test_the_import_reader_resolves_relative_and_submodule_imports():
    found = {(i.target, i.names) for i in imports("sessioning.findings")}
    assert ("sessioning.failure_modes", ("MODES",)) in found
    targets = {i.target for i in imports("sessioning.failure_modes")}
    assert "sessioning.failure_modes.catalogue_2025" in targets


def test_data_tables_are_exempt_but_code_is_not():
    assert is_data_module("sessioning.failure_modes.catalogue_2025")
    assert not is_data_module("sessioning.failure_modes")
    assert is_data(ast.parse('{"a": ("x" + "y", 1), "b": [-1]}', mode="eval").body)
    assert not is_data(ast.parse("{k: 1 for k in x}", mode="eval").body)
    assert not is_data(ast.parse("f(1)", mode="eval").body)

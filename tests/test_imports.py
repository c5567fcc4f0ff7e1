"""The package's import graph has no cycles, between modules or between rooms (kg, reasoning, serve, …).

Imports inside functions count too: a function-level import hides a cycle from Python, not from a reader.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_SHIPPED = {"tests", "bench", "docs", ".venv", ".git"}


def module_name(path: Path) -> str:
    """`kg/store.py` → `whytag.kg.store`; a package's `__init__.py` is the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(["whytag", *parts])


def package_modules() -> dict[str, Path]:
    """Every shipped module of the package, by dotted name."""
    return {module_name(p): p for p in ROOT.rglob("*.py") if not set(p.relative_to(ROOT).parts) & NOT_SHIPPED}


def imported(node: ast.AST, modules: dict[str, Path], importer: str) -> set[str]:
    """The package's modules an import statement names (`from a import b` names `a.b` when that is a module)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    else:
        return set()
    found = set()
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        # a module's own package's __init__ is imported by Python anyway; it is not an edge of the module's making
        if name and name != importer and not importer.startswith(name + "."):
            found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the package's modules it imports, at any depth of its code."""
    modules = package_modules()
    return {name: set().union(*(imported(node, modules, name) for node in ast.walk(ast.parse(path.read_text()))))
            for name, path in modules.items()}


def room(module: str) -> str:
    """The top-level part of the package a module lives in (`whytag.kg.store` → `kg`; the root's `__init__` →
    `whytag`)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while (top := stack.pop()) != node:
                component.append(top)
            if component:
                found.append(sorted([node, *component]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others() -> None:
    graph = import_graph()
    assert len(graph) > 40  # the walk found the package
    assert cycles(graph) == []


def test_rooms_import_each_other_one_way() -> None:
    rooms: dict[str, set[str]] = defaultdict(set)
    for module, targets in import_graph().items():
        rooms[room(module)] |= {room(t) for t in targets} - {room(module)}
    assert {"kg", "reasoning", "extractors", "serve"} <= set(rooms)
    assert cycles(rooms) == []


def test_the_walk_sees_a_cycle_hidden_in_a_function() -> None:
    modules = {"whytag.a": ROOT, "whytag.b": ROOT}

    def edges(source: str, importer: str) -> set[str]:
        return set().union(*(imported(node, modules, importer) for node in ast.walk(ast.parse(source))))

    graph = {"whytag.a": edges("def f():\n    from whytag.b import g\n", "whytag.a"),
             "whytag.b": edges("import whytag.a\n", "whytag.b")}
    assert cycles(graph) == [["whytag.a", "whytag.b"]]

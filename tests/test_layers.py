"""The layers point down and no two files import each other, not even through others.

`bot/` (channels, web, CLI, settings) -> `handlers/` (features) -> `content/` (curated
YAML and understanding) -> `storage/` (models, queries, migrations). A module may
import its own layer or the layers below, never above. And the graph of imports
between files has no cycle: a cycle is usually dodged by moving one import into a
function, which hides the knot instead of untying it, so imports inside functions
count like the ones at the top. Imports under `if TYPE_CHECKING:` run only for
the type checker: they must not point upward either, but they are kept out of the
cycle check (and listed on their own when the test fails), since annotations
between two modules that work together are not an import-time knot.

The imports are read with `ast`, nothing is imported; the test needs no database.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("bot", "handlers", "content", "storage")  # top to bottom
RANK = {name: i for i, name in enumerate(LAYERS)}


@dataclass(frozen=True)
class Edge:
    source: str  # module name, e.g. "content.loader"
    target: str
    line: int
    where: str  # "top" (module level), "function" (inside a def), "type" (under TYPE_CHECKING)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    mods = {}
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            mods[module_name(path)] = path
    return mods


def is_package(name: str, mods: dict[str, Path]) -> bool:
    return name in mods and mods[name].name == "__init__.py"


def resolve(name: str, mods: dict[str, Path]) -> str | None:
    """The project module a dotted name lands in (the longest prefix that is one)."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        candidate = ".".join(parts[:i])
        if candidate in mods:
            return candidate
    return None


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(name: str, path: Path, mods: dict[str, Path]) -> list[Edge]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if is_package(name, mods) else name.rpartition(".")[0]
    edges: list[Edge] = []

    def add(target: str | None, node: ast.stmt, where: str) -> None:
        if target is None or target == name:
            return
        edges.append(Edge(name, target, node.lineno, where))
        # Importing a.b.c runs a/__init__ and a/b/__init__ first, unless the importer lives in them.
        parts = target.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            if is_package(parent, mods) and not (name == parent or name.startswith(parent + ".")):
                edges.append(Edge(name, parent, node.lineno, where))

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child.test):
                for stmt in child.body:
                    visit_stmt(stmt, "type")
                for stmt in child.orelse:
                    visit_stmt(stmt, where)
                continue
            visit_stmt(child, where)

    def visit_stmt(node: ast.AST, where: str) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(resolve(alias.name, mods), node, where)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                # `from pkg import mod` imports the module pkg.mod; `from mod import name` imports mod.
                submodule = f"{origin}.{alias.name}"
                add(submodule if submodule in mods else resolve(origin, mods), node, where)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            visit(node, "type" if where == "type" else "function")
        else:
            visit(node, where)

    visit(tree, "top")
    return edges


def all_edges() -> list[Edge]:
    mods = project_modules()
    return [e for name, path in mods.items() for e in imports_of(name, path, mods)]


def layer(module: str) -> str:
    return module.split(".")[0]


def upward(edges: list[Edge]) -> list[Edge]:
    return [e for e in edges if RANK[layer(e.target)] < RANK[layer(e.source)]]


def find_cycle(edges: list[Edge]) -> list[Edge] | None:
    """One cycle of the graph, as its edges in order, or None (an iterative depth-first search)."""
    graph: dict[str, list[Edge]] = {}
    for e in edges:
        graph.setdefault(e.source, []).append(e)
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(graph):
        if start in state:
            continue
        path: list[Edge] = []
        stack = [(start, iter(graph.get(start, ())))]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            edge = next(it, None)
            if edge is None:
                state[node] = 2
                stack.pop()
                if path:
                    path.pop()
                continue
            seen = state.get(edge.target)
            if seen == 1:
                cycle = path + [edge]
                first = next(i for i, e in enumerate(cycle) if e.source == edge.target)
                return cycle[first:]
            if seen is None:
                state[edge.target] = 1
                path.append(edge)
                stack.append((edge.target, iter(graph.get(edge.target, ()))))
    return None


def describe(edges: list[Edge]) -> str:
    return "\n".join(f"  {e.source} -> {e.target}  ({e.source.replace('.', '/')}.py:{e.line}, {e.where})"
                     for e in edges)


def test_the_graph_is_read():
    edges = all_edges()
    # A sanity check of the reader itself: it sees the top-level, in-function and type-only kinds.
    assert {"top", "function", "type"} <= {e.where for e in edges}
    assert any(e.source == "bot.cli" and layer(e.target) == "handlers" for e in edges)


def test_no_layer_imports_upward():
    bad = upward(all_edges())
    assert not bad, "imports pointing up the layers (bot -> handlers -> content -> storage):\n" + describe(bad)


def test_no_import_cycle_between_files():
    edges = all_edges()
    runtime = [e for e in edges if e.where != "type"]
    cycle = find_cycle(runtime)
    assert cycle is None, "an import cycle between files:\n" + describe(cycle) + (
        "\n(type-only imports, not counted:\n" + describe([e for e in edges if e.where == "type"]) + ")")


def test_the_cycle_finder_finds_one():
    edges = [Edge("a", "b", 1, "top"), Edge("b", "c", 1, "function"), Edge("c", "a", 1, "top"),
             Edge("c", "d", 1, "top")]
    assert [e.source for e in find_cycle(edges)] == ["a", "b", "c"]
    assert find_cycle(edges[:2] + edges[3:]) is None


def test_answering_a_question_alone_loads_no_database_code():
    """`python -m bot ask` reads the repository's content only: SQLModel and SQLAlchemy (a third
    of its start-up) stay unloaded, whatever content/ reads from storage/ (constants only)."""
    import subprocess
    import sys

    code = ("import sys; from bot.cli import main; main(['ask', 'hồ sơ bằng khen thủ tướng mấy bộ']); "
            "print('LOADED', sorted(m for m in ('sqlmodel', 'sqlalchemy', 'aiogram', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.returncode == 0, out.stderr
    assert "LOADED []" in out.stdout, out.stdout[-500:]

"""The shape of ``dashboard/``, checked on the source (no database, no app):

- the layers that must never import Reflex don't, directly or through another dashboard module;
- no import cycle exists among dashboard modules (imports that run at import time);
- no module passes 400 lines (outside ``seed/``, which is data-generation code, and migrations).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dashboard"
MAX_LINES = 400
NO_REFLEX_PACKAGES = ("core", "models", "web", "cli", "bench", "jobs")
NO_REFLEX_FILES = ("queries.py", "actions.py", "rules.py", "files.py")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, *, top_level_only: bool) -> set[str]:
    """Modules ``path`` imports (absolute names); with ``top_level_only`` only those run at import time."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If) and _is_type_checking(node):
                continue
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and top_level_only:
                continue
            elif isinstance(node, ast.ClassDef | ast.If | ast.Try | ast.With | ast.For | ast.While):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    visit([n for n in getattr(node, field, []) if isinstance(n, ast.stmt | ast.ExceptHandler)])
            elif isinstance(node, ast.ExceptHandler):
                visit(node.body)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(node.body)

    visit(tree.body)
    return found


def _graph(top_level_only: bool) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        graph[name] = {m for m in _imports(path, top_level_only=top_level_only) if m in MODULES and m != name}
    return graph


def _reaches_reflex() -> dict[str, list[str]]:
    """For each module that imports reflex (directly or through dashboard modules): one path to it."""
    graph = _graph(top_level_only=False)
    direct = {name for name, path in MODULES.items()
              if any(m == "reflex" or m.startswith("reflex.") or m.startswith("reflex_")
                     for m in _imports(path, top_level_only=False))}
    paths: dict[str, list[str]] = {name: [name, "reflex"] for name in direct}
    changed = True
    while changed:
        changed = False
        for name, deps in graph.items():
            if name in paths:
                continue
            for dep in sorted(deps):
                if dep in paths:
                    paths[name] = [name, *paths[dep]]
                    changed = True
                    break
    return paths


def _must_not_import_reflex(name: str) -> bool:
    parts = name.split(".")
    return (len(parts) > 1 and parts[1] in NO_REFLEX_PACKAGES) or MODULES[name].name in NO_REFLEX_FILES


def test_the_layers_below_the_ui_never_import_reflex() -> None:
    reaching = _reaches_reflex()
    offenders = {name: " -> ".join(reaching[name]) for name in MODULES
                 if _must_not_import_reflex(name) and name in reaching}
    assert offenders == {}


def test_the_checks_see_a_module_that_does_import_reflex() -> None:
    reaching = _reaches_reflex()
    assert "dashboard.ui.auth_state" in reaching and "dashboard.dashboard" in reaching
    assert any(_must_not_import_reflex(name) for name in MODULES)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
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
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_no_import_cycle_among_dashboard_modules() -> None:
    # A package's __init__ importing its own submodules is not a cycle of design; leave those edges out.
    graph = {name: {d for d in deps if not (MODULES[name].name == "__init__.py" and d.startswith(name + "."))}
             for name, deps in _graph(top_level_only=True).items()}
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not n.startswith("dashboard.seed")))
def test_module_stays_under_400_lines(name: str) -> None:
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{MODULES[name].relative_to(ROOT)}: {lines} lines (doing two jobs?)"

"""No import circle in ``bot/`` and ``handlers/``, and ``bot/`` reaches the
conversation through ``handlers.route`` only.

Every import is read with ``ast``: at module level, inside functions (where a
circle hides: it only fails when that function first runs) and under
``TYPE_CHECKING``. ``from package import name`` is an edge to the submodule
when ``name`` is one, else to the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers")


def modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package's ``__init__``)."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def imported(name: str, is_package: bool, node: ast.Import | ast.ImportFrom,
             known: dict[str, tuple[Path, bool]]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        base = name.split(".")
        if not is_package:
            base = base[:-1]
        base = base[:len(base) - (node.level - 1)]
        target = ".".join([*base, *([node.module] if node.module else [])])
    else:
        target = node.module or ""
    return [f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target
            for alias in node.names]


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, (path, is_package) in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        edges[name] = {target for node in ast.walk(tree)
                       if isinstance(node, ast.Import | ast.ImportFrom)
                       for target in imported(name, is_package, node, known)
                       if target in known and target != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_module_of_bot_or_handlers_is_in_an_import_circle():
    edges = graph()
    assert len(edges) > 100  # the walk found the code
    found = cycles(edges)
    assert found == [], "\n".join(
        " <-> ".join(c) + "\n  " + "\n  ".join(f"{m} -> {sorted(edges[m] & set(c))}"
                                            for m in c) for c in found)


def test_bot_reaches_handlers_through_route_only():
    edges = graph()
    into = {(src, dst) for src, dsts in edges.items() if src.startswith("bot")
            for dst in dsts if dst.split(".")[0] == "handlers"}
    assert into and {dst for _, dst in into} == {"handlers"}, into
    init = ast.parse((ROOT / "handlers" / "__init__.py").read_text(encoding="utf-8"))
    exported = next(node for node in init.body if isinstance(node, ast.Assign))
    assert ast.literal_eval(exported.value) == ["Understanding", "route"]


@pytest.mark.parametrize("source, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set()}, []),
])
def test_the_check_finds_a_circle(source, expected):
    assert cycles(source) == expected


def test_a_function_level_import_is_an_edge(tmp_path):
    tree = ast.parse("def f():\n    from . import flow\n")
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
    known = {"handlers.flow": (tmp_path, False), "handlers": (tmp_path, True)}
    assert imported("handlers.welcome", False, node, known) == ["handlers.flow"]

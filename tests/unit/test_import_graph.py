"""The first-party import graph has no cycle, deferred imports included.

A cycle kept alive by an import inside a function works until someone moves that import; so every
`import` statement counts, wherever it stands. The graph is read from the source with `ast`, so
the test needs no interpreter per module.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("energy_assets", "ml", "checks", "bench")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, modules: set[str]) -> set[str]:
    """The first-party modules a module imports (a package counts for `from package import x`
    unless `x` is a module of its own)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in modules
                else node.module
                for alias in node.names
            ]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found


def import_graph() -> dict[str, set[str]]:
    """Each first-party module and the first-party modules it imports."""
    files = {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    modules = set(files)
    return {
        name: _imported(ast.parse(path.read_text()), modules) - {name}
        for name, path in files.items()
    }


def test_first_party_imports_form_no_cycle() -> None:
    graph = import_graph()
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None


def test_only_the_dagster_room_and_the_cli_import_the_definitions() -> None:
    importers = {
        name
        for name, imported in import_graph().items()
        if any(
            m.startswith("energy_assets.defs") or m == "energy_assets.definitions" for m in imported
        )
    }
    outside = {
        name
        for name in importers
        if not name.startswith("energy_assets.defs") and name != "energy_assets.definitions"
    }
    assert outside <= {"energy_assets.cli"}

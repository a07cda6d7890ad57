"""The import graph of `prestasync`, read with `ast` (no module is imported): no cycles, and
dependencies point one way, down the layers below.

Every import counts, wherever it is written: at the top, inside a function, or under `if
TYPE_CHECKING:` (a type-only import still ties the two modules together for a reader and
for mypy). A new module must be placed in `LAYERS` before this test passes.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "prestasync"

# Lowest first. A module may import modules of its own layer or of a lower one, never of a
# higher one. Names are top-level modules or sub-packages of `prestasync` ("" is the package).
LAYERS: list[tuple[str, set[str]]] = [
    ("foundation: stdlib-only or self-contained", {"", "errors", "progress", "prestashop", "naming", "imagestore"}),
    ("settings", {"config"}),
    ("storage: engines, tables, schema, secrets", {"db", "models", "schema", "migrations", "vault"}),
    ("writes: the ledger and the registries", {"ledger", "slots", "shops", "accounts", "catalogue", "mailer"}),
    (
        "progress writer, reads, metrics and the outside shapes",
        {"tracker", "queries", "contract", "stats", "telemetry"},
    ),
    (
        "files, reports and messages built on those shapes",
        {
            "fields",
            "filereader",
            "filewriter",
            "filecheck",
            "catalogue_file",
            "profiles",
            "uploads",
            "reports",
            "messages",
            "webhooks",
            "outbox",
            "notices",
        },
    ),
    ("runtime: what a process and a job body are given", {"runtime", "queue", "context"}),
    ("job bodies", {"importer", "export", "fileimport", "deliveries"}),
    ("tasks, control and the loop", {"tasks", "control", "recovery", "worker", "filejobs", "schedules", "loop"}),
    ("front ends", {"web", "cli", "__main__"}),
]
RANK = {name: rank for rank, (_, names) in enumerate(LAYERS) for name in names}


def modules() -> dict[str, Path]:
    """Dotted name -> file, for every module of the package (`__init__` as its package)."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["prestasync", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = modules()


def imports_of(name: str, path: Path) -> set[str]:
    """Every module `name` imports: ours resolved to a module of the package, others by top name."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {_ours(alias.name) or alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..y import z
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in MODULES else _ours(base) or base)
    found.discard(name)
    return found


def _ours(dotted: str) -> str | None:
    """The deepest module of the package that `dotted` names or lies in, else None."""
    while dotted:
        if dotted in MODULES:
            return dotted
        dotted = dotted.rpartition(".")[0]
    return None


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def ours(name: str) -> set[str]:
    return {dep for dep in GRAPH[name] if dep in MODULES}


def unit(module: str) -> str:
    """The LAYERS entry a module belongs to: `prestasync.web.api` -> `web`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_has_a_layer() -> None:
    unplaced = sorted({unit(m) for m in MODULES} - set(RANK))
    assert not unplaced, f"place these in LAYERS: {unplaced}"


def test_no_import_cycles() -> None:
    cycles = [scc for scc in strongly_connected() if len(scc) > 1]
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(sorted(c)) for c in cycles)


def test_dependencies_point_down_the_layers() -> None:
    upward = [
        f"{module} ({LAYERS[RANK[unit(module)]][0]}) imports {dep} ({LAYERS[RANK[unit(dep)]][0]})"
        for module in MODULES
        for dep in ours(module)
        if RANK[unit(dep)] > RANK[unit(module)]
    ]
    assert not upward, "\n".join(upward)


def test_the_prestashop_client_imports_nothing_else_of_ours() -> None:
    leaks = {
        f"{m} imports {dep}"
        for m in MODULES
        if m.startswith("prestasync.prestashop")
        for dep in ours(m)
        if not dep.startswith("prestasync.prestashop")
    }
    assert not leaks, leaks


@pytest.mark.parametrize("module", ["prestasync.progress", "prestasync.errors"])
def test_pure_modules_import_only_the_standard_library(module: str) -> None:
    foreign = {dep for dep in GRAPH[module] if dep.split(".")[0] not in sys.stdlib_module_names}
    assert not foreign, f"{module} must import only the standard library, not {sorted(foreign)}"


def test_the_graph_is_read_right() -> None:
    """The walker sees what is there: known edges of each kind (so the checks above can fail)."""
    assert "prestasync.ledger" in GRAPH["prestasync.tracker"]  # from prestasync import ledger
    assert "prestasync.progress" in GRAPH["prestasync.ledger.jobs"]  # from prestasync.progress import …
    assert "prestasync.web.app" in GRAPH["prestasync.cli.run_cmd"]  # an import inside a function
    assert "__future__" in GRAPH["prestasync.errors"] and not ours("prestasync.errors")


def strongly_connected() -> list[set[str]]:
    """Tarjan's strongly connected components of the package's import graph."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for dep in ours(node):
            if dep not in index:
                visit(dep)
                low[node] = min(low[node], low[dep])
            elif dep in on_stack:
                low[node] = min(low[node], index[dep])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            found.append(component)

    for node in sorted(MODULES):
        if node not in index:
            visit(node)
    return found

"""The package's shape, checked: no import cycle, the layers' directions, and one door per store
module (`docs/architecture.md` says why; this file is its enforcement).

The import graph is read from the source (every `import` that runs, lazy ones inside functions
included; `if TYPE_CHECKING:` blocks left out, since they never run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[2] / "layers" / "common"
PACKAGE = PACKAGE_ROOT / "mhc"

#: Each store module and the service module(s) of its concept: only they import it (store
#: modules may use each other's column lists). A new store module must be added here and to the
#: table in docs/architecture.md.
STORE_OWNERS: dict[str, set[str]] = {
    "mhc.store.alerts": {"mhc.services.alerts"},
    "mhc.store.analysis": {"mhc.services.analysis"},
    "mhc.store.attributes": {"mhc.services.memory"},
    "mhc.store.broadcasts": {"mhc.services.profiles"},
    "mhc.store.chat_import": {"mhc.services.chat_import"},
    "mhc.store.collect_targets": {"mhc.services.collect_statbate", "mhc.services.collect_profiles"},
    "mhc.store.copy_rows": set(),
    "mhc.store.data_export": {"mhc.services.data_export"},
    "mhc.store.deletions": {"mhc.services.deletions"},
    "mhc.store.event_gaps": {"mhc.services.capture"},
    "mhc.store.health": {"mhc.services.health"},
    "mhc.store.interactions": {"mhc.services.interactions"},
    "mhc.store.job_runs": {"mhc.services.job_runs"},
    "mhc.store.live_room": {"mhc.services.live_room"},
    "mhc.store.jobs": {"mhc.services.jobs", "mhc.services.collect"},
    "mhc.store.locks": {"mhc.services.events_poller"},
    "mhc.store.owner_room": {"mhc.services.interactions"},
    "mhc.store.persons": {"mhc.services.persons"},
    "mhc.store.presence": {"mhc.services.profiles"},
    "mhc.store.profiles": {"mhc.services.profiles"},
    "mhc.store.raw_events": {"mhc.services.ingest", "mhc.services.capture"},
    "mhc.store.sessions": {"mhc.services.sessions"},
    "mhc.store.snapshots": {"mhc.services.snapshots"},
    "mhc.store.token_history": {"mhc.services.token_history"},
    "mhc.store.watchlists": {"mhc.services.watchlists"},
}

#: What each layer may import of ours (module prefixes). `mhc.config` and `mhc.observability`
#: are leaves every layer but `domain` may use.
ALLOWED: dict[str, tuple[str, ...]] = {
    "mhc.domain": ("mhc.domain",),
    "mhc.db": ("mhc.db", "mhc.config", "mhc.observability"),
    "mhc.store": ("mhc.store", "mhc.db", "mhc.domain"),
    "mhc.clients": ("mhc.clients", "mhc.domain", "mhc.observability", "mhc.config"),
    "mhc.services": (
        "mhc.services",
        "mhc.store",
        "mhc.clients",
        "mhc.domain",
        "mhc.db",
        "mhc.config",
        "mhc.observability",
        "mhc.files",  # private files written whole (the export's manifest)
    ),
    "mhc.api": (
        "mhc.api",
        "mhc.services",
        "mhc.domain",
        "mhc.db",
        "mhc.config",
        "mhc.observability",
        "mhc",
    ),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        else:
            yield from _imports(node)


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ours that importing/running `name` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _imports(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import sub` imports the submodule when there is one.
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = all_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    # Given a -> b -> c -> a and an acyclic d -> a
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    # Then the one cycle is reported
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_cycle(graph: dict[str, set[str]]) -> None:
    assert cycles(graph) == []


def test_lazy_imports_count_and_type_checking_imports_do_not(tmp_path: Path) -> None:
    # Given a module with a function-level import and a TYPE_CHECKING-only one
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from mhc.services import jobs\n"
        "def f():\n    from mhc.services import collect\n"
    )
    known = {"mhc", "mhc.services", "mhc.services.collect", "mhc.services.jobs"}
    # Then only the lazy one is an edge (the old collect <-> jobs circle was lazy)
    assert imports_of("mhc.services.probe", probe, known) == {
        "mhc.services.collect",
        "mhc.services",
    }


def test_each_layer_imports_only_what_it_may(graph: dict[str, set[str]]) -> None:
    wrong = []
    for module, targets in sorted(graph.items()):
        layer = next((prefix for prefix in ALLOWED if module.startswith(prefix + ".")), None)
        if layer is None:
            continue
        for target in sorted(targets):
            # "mhc" alone allows the package itself (`from mhc import __version__`), not all of it
            if not any(
                target == a or (a != "mhc" and target.startswith(a + ".")) for a in ALLOWED[layer]
            ):
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_every_store_module_has_an_owner_and_only_owners_use_it(
    graph: dict[str, set[str]],
) -> None:
    stores = {name for name in graph if name.startswith("mhc.store.")}
    assert stores == set(STORE_OWNERS), "add new store modules to STORE_OWNERS and the docs"
    strays = [
        f"{module} -> {target}"
        for module, targets in sorted(graph.items())
        if not module.startswith("mhc.store")
        for target in sorted(targets)
        if target in STORE_OWNERS and module not in STORE_OWNERS[target]
    ]
    assert strays == []


def _closure(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


@pytest.mark.parametrize(
    "poller", ["mhc.services.events_poller", "mhc.runtime.poller", "mhc.runtime.collector"]
)
def test_pollers_never_import_the_api(graph: dict[str, set[str]], poller: str) -> None:
    # FastAPI costs about half a second of a poller's cold start
    assert not {m for m in _closure(graph, poller) if m.startswith("mhc.api")}

"""The import graph of ``analysis`` follows STYLE.md: data flows one way, no cycles.

Every module under ``analysis/`` is parsed with :mod:`ast`; every import at any
depth counts (module level, inside functions, inside ``if TYPE_CHECKING:``).
Relative imports are resolved, and ``from package import name`` points at the
module ``package.name`` when that is a module, else at ``package`` itself.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "analysis"

LIBRARY_STAGES = ("data", "factors", "regression", "forecasting", "regimes", "backtest", "charts")


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` at ``line``; ``type_checking``: under ``if TYPE_CHECKING``."""

    source: str
    target: str
    line: int
    type_checking: bool

    def __str__(self) -> str:
        tag = " (TYPE_CHECKING)" if self.type_checking else ""
        return f"{self.source} -> {self.target} (line {self.line}){tag}"


def module_names(package_dir: Path) -> dict[str, Path]:
    """``{dotted module name: file}`` for every ``.py`` file under ``package_dir``."""
    base = package_dir.parent
    out: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(base).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import node at any depth, flagged when it sits under ``if TYPE_CHECKING:``."""

    def walk(
        node: ast.AST, typing_only: bool
    ) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool]]:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, typing_only
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from walk(child, True)
            for child in node.orelse:
                yield from walk(child, typing_only)
            return
        for sub in ast.iter_child_nodes(node):
            yield from walk(sub, typing_only)

    yield from walk(tree, False)


def _resolve_base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a ``from ... import`` names (relative levels resolved)."""
    if node.level == 0:
        return node.module or ""
    # the package a relative import is relative to: the module itself for __init__.py
    anchor = module.split(".") if is_package else module.split(".")[:-1]
    if node.level > 1:
        anchor = anchor[: len(anchor) - (node.level - 1)]
    return ".".join([*anchor, *([node.module] if node.module else [])])


def _owner(name: str, modules: Iterable[str]) -> str | None:
    """The longest known module that is ``name`` or a package containing it."""
    known = set(modules)
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        candidate = ".".join(parts[:i])
        if candidate in known:
            return candidate
    return None


def import_edges(package_dir: Path) -> list[Edge]:
    """Every import between modules of the package under ``package_dir``."""
    modules = module_names(package_dir)
    edges: set[Edge] = set()
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node, typing_only in _imports(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                base = _resolve_base(module, is_package, node)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            for name in targets:
                target = _owner(name, modules)
                if target is not None and target != module:
                    edges.add(Edge(module, target, node.lineno, typing_only))
    return sorted(edges, key=lambda e: (e.source, e.target, e.line))


def find_cycles(edges: Iterable[Edge]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return [_cycle_path(graph, comp) for comp in components]


def _cycle_path(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A concrete cycle ``a -> b -> ... -> a`` inside one strongly connected component."""
    members = set(component)
    start = component[0]
    # breadth-first from start back to start, staying inside the component
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & members):
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if w not in parents:
                    parents[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle through {start} in component {component}")


def _format(edges: Iterable[Edge]) -> str:
    return "\n  ".join(str(e) for e in edges)


def _in(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    found = import_edges(PACKAGE)
    # guard against a builder that silently finds nothing
    assert len(found) > 50, f"only {len(found)} internal imports found under {PACKAGE}"
    return found


# -- the graph builder itself ------------------------------------------------


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def test_builder_finds_a_planted_cycle(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.sub import b\n",
            "pkg/sub/__init__.py": "from .b import thing\n",
            # relative, two levels up, inside a function: still an edge
            "pkg/sub/b.py": "def f():\n    from ..c import g\n",
            "pkg/c.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from pkg import a\n"
                "import os\n"
            ),
            "pkg/d.py": "import pkg.a\nfrom pkg import c, nothing_here\n",
        },
    )
    found = import_edges(tmp_path / "pkg")
    pairs = {(e.source, e.target) for e in found}
    assert pairs == {
        ("pkg.a", "pkg.sub.b"),
        ("pkg.sub", "pkg.sub.b"),
        ("pkg.sub.b", "pkg.c"),
        ("pkg.c", "pkg.a"),
        ("pkg.d", "pkg.a"),
        ("pkg.d", "pkg.c"),
        ("pkg.d", "pkg"),  # 'nothing_here' is not a module: the package itself
    }
    typing_only = {(e.source, e.target) for e in found if e.type_checking}
    assert typing_only == {("pkg.c", "pkg.a")}
    cycles = find_cycles(found)
    assert len(cycles) == 1
    cycle = cycles[0]
    assert cycle[0] == cycle[-1] and set(cycle) == {"pkg.a", "pkg.sub.b", "pkg.c"}
    for a, b in itertools.pairwise(cycle):
        assert (a, b) in pairs
    # without the typing-only edge, no cycle is left
    assert find_cycles(e for e in found if not e.type_checking) == []


def test_builder_finds_a_two_module_cycle_and_self_imports_are_ignored(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "q/__init__.py": "from q import x\n",
            "q/x.py": "from . import y\nimport q.x\n",
            "q/y.py": "from .x import value\n",
        },
    )
    cycles = find_cycles(import_edges(tmp_path / "q"))
    assert [sorted(c[:-1]) for c in cycles] == [["q.x", "q.y"]]


# -- the rules -----------------------------------------------------------------


def _describe_cycles(cycles: list[list[str]], edges: list[Edge]) -> str:
    """Each cycle as its chain of modules, then the import statements that close it."""
    by_pair: dict[tuple[str, str], list[Edge]] = {}
    for e in edges:
        by_pair.setdefault((e.source, e.target), []).append(e)
    lines = []
    for cycle in cycles:
        lines.append(" -> ".join(cycle))
        for a, b in itertools.pairwise(cycle):
            lines.extend(f"    {e}" for e in by_pair[(a, b)])
    return "\n  ".join(lines)


def test_report_layer_has_no_import_cycles(edges: list[Edge]) -> None:
    # TYPE_CHECKING-only imports count here: STYLE.md's "no two modules import each
    # other" is about the design (which module may know which), and a pair of types
    # that name each other across two modules is such a pair even if neither import
    # runs. The run-time check below is the weaker one.
    report = [
        e for e in edges if _in(e.source, "analysis.report") and _in(e.target, "analysis.report")
    ]
    cycles = find_cycles(report)
    assert not cycles, "import cycles in analysis.report:\n  " + _describe_cycles(cycles, report)


def test_no_run_time_import_cycles_anywhere(edges: list[Edge]) -> None:
    # imports under `if TYPE_CHECKING:` never run, so only these can break an import
    runtime = [e for e in edges if not e.type_checking]
    cycles = find_cycles(runtime)
    assert not cycles, "run-time import cycles in analysis:\n  " + _describe_cycles(cycles, runtime)


def test_no_import_cycles_outside_the_report_layer(edges: list[Edge]) -> None:
    cycles = [c for c in find_cycles(edges) if not all(_in(m, "analysis.report") for m in c)]
    assert not cycles, "import cycles in analysis:\n  " + _describe_cycles(cycles, edges)


def pipeline_violations(edges: Iterable[Edge]) -> list[Edge]:
    """The kind-agnostic pipeline importing a kind, the commands or the CLI."""
    banned = ("analysis.report.kinds", "analysis.report.commands", "analysis.cli")
    return [
        e
        for e in edges
        if _in(e.source, "analysis.report.pipeline") and any(_in(e.target, b) for b in banned)
    ]


def stage_violations(edges: Iterable[Edge], stage: str) -> list[Edge]:
    """A library stage importing the report layer or the CLI."""
    return [
        e
        for e in edges
        if _in(e.source, f"analysis.{stage}")
        and (_in(e.target, "analysis.report") or _in(e.target, "analysis.cli"))
    ]


def _kind_package(module: str) -> str | None:
    parts = module.split(".")
    if parts[:3] == ["analysis", "report", "kinds"] and len(parts) >= 4:
        return ".".join(parts[:4])
    return None


def cross_kind_violations(edges: Iterable[Edge]) -> list[Edge]:
    """A kind package importing another kind package (the registry may import them all)."""
    out = []
    for e in edges:
        a, b = _kind_package(e.source), _kind_package(e.target)
        if a and b and a != b:
            out.append(e)
    return out


def test_rules_catch_planted_violations() -> None:
    def edge(a: str, b: str) -> Edge:
        return Edge(a, b, 1, False)

    assert pipeline_violations(
        [
            edge("analysis.report.pipeline.runner", "analysis.report.kinds"),
            edge("analysis.report.pipeline.site", "analysis.report.kinds.forecast.site"),
            edge("analysis.report.pipeline", "analysis.report.commands"),
            edge("analysis.report.pipeline.warm", "analysis.cli"),
        ]
    ) == [
        edge("analysis.report.pipeline.runner", "analysis.report.kinds"),
        edge("analysis.report.pipeline.site", "analysis.report.kinds.forecast.site"),
        edge("analysis.report.pipeline", "analysis.report.commands"),
        edge("analysis.report.pipeline.warm", "analysis.cli"),
    ]
    allowed = [
        edge("analysis.report.kinds", "analysis.report.pipeline.kind"),
        edge("analysis.report.commands", "analysis.report.pipeline.runner"),
        # a name that merely starts like a banned one is not banned
        edge("analysis.report.pipeline.x", "analysis.report.kindsx"),
        edge("analysis.report.pipeline.x", "analysis.client"),
    ]
    assert pipeline_violations(allowed) == []
    assert stage_violations([edge("analysis.data.cache", "analysis.report")], "data")
    assert stage_violations([edge("analysis.charts", "analysis.cli")], "charts")
    assert not stage_violations([edge("analysis.charts.base", "analysis.regimes")], "charts")
    assert not stage_violations([edge("analysis.report.x", "analysis.cli")], "data")
    assert cross_kind_violations(
        [edge("analysis.report.kinds.forecast.site", "analysis.report.kinds.exposure.site")]
    )
    assert not cross_kind_violations(
        [
            edge("analysis.report.kinds", "analysis.report.kinds.forecast"),
            edge("analysis.report.kinds.forecast.site", "analysis.report.kinds.forecast.study"),
        ]
    )


def test_pipeline_does_not_import_kinds_commands_or_cli(edges: list[Edge]) -> None:
    bad = pipeline_violations(edges)
    assert not bad, "the kind-agnostic pipeline imports the kinds or the CLI:\n  " + _format(bad)


def test_every_package_is_parsed(edges: list[Edge]) -> None:
    # each rule would pass vacuously if the modules it is about were missed
    sources = {e.source for e in edges}
    for name in ("runner", "execute", "site", "kind", "snapshot"):
        assert f"analysis.report.pipeline.{name}" in sources
    for stage in LIBRARY_STAGES:
        assert any(_in(s, f"analysis.{stage}") for s in sources), stage
    kinds = {k for s in sources if (k := _kind_package(s))}
    assert {"analysis.report.kinds.exposure", "analysis.report.kinds.forecast"} <= kinds


@pytest.mark.parametrize("stage", LIBRARY_STAGES)
def test_library_stage_does_not_import_report_or_cli(edges: list[Edge], stage: str) -> None:
    bad = stage_violations(edges, stage)
    assert not bad, f"analysis.{stage} imports the report layer or the CLI:\n  " + _format(bad)


def test_kinds_do_not_import_each_other(edges: list[Edge]) -> None:
    bad = cross_kind_violations(edges)
    assert not bad, "a report kind imports another kind:\n  " + _format(bad)

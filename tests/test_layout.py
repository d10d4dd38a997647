"""The layout shows the pipeline and keeps its promises: settings -> checks/probe -> findings -> Report ->
render. Only cli.py imports Typer, only render/ imports Rich, nothing below render/ knows the language
(no module outside render/ and cli.py imports render/), and the package has no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "smtpdoctor"


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_only_cli_imports_typer_and_only_render_imports_rich():
    for name, path in _modules().items():
        imported = {i.split(".")[0] for i in _imports(path, top_level_only=False)}
        if "typer" in imported or "click" in imported:
            assert name == "smtpdoctor.cli", name
        if "rich" in imported:
            assert name.startswith("smtpdoctor.render"), name


def test_nothing_below_render_knows_the_language():
    for name, path in _modules().items():
        if name.startswith(("smtpdoctor.render", "smtpdoctor.cli", "smtpdoctor.__main__", "smtpdoctor.web")):  # web: the page, an edge like cli
            continue
        users = {i for i in _imports(path, top_level_only=False) if i.startswith("smtpdoctor.render")}
        assert not users, f"{name} imports {sorted(users)}"


def test_no_import_cycle():
    modules = _modules()
    # Imports inside functions count too: a lazy import hides a cycle from Python, not from the design.
    graph = {name: {i for i in _imports(path, top_level_only=False) if i in modules and i != name
                    and not (name.startswith(i + ".") or i.startswith(name + "."))}
             for name, path in modules.items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])

"""The package's shape: no import cycle among agepy's modules, imports at the top of
modules (a handful of function-local ones, each with its reason), and ``agepy --help``
printed from the command table without importing any command module."""

from __future__ import annotations

import ast
from pathlib import Path

import click

import agepy
from agepy.cli import COMMANDS, _load
from tests.support.cli import modules_after
from tests.support.sources import parsed

PACKAGE = Path(agepy.__file__).parent
MAX_LOCAL_IMPORTS = 5


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _type_checking_only(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _run_time_imports(body: list[ast.stmt], package: str) -> set[str]:
    """Modules the statements import when the module runs (not under TYPE_CHECKING)."""
    found: set[str] = set()
    for node in body:
        if _type_checking_only(node):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            submodules = {f"{base}.{a.name}" for a in node.names} & MODULES.keys()
            found.update(submodules)
            if len(submodules) < len(node.names):
                found.add(base)
        elif isinstance(node, ast.If | ast.Try | ast.With):
            for field in ("body", "orelse", "finalbody"):
                found |= _run_time_imports(getattr(node, field, []), package)
            for handler in getattr(node, "handlers", []):
                found |= _run_time_imports(handler.body, package)
    return found


def _import_graph() -> dict[str, set[str]]:
    """agepy module -> the agepy modules its import runs (a package runs its parents too)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for target in _run_time_imports(parsed(path).body, package):
            parts = target.split(".")
            for end in range(1, len(parts) + 1):
                prefix = ".".join(parts[:end])
                # A module's own packages are already running when it runs.
                if prefix in MODULES and prefix != name and not name.startswith(prefix + "."):
                    edges.add(prefix)
        graph[name] = edges
    return graph


def _a_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_graph_walk_sees_a_cycle() -> None:
    assert _a_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _a_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_known_edges() -> None:
    graph = _import_graph()
    assert "agepy.store.store" in graph["agepy.store"]
    assert "agepy.age.recipients" in graph["agepy.rules.model"]
    assert "agepy.hosts.scan" not in graph["agepy.hosts"]  # only under TYPE_CHECKING


def test_no_import_cycle_among_agepy_modules() -> None:
    assert _a_cycle(_import_graph()) is None


def _function_local_imports() -> list[tuple[Path, int, str]]:
    found = []
    for path in MODULES.values():
        tree = parsed(path)
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                found += [
                    (path, node.lineno, ast.unparse(node))
                    for node in ast.walk(function)
                    if isinstance(node, ast.Import | ast.ImportFrom)
                ]
    return sorted(set(found))


def test_few_function_local_imports_each_with_its_reason() -> None:
    local = _function_local_imports()
    assert len(local) <= MAX_LOCAL_IMPORTS, local
    for path, line, text in local:
        lines = path.read_text().splitlines()
        said_why = "#" in lines[line - 1] or lines[line - 2].strip().startswith("#")
        assert said_why, f"{path}:{line}: {text}: say why it is imported here"


def test_help_imports_no_command_module() -> None:
    status, loaded = modules_after(["--help"])
    assert status == 0
    assert "agepy.cli" in loaded
    assert sorted(m for m in loaded if m.startswith("agepy.cli.") and m.endswith("_cmds")) == []


def test_the_table_help_is_each_commands_own() -> None:
    for name, (spec, text) in COMMANDS.items():
        command = _load(spec)
        for limit in (30, 45, 80, 200):
            table = click.Command(name, help=text).get_short_help_str(limit)
            assert table == command.get_short_help_str(limit), name


# Each layer and the layers it may import (docs/architecture.md); the private modules at the
# root (`_files`, `_lock`, `_agepy_toml`, …) and `errors` are the bottom layer, "files".
ALLOWED = {
    "files": {"files"},
    "age": {"files", "age"},
    "nix": {"files", "age", "nix"},
    "rules": {"files", "age", "nix", "rules"},
    "hosts": {"files", "age", "nix", "rules", "hosts"},
    "generators": {"files", "generators", "matrix"},
    "matrix": {"files", "matrix"},
    "store": {"files", "age", "nix", "rules", "generators", "matrix", "store"},
    "ops": {"files", "age", "nix", "rules", "hosts", "generators", "matrix", "store", "ops"},
}


def _layer(module: str) -> str:
    parts = module.split(".")
    if parts[1:] == ["__main__"]:
        return "top"
    if len(parts) == 1 or parts[1].startswith("_") or parts[1] == "errors":
        return "files"
    return parts[1] if parts[1] in ALLOWED else "top"  # cli, agenix_shim, demo, …


def test_each_layer_imports_only_layers_below() -> None:
    wrong = [
        (module, imported)
        for module, imports in _import_graph().items()
        for imported in imports
        if _layer(module) in ALLOWED
        and imported.split(".")[1:2] != []
        and _layer(imported) not in ALLOWED[_layer(module)]
    ]
    assert wrong == []

"""The package's import graph has no cycles, lazy (function-level) imports included."""

from __future__ import annotations

import ast
import importlib.util
import pkgutil

import pytest

import newsingest

PACKAGES = ("newsingest.pipeline", "newsingest.transforms", "newsingest.schemas")


def _modules() -> dict[str, str]:
    """``{module name: source path}`` of every module of the installed package."""
    found = {"newsingest": newsingest.__file__}
    infos = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        found[package] = module.__file__
        infos += pkgutil.walk_packages(module.__path__, f"{package}.")
    for info in infos:
        spec = importlib.util.find_spec(info.name)
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            found[info.name] = spec.origin
    return found


def _imports(name: str, path: str, modules: dict[str, str]) -> set[str]:
    package = name if path.endswith("__init__.py") else name.rpartition(".")[0]
    targets = set()
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    return {t for t in targets if t in modules and t != name}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_package_has_many_modules():
    modules = _modules()
    assert "newsingest.pipeline.cli" in modules
    assert "newsingest.transforms.core.verification" in modules


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


@pytest.mark.parametrize(
    "graph, expected",
    [
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ],
)
def test_the_cycle_finder_finds_cycles(graph, expected):
    assert _cycle(graph) == expected

"""Every third-party module the shipped package imports is a base dependency.

``pip install newsingest`` (no extras) must be enough to run the pipeline: the README's
first command installs exactly that. Extras may only add optional filesystems.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys

import pytest
from packaging.requirements import Requirement

from tests.packaging.test_import_graph import _modules


def _top_level_imports(path: str) -> set[str]:
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _normalised(name: str) -> str:
    return name.lower().replace("_", "-")


def _unconditional_requirements(distribution: str) -> set[str]:
    """Names a distribution requires without any extra (markers evaluated here)."""
    names = set()
    for line in importlib.metadata.requires(distribution) or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            names.add(_normalised(requirement.name))
    return names


def _with_dependencies(base: set[str]) -> set[str]:
    """``base`` and what it pulls in itself (e.g. Beam's grpc), transitively."""
    seen, todo = set(), list(base)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            todo.extend(_unconditional_requirements(name))
        except importlib.metadata.PackageNotFoundError:
            continue
    return seen


def test_every_imported_distribution_is_a_base_dependency():
    distributions = importlib.metadata.packages_distributions()
    installed_without_extras = _with_dependencies(_unconditional_requirements("newsingest"))
    missing = {}
    for name, path in _modules().items():
        for top in _top_level_imports(path):
            if top in sys.stdlib_module_names or top in {"newsingest", "__future__"}:
                continue
            owners = {_normalised(d) for d in distributions.get(top, [])}
            if not owners:
                pytest.fail(f"{name} imports {top!r}, which no installed distribution provides")
            if not owners & installed_without_extras:
                missing.setdefault(top, set()).add(name)
    assert not missing, f"imported but not base dependencies: {missing}"

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


def _base_requirements() -> set[str]:
    requires = importlib.metadata.requires("newsingest") or []
    base = set()
    for line in requires:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            base.add(requirement.name.lower().replace("_", "-"))
    return base


def test_every_imported_distribution_is_a_base_dependency():
    distributions = importlib.metadata.packages_distributions()
    base = _base_requirements()
    missing = {}
    for name, path in _modules().items():
        for top in _top_level_imports(path):
            if top in sys.stdlib_module_names or top in {"newsingest", "__future__"}:
                continue
            owners = {d.lower().replace("_", "-") for d in distributions.get(top, [])}
            if not owners:
                pytest.fail(f"{name} imports {top!r}, which no installed distribution provides")
            if not owners & base and not owners & _transitive(base):
                missing.setdefault(top, set()).add(name)
    assert not missing, f"imported but not base dependencies: {missing}"


def _transitive(base: set[str]) -> set[str]:
    """Distributions that the base dependencies pull in themselves (e.g. Beam's grpc)."""
    seen, todo = set(), list(base)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for line in requires:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name.lower().replace("_", "-"))
    return seen

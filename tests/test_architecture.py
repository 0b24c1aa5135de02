"""Layers run one way: core ← classifiers ← crawlers ← index ← web ← cli (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    "core": set(),
    "classifiers": {"core"},
    "crawlers": {"core", "classifiers"},
    "index": {"core", "classifiers", "crawlers"},
    "web": {"core", "classifiers", "crawlers", "index"},
    "demosites": {"core"},
    "cli": {"core", "classifiers", "crawlers", "index", "web", "demosites"},
}


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_architecture_imports_point_one_way(package: str) -> None:
    wrong = {}
    for path in (ROOT / package).rglob("*.py"):
        bad = _imported_packages(path) - ALLOWED[package] - {package}
        if bad:
            wrong[str(path.relative_to(ROOT))] = sorted(bad)
    assert not wrong, f"{package} must not import these layers: {wrong}"

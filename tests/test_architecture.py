"""The layout's rules: one import direction (import-linter's layers contract in pyproject.toml) and no
private name imported from another module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"allocator": "allocator", "formulations": "formulations", "instances": "regio_instances", "cli": "regio_cli"}
MODULES = set(PACKAGES.values())  # folder -> the name it is installed and imported as


def test_imports_run_one_way_through_the_layers():
    importlinter_cli = pytest.importorskip("importlinter.cli")
    assert importlinter_cli.lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def private_imports() -> list[str]:
    """``from a.b import _name`` anywhere in the packages, where ``a.b`` is one of ours."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in MODULES:
                    found += [f"{path.relative_to(ROOT)}: {node.module}.{a.name}" for a in node.names
                              if a.name.startswith("_")]
    return found


def test_no_module_imports_a_private_name_of_another():
    assert private_imports() == []

"""carnet.synth may import only the standard library and carnet.domain."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import carnet.synth

pytestmark = pytest.mark.unit

PACKAGE = Path(carnet.synth.__file__).parent
DOMAIN_MODULE = Path(carnet.synth.__file__).parents[1] / "domain" / "romanization.py"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_synth_imports_only_stdlib_and_domain(path: Path) -> None:
    for name in _imports(path):
        top = name.split(".")[0]
        allowed = (
            top in sys.stdlib_module_names
            or top == "__future__"
            or name.startswith(("carnet.domain", "carnet.synth"))
        )
        assert allowed, f"{path.name} imports {name}"


def test_romanization_imports_only_stdlib() -> None:
    for name in _imports(DOMAIN_MODULE):
        assert name.split(".")[0] in sys.stdlib_module_names | {"__future__"}, name


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_every_module_declares_all(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree)
    targets = [
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    ]
    assert "__all__" in targets

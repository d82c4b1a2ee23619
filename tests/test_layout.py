"""The structure the architecture promises, kept by tests: no import cycle among matdiff's
modules (imports inside functions and under TYPE_CHECKING count too), no module over 800
lines, and each plain elementwise function named by its record and the rewrite rules only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "matdiff"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


NAMES = {_name(p): p for p in MODULES}


def _imports(path: Path) -> set[str]:
    """The matdiff modules a file imports, anywhere in it."""
    here = _name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("matdiff"))
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{a.name}" for a in node.names)
    return {m for m in found if m in NAMES and m != _name(path)}


def test_no_import_cycles():
    graph = {name: _imports(path) for name, path in NAMES.items()}
    for name in graph:  # a package's __init__ is not a cycle with the modules it hands on
        graph[name] -= {n for n in graph[name] if name.startswith(n + ".")}
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for other in sorted(graph[name]):
            if state.get(other) == 1:
                cycle = path[path.index(other):] + [other] if other in path else [name, other]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if other not in state:
                visit(other, path + [other])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small(path: Path):
    assert len(path.read_text().splitlines()) <= 800


@pytest.mark.parametrize("function", ["softplus", "tanh", "sinh", "cosh", "relu"])
def test_an_elementwise_function_is_named_in_two_modules_at_most(function: str):
    naming = [p for p in MODULES if re.search(rf"\b{function}\b", p.read_text())]
    assert len(naming) <= 2, naming

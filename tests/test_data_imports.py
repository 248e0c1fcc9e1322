"""The data package's import graph: no cycle with mnistcore.download (issue 13), found statically.

Every import in mnistcore/ counts, also those inside functions (an import deferred into a function
is a cycle hidden, not removed). Importing ``a.b.c`` first runs ``a/__init__`` and ``a/b/__init__``,
so a module depends on each package above what it imports, except its own packages (already
being imported when it runs).
"""
from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mnistcore"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The mnistcore modules that importing `name` runs, directly (with their parent packages)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]  # `from p import module`
        else:
            continue
        for target in targets:
            parts = target.split(".")
            found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & known
    # the packages above `name` are already being imported when it runs: not a dependency
    ancestors = {".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 2)}
    return found - ancestors


def cycles_through(start: str, graph: dict[str, set[str]]) -> list[list[str]]:
    """Import paths from `start` back to itself."""
    found, stack = [], [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for nxt in graph[node]:
            if nxt == start:
                found.append(path + [start])
            elif nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: imports_of(name, path, set(mods)) for name, path in mods.items()}


def test_the_graph_reader_sees_a_cycle_when_there_is_one():
    g = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles_through("a", g) == [["a", "b", "c", "a"]] and cycles_through("d", g) == []
    known = set(modules())
    found = imports_of("mnistcore.data.cache", PACKAGE / "data" / "cache.py", known)
    assert {"mnistcore.data.download", "mnistcore.data.files"} <= found and "mnistcore.data" not in found
    # a package is a dependency of what imports it from outside: checkpoint runs data/__init__
    assert {"mnistcore.data", "mnistcore.data.guards"} <= imports_of(
        "mnistcore.checkpoint", PACKAGE / "checkpoint.py", known)


@pytest.mark.parametrize("name", sorted(n for n in modules() if n.startswith("mnistcore.data"))
                         + ["mnistcore.download", "mnistcore.checkpoint"])
def test_no_import_cycle_through_the_data_package(name):
    assert cycles_through(name, graph()) == []


def test_no_data_module_over_400_lines():
    lines = {p.name: len(p.read_text().splitlines()) for p in (PACKAGE / "data").glob("*.py")}
    assert lines and max(lines.values()) <= 400, lines


@pytest.mark.parametrize("first", ["mnistcore.download", "mnistcore.checkpoint", "mnistcore.data.csv",
                                   "mnistcore.data.download"])
def test_each_entry_point_imports_fresh(first):
    """Imported first in a new interpreter, each module works (a cycle shows as an ImportError)."""
    code = (f"import {first}; from mnistcore import data; "
            "from mnistcore.download import download_dataset; from mnistcore.checkpoint import load_model; "
            "print(data.read_idx is importlib_ok)").replace("importlib_ok", "data.idx.read_idx")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "True", out.stderr


def test_every_public_name_is_reexported():
    data = importlib.import_module("mnistcore.data")
    for name in data.__all__:
        assert getattr(data, name) is not None
    assert data.load.__module__ == "mnistcore.data.cache" and data.Dataset.__module__ == "mnistcore.data.dataset"

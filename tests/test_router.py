"""Every routed page hands a legacy pages/-folder run back to app.py (see ui/router.py)."""
import ast
from pathlib import Path

import pytest

from appserver import ROOT, routed_pages


def top_level_calls(path: Path) -> list[str]:
    """Names of the functions a module calls at its top level, in order."""
    tree = ast.parse(path.read_text())
    return [node.value.func.id for node in tree.body
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)]


@pytest.mark.parametrize("page_file", [p for p, _ in routed_pages()])
def test_each_page_routes_through_app_before_drawing_anything(page_file):
    calls = top_level_calls(ROOT / page_file)
    assert calls and calls[0] == "route_through_app", (
        f"{page_file} must call route_through_app() before anything else, so that a deep link "
        f"right after a server start is run through app.py's router")

"""The README's promises: two set-up commands, the test one being exactly what CI runs, pinned
requirements that are the ones installed, and the screenshot it shows."""
from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def setup_commands() -> list[str]:
    """The shell commands in the README's "Run it" section (one per fenced block)."""
    section = README.split("## Run it", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_exactly_two_setup_commands_one_runs_the_app_one_the_tests():
    commands = setup_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands), commands
    run, test = commands
    assert "pip install -r requirements.txt" in run and run.endswith("streamlit run app.py")
    assert "requirements-test.txt" in test and test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in ci
    assert setup_commands()[1] in ci.splitlines()
    assert "playwright install" not in ci


def pins(path: Path) -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return dict(line.split("==") for line in lines if line and not line.startswith("-"))  # not "-e ."


def test_requirements_are_pinned_to_what_is_installed():
    app, tests = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-test.txt")
    assert {"streamlit", "plotly", "numpy", "pillow", "tqdm"} <= set(app)
    assert {"pytest", "pytest-timeout", "hypothesis", "playwright", "psutil"} <= set(tests)
    assert not set(app) & set(tests)
    for name, pinned in {**app, **tests}.items():
        assert version(name) == pinned, f"{name}: installed {version(name)}, pinned {pinned}"


def test_the_screenshot_it_shows_is_a_png():
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert "docs/screenshot-dataset.png" in shown
    for path in shown:
        assert (ROOT / path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path

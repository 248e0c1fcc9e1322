"""mnistcore is installable: requirements.txt installs it from this checkout, scripts need no sys.path edits."""
import importlib.metadata
import re
import tomllib
from pathlib import Path

import mnistcore

ROOT = Path(__file__).resolve().parents[1]


def test_requirements_install_this_checkout_and_pyproject_names_the_packages():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert "-e ." in lines
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert {"mnistcore", "ui"} <= set(project["tool"]["setuptools"]["packages"]["find"]["include"])
    assert project["project"]["scripts"]["mnistcore"] == "mnistcore.cli:main"
    pinned = {re.split(r"[=<>]", line)[0].lower() for line in lines if line and line[0].isalpha()}
    assert {d.lower() for d in project["project"]["dependencies"]} <= pinned  # versions pinned in one place


def test_the_installed_mnistcore_is_this_checkouts():
    assert importlib.metadata.distribution("mnist-explainer").version
    assert Path(mnistcore.__file__).resolve().parent == ROOT / "mnistcore"


def test_no_script_puts_the_repository_on_sys_path():
    for script in [*ROOT.glob("benchmarks/*.py"), *ROOT.glob("docs/*.py")]:
        text = script.read_text()
        for line in text.splitlines():
            if "sys.path" in line:
                # Only the test helpers (tests/appserver.py, tests/browser/...) and the proxy set-up
                # in deploy/ are not installed: a script may reach those, never mnistcore or ui.
                entries = re.findall(r"str\(([^)]*\)?)\)", line)
                assert entries and all("tests" in e or "from deploy" in text for e in entries), (script.name, line)

"""Shared fixtures.

Browser tests (marked ``browser``) get:
- ``app_url``: base URL of ``streamlit run app.py`` on a free port of 127.0.0.1, started once per
  test session from the repo root with this interpreter (tests/appserver.py), visited once so any
  link works, and stopped at the end whatever happens;
- ``browser``: headless Debian Chromium driven by Playwright (never a downloaded browser);
- ``page``: a fresh browser context and page per test (1280x900).
Without /usr/bin/chromium or playwright they skip, except with CI=true, where they fail.

Helpers for them live in tests/browser/streamlit_page.py (``open_page``, ``wait_for_app``,
``assert_no_exception``, ``choose``, ``press_header_stop``, ``stroke``).
"""
from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# The tests run on two processes (pytest-xdist, pytest.ini), each beside the app servers and the
# browser that the browser tests start: one BLAS thread each, so that no two spin for one core.
# Set before NumPy is first imported (by appserver below), and inherited by the servers.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE / "browser")]  # appserver.py; browser/streamlit_page.py
from appserver import running_app  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
RUN_TIMEOUT_MS = 60_000  # default for page actions: a server's first run loads the data set


# Tests never write to the user's ~/.cache: decoded data sets go to a temporary folder
# (the app server the browser tests start inherits it).
os.environ.setdefault("MNISTCORE_CACHE_DIR", tempfile.mkdtemp(prefix="mnistcore-test-cache-"))
# No warm-up thread (ui/warmup.py) in the test process or the servers it starts: each would train
# the Inside page's networks in the background and slow every other test (tests/test_warmup.py
# runs the warm-up itself).
os.environ.setdefault("MNIST_WARMUP", "0")


@pytest.fixture(autouse=True)
def _router_has_run(monkeypatch):
    """Let AppTest see the app as a running server does, where app.py's router has run.

    A folder named pages/ puts Streamlit in its legacy multipage mode until some session calls
    st.navigation; a server leaves that mode for good on its first visit. AppTest, though, resets
    the mode before every run, so each run would start as the first one after a server start
    (pages/ run without app.py, then ui/router.py's rerun, which drops a button's click). The
    restart case itself is tested in a real browser (test_a_fresh_server_honours_a_deep_link).
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    class RoutedPagesManager(PagesManager):
        def __init__(self, *args, **kwargs):
            PagesManager.uses_pages_directory = False
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(app_test, "PagesManager", RoutedPagesManager)


def pytest_collection_modifyitems(config, items):
    """Everything under tests/browser/ is a browser test, and they all run on one of the processes
    (xdist's loadgroup): one app server and one Chromium, while the other process takes the rest."""
    for item in items:
        if "browser" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def app_url(browser) -> Iterator[str]:
    """The running app's base URL, after one visit to "/" has run app.py.

    Why the visit: with a pages/ folder beside app.py, Streamlit 1.67 treats a server's very
    first session as an old-style multipage app until app.py has called st.navigation once, so a
    first visit straight to /dataset would run the page without the router.
    """
    with running_app() as url:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(url)
            page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=RUN_TIMEOUT_MS)
        finally:
            context.close()
        yield url


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -r requirements-test.txt)")
    from streamlit_page import EXPECT_TIMEOUT_MS

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)  # Playwright's 5 s is short for a 2-core machine
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(RUN_TIMEOUT_MS)
    try:
        yield page
    finally:
        context.close()

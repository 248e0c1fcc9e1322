"""The app under test: the pages app.py routes to, the app opened headless on one of them
(AppTest, `open_app`), and `streamlit run app.py` on a free port of 127.0.0.1, stopped whatever
happens.

Used by the AppTest tests (tests/test_app.py, tests/test_page_*.py, tests/test_hardening.py), the
browser tests' `app_url` fixture (tests/conftest.py), docs/make_screenshot.py and
benchmarks/bench_memory.py.
"""
from __future__ import annotations

import ast
import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from streamlit.testing.v1 import AppTest

from deploy.replicas import free_port, healthy, stop  # one home for starting and stopping servers

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0  # seconds for the server to answer /_stcore/health
SERVER_PIDS: dict[str, int] = {}   # base URL -> process id of each server running_app has running


def routed_pages(app: Path = ROOT / "app.py") -> list[tuple[str, str]]:
    """(file, title) of each st.Page(...) in app.py, in navigation order."""
    pages = []
    for node in ast.walk(ast.parse(app.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page":
            title = next(k.value.value for k in node.keywords if k.arg == "title")
            pages.append((node.args[0].value, title))
    return pages


def open_app(page: str, query: dict[str, str] | None = None, session: dict | None = None,
             timeout: float = 120) -> AppTest:
    """The app under AppTest, opened on `page` (e.g. "pages/train.py") by a visitor following a
    link with the parameters `query`, with `session` put into its session state; run once there.

    AppTest must run app.py once before it can switch page; the link is given to both runs, as
    a browser opening the link gives it to the first run (and whatever the first run wrote into
    the link is replaced by it again). `timeout` is seconds per run: a first run loads MNIST.
    """
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params.update(query or {})
    at.run()
    at.switch_page(page)
    at.query_params.clear()
    at.query_params.update(query or {})
    for key, value in (session or {}).items():
        at.session_state[key] = value
    return at.run()


def url_path(page_file: str) -> str:
    """The URL path Streamlit gives a page file: its name without .py ("" for the first page)."""
    return "" if page_file == routed_pages()[0][0] else Path(page_file).stem


@contextlib.contextmanager
def running_app(script: str = "app.py") -> Iterator[str]:
    """Yield the base URL of a fresh `streamlit run <script>` started from the repo root."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", script,
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]
    with tempfile.TemporaryFile("w+") as log:
        # A session of its own, so stop() can end streamlit and anything it started.
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not healthy(url):
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"streamlit did not start on {url} "
                                       f"(exit code {proc.poll()}):\n{log.read()[-4000:]}")
                time.sleep(0.2)
            SERVER_PIDS[url] = proc.pid
            yield url
        finally:
            SERVER_PIDS.pop(url, None)
            stop(proc)

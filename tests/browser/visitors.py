"""Visitors of a running app, and the server's memory: shared by the many-visitors browser test
(tests/browser/test_browser_many_visitors.py) and benchmarks/bench_memory.py.

A visitor is a Playwright page in a browser context of its own, so a Streamlit session of its own.
The journeys are what a hosted demo's visitors do: browse the Dataset page, draw on the Draw
page, train a small network on the Train page. Every wait is an ``expect`` on what must appear.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import psutil
from playwright.sync_api import Browser, Page, expect

from appserver import routed_pages, url_path
from streamlit_page import NAV_LINKS, RUN_TIMEOUT_MS, assert_no_exception, open_page, stroke, wait_for_app

VIEWPORT = {"width": 1280, "height": 900}
PATHS = {title: url_path(path) for path, title in routed_pages()}   # {"Dataset": "dataset", ...}
TRAIN_TIMEOUT_MS = 120_000   # a small run while other visitors train too, on two cores

# The Train page's loss chart and the runs overlay, read from the browser's Plotly objects.
CHART_TRACES = """(index) => {
    const charts = document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot');
    const chart = charts[index];
    return chart && chart.data ? chart.data.map(t => ({name: t.name || '', y: Array.from(t.y || [])})) : [];
}"""


def new_visitor(browser: Browser) -> Page:
    """A page in a fresh browser context: a new Streamlit session."""
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.set_default_timeout(RUN_TIMEOUT_MS)
    return page


def close(page: Page) -> None:
    page.context.close()


# --- journeys ------------------------------------------------------------------------------------
# A visitor loads the app once (page.goto starts a Streamlit session) and then moves through the
# sidebar's links, which keeps the session: loading another URL would start a new one.

def go_to(page: Page, title: str) -> None:
    """Follow the sidebar link to the page `title`, in the same session."""
    page.locator(NAV_LINKS).filter(has_text=re.compile(rf"{re.escape(title)}$")).click()
    expect(page).to_have_url(re.compile(rf"/{PATHS[title]}(\?.*)?$"))
    wait_for_app(page)
    assert_no_exception(page)


def check_dataset(page: Page) -> None:
    """The Dataset page is drawn: its grid, close-up and counts."""
    expect(page.get_by_role("heading", name=re.compile(r"^Image #\d+"))).to_be_visible()
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(5)
    wait_for_app(page)
    assert_no_exception(page)


def draw_a_one(page: Page) -> None:
    """On the Draw page: draw a vertical bar and wait for the network's answer."""
    expect(page.locator("canvas.digit-pad")).to_be_visible()
    stroke(page, [(150, 40 + 10 * i) for i in range(21)])
    prediction = page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue")
    expect(prediction).to_have_text("1")
    wait_for_app(page)
    assert_no_exception(page)


def browse(page: Page, url: str, query: str = "") -> None:
    """A visitor who follows a link to the Dataset page, then draws a digit on the Draw page."""
    open_page(page, url, f"dataset?{query}" if query else "dataset")
    check_dataset(page)
    go_to(page, "Draw")
    draw_a_one(page)


def open_train(page: Page, url: str, query: str) -> None:
    open_page(page, url, f"train?{query}")
    expect(train_button(page)).to_be_enabled()


def train_button(page: Page):
    return page.get_by_test_id("stMain").get_by_role("button", name="Train", exact=True)


def press_train(page: Page, number: int) -> None:
    """Press Train and wait until run #`number` has started: the button is disabled while it
    trains, or (a run quicker than one look) the run's status line already says how it ended."""
    train_button(page).click()
    main = page.get_by_test_id("stMain")
    training = main.get_by_role("button", name="Train", exact=True, disabled=True)
    ended = main.get_by_text(re.compile(rf"^Run #{number} (done|stopped|diverged)"))
    expect(training.or_(ended).first).to_be_visible()


def wait_for_run(page: Page, number: int) -> str:
    """Wait for run #`number` to end as "done"; return the test accuracy the page shows."""
    status = page.get_by_test_id("stMain").get_by_text(re.compile(rf"Run #{number} done: test accuracy"))
    expect(status).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    expect(train_button(page)).to_be_enabled()
    wait_for_app(page)
    assert_no_exception(page)
    accuracy = page.get_by_test_id("stMetric").filter(has_text="Test accuracy").get_by_test_id("stMetricValue")
    expect(accuracy).to_have_text(re.compile(r"^\d+\.\d\d%$"))
    return accuracy.inner_text()


def train(page: Page, url: str, query: str, number: int = 1) -> str:
    open_train(page, url, query)
    press_train(page, number)
    return wait_for_run(page, number)


def chart_traces(page: Page, index: int) -> list[dict]:
    """Name and y values of each trace of the page's `index`-th Plotly chart."""
    return page.evaluate(CHART_TRACES, index)


def runs_in_overlay(page: Page) -> list[str]:
    """Names of the runs in the Train page's "Runs so far" overlay chart (the last chart)."""
    expect(page.get_by_text("Runs so far")).to_be_visible()
    count = page.locator('[data-testid="stPlotlyChart"]').count()
    return sorted({t["name"] for t in chart_traces(page, count - 1) if t["name"].startswith("#")})


# --- the server's memory -------------------------------------------------------------------------

def server_process(url: str) -> psutil.Process:
    """The `streamlit run` process serving `url` (started by this process or one of its children)."""
    port = str(urlsplit(url).port)
    for proc in psutil.Process().children(recursive=True):
        try:
            cmdline = proc.cmdline()
        except psutil.Error:
            continue
        if "streamlit" in " ".join(cmdline) and port in cmdline:
            return proc
    raise LookupError(f"no streamlit process serves {url}")


def resident_memory(proc: psutil.Process) -> int:
    """Resident bytes of the server and anything it started."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def mb(n: float) -> str:
    return f"{n / 2**20:,.0f} MB"

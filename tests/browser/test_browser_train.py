"""The Train page in a real browser: Train draws the curves live, Stop ends the run and keeps it."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from streamlit_page import RUN_TIMEOUT_MS, assert_no_exception, open_page, wait_for_app

# Long enough that Stop comes well before the end, even on a fast machine: 100 epochs of 10,000 images.
LONG_RUN = "train?preset=seed&train_size=10000&epochs=100"

POINTS = """() => {
    const chart = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
    return chart && chart.data ? chart.data.reduce((n, trace) => n + (trace.x ? trace.x.length : 0), 0) : 0;
}"""


def points(page: Page) -> int:
    """Points drawn in the loss chart (all its traces)."""
    return page.evaluate(POINTS)


def wait_for_points(page: Page, more_than: int) -> int:
    """Wait until the loss chart holds more than `more_than` points; return how many it holds."""
    page.wait_for_function(f"() => ({POINTS})() > {more_than}", timeout=RUN_TIMEOUT_MS)
    return points(page)


def test_train_draws_live_and_stop_keeps_the_run(page: Page, app_url: str):
    open_page(page, app_url, LONG_RUN)
    main = page.get_by_test_id("stMain")
    train = main.get_by_role("button", name="Train", exact=True)
    expect(train).to_be_enabled()
    assert points(page) == 0

    train.click()
    stop = main.get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_visible()
    expect(train).to_be_disabled()
    first = wait_for_points(page, 0)
    later = wait_for_points(page, first)                  # the chart grows while the run goes on
    assert later > first
    expect(main.get_by_test_id("stProgress")).to_contain_text(re.compile(r"Epoch \d+/100 · [\d,]+ samples/s"))

    stop.click()
    expect(stop).to_have_count(0)
    status = main.get_by_text(re.compile(r"Run #1 stopped at epoch [\d.]+ of 100"))
    expect(status).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)
    assert points(page) >= later                          # the stopped run's curve is still there
    expect(train).to_be_enabled()
    expect(main.get_by_test_id("stMetric").filter(has_text="Test accuracy")).to_be_visible()
    expect(main.get_by_text("Runs so far")).to_be_visible()
    expect(main.get_by_test_id("stDataFrame")).to_be_visible()


def test_the_charts_are_in_view_when_a_run_starts_and_the_header_stop_ends_it_clearly(page: Page, app_url: str):
    """At 1400x1000 the live charts come into view on Train; Streamlit's own header Stop ends in a
    clear state (the run stopped and kept), not a page frozen mid-run until the next click."""
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_page(page, app_url, LONG_RUN)
    main = page.get_by_test_id("stMain")
    main.get_by_role("button", name="Train", exact=True).click()
    wait_for_points(page, 0)
    chart = main.get_by_test_id("stPlotlyChart").first
    box = chart.bounding_box()
    assert box is not None and box["y"] + box["height"] / 2 < 1000, box   # on screen without scrolling
    expect(main.get_by_test_id("stProgress")).to_be_in_viewport()

    page.get_by_test_id("stStatusWidget").get_by_role("button", name="Stop").click()
    expect(main.get_by_text(re.compile(r"Run #1 stopped at epoch [\d.]+ of 100"))).to_be_visible()
    expect(main.get_by_role("button", name="Stop", exact=True)).to_have_count(0)
    expect(main.get_by_role("button", name="Train", exact=True)).to_be_enabled()
    wait_for_app(page)
    assert_no_exception(page)

"""The Train page in a real browser: Train draws the curves live, Stop ends the run and keeps it."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from streamlit_page import RUN_TIMEOUT_MS, assert_no_exception, open_page, press_header_stop, wait_for_app

# Long enough that Stop comes well before the end, even on a fast machine: 100 epochs of 10,000 images.
LONG_RUN = "train?preset=seed&train_size=0&epochs=100"   # minutes of training: it is stopped long before its end

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
    # Brought into view for the visitor, who pressed Train further down (expect retries while the
    # chart is redrawn: a bounding box read once may catch it between two draws).
    expect(main.get_by_test_id("stPlotlyChart").first).to_be_in_viewport(ratio=0.5)
    expect(main.get_by_test_id("stProgress")).to_be_in_viewport()

    press_header_stop(page)
    expect(main.get_by_text(re.compile(r"Run #1 stopped at epoch [\d.]+ of 100"))).to_be_visible()
    expect(main.get_by_role("button", name="Stop", exact=True)).to_have_count(0)
    expect(main.get_by_role("button", name="Train", exact=True)).to_be_enabled()
    wait_for_app(page)
    assert_no_exception(page)


STALE = """() => [...document.querySelectorAll('[data-testid="stMain"] :is([data-stale="true"], [data-retained="true"])')]
    .filter((el) => el.getBoundingClientRect().height > 0)
    .map((el) => (el.innerText || el.firstElementChild?.getAttribute('data-testid') || '').replace(/\\s+/g, ' ').slice(0, 50))"""


def test_a_second_run_trains_in_a_clean_layout_and_its_results_are_linked_when_it_ends(page: Page, app_url: str):
    """At 1400x1000, a run started after another one (its results, runs table and model shown) is laid
    out cleanly while it trains: nothing of the idle page is left over (greyed out, or its settings
    squeezed into the new rows), no two blocks overlap, no label is cut. When a run ends, its status
    and charts stay at the top, with a link that brings its results into view."""
    from test_browser_layout import MEASURE, SLACK
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_page(page, app_url, LONG_RUN)
    main = page.get_by_test_id("stMain")
    train, stop = (main.get_by_role("button", name=n, exact=True) for n in ("Train", "Stop"))
    train.click()
    wait_for_points(page, 0)
    stop.click()
    expect(main.get_by_text("Confusion matrix")).to_be_visible(timeout=RUN_TIMEOUT_MS)
    wait_for_app(page)

    link = main.get_by_role("link", name=re.compile("Results below"))
    expect(link).to_be_in_viewport()                       # the run's end leaves its link in view
    link.click()
    expect(main.get_by_role("heading", name="What the network learned")).to_be_in_viewport()

    train.click()
    expect(main.get_by_text(re.compile(r"Run #2: "))).to_be_visible()
    expect(main.get_by_text("What run #2 learned appears here when it ends.")).to_be_visible()
    wait_for_points(page, 0)
    expect(stop).to_be_visible()
    page.wait_for_function(f"() => ({STALE})().length === 0", timeout=RUN_TIMEOUT_MS)  # the first full draw
    expect(stop).to_be_visible()                                                       # ...while it trains
    assert page.evaluate(STALE) == []
    problems = page.evaluate(MEASURE, SLACK)
    assert not problems, "while run #2 trains:\n" + "\n".join(dict.fromkeys(problems))
    expect(main.get_by_text("Continue from the current model")).to_be_visible()
    expect(main.get_by_test_id("stExpander").filter(has_text="Too few units")).to_have_count(1)
    box = main.get_by_test_id("stExpander").filter(has_text="Too few units").bounding_box()
    assert box is not None and box["width"] > 300, box      # in its half-width row, not a squeezed column
    press_header_stop(page)
    expect(stop).to_have_count(0)
    wait_for_app(page)
    assert_no_exception(page)

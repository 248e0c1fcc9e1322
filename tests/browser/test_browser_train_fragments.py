"""The Train page in a real browser: a setting changed while nothing trains reruns the settings'
fragment only (the page's title above it is not redrawn), and the empty charts' x axis follows the
epochs; Train pressed inside the fragment still starts a run; while it trains, a new learning
rate is taken at once (the page reruns whole then, and the run goes on)."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from streamlit_page import assert_no_exception, open_page, wait_for_app
from test_browser_lab_fragments import WATCH_TITLE

X_RANGE = """() => {
    const chart = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
    return chart && chart.layout && chart.layout.xaxis.range ? chart.layout.xaxis.range[1] : null;
}"""


def epochs_slider(page: Page):
    box = page.get_by_test_id("stMain").get_by_test_id("stSlider").filter(has=page.get_by_text("Epochs", exact=True))
    return box.get_by_role("slider")


def test_a_setting_reruns_only_the_settings_and_train_still_starts_a_run(page: Page, app_url: str):
    open_page(page, app_url, "train?preset=seed&train_size=10000&epochs=100")
    main = page.get_by_test_id("stMain")
    assert page.evaluate(X_RANGE) == 100
    page.evaluate(WATCH_TITLE)
    epochs_slider(page).press("ArrowRight")
    page.wait_for_function("() => location.href.includes('epochs=101')")
    page.wait_for_function(f"() => ({X_RANGE})() === 101")      # the empty charts follow the setting
    wait_for_app(page)
    assert page.evaluate("window.__titleChanges") == 0           # the page around it was not redrawn

    main.get_by_role("button", name="Train", exact=True).click()
    stop = main.get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_visible()
    expect(main.get_by_test_id("stProgress")).to_contain_text(re.compile(r"Epoch \d+/101"))
    lr = main.get_by_test_id("stSlider").filter(has=page.get_by_text("Learning rate η", exact=True))
    lr.get_by_role("slider").press("ArrowRight")                 # while it trains: taken at once
    page.wait_for_function("() => location.href.includes('lr=0.2')")
    expect(main.get_by_text(re.compile(r"lr 0\.1 → 0\.2")).first).to_be_attached()   # marked on the charts
    expect(stop).to_be_visible()                                 # and the run goes on
    stop.click()
    expect(main.get_by_text(re.compile(r"Run #1 stopped at epoch [\d.]+ of 101"))).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)

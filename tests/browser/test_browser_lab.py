"""The Lab's run in a real browser: Streamlit's header Stop mid-run leaves it paused, and said so."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from streamlit_page import assert_no_exception, open_page, press_header_stop, wait_for_app


def test_header_stop_leaves_the_lab_run_paused_and_says_so(page: Page, app_url: str):
    open_page(page, app_url, "lab?lab=Control+the+run")
    main = page.get_by_test_id("stMain")
    main.get_by_role("button", name="New run", exact=True).click()
    run = main.get_by_role("button", name="Run", exact=True)
    expect(run).to_be_enabled()
    wait_for_app(page)
    run.click()
    expect(main.get_by_text(re.compile(r"· step [1-9][\d,]* .*· running$"))).to_be_visible()   # it trains
    press_header_stop(page)
    expect(main.get_by_text(re.compile(r"Epoch [\d.]+ of 5 · step [\d,]+ .* · paused$"))).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)
    expect(run).to_be_enabled()                                                 # Run goes on from there

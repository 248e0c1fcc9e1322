"""The Lab's run in a real browser: Streamlit's header Stop mid-run leaves it paused, and said so."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from streamlit_page import assert_no_exception, new_lab_run, press_header_stop_of_a_slow_slice, wait_for_app


def test_header_stop_leaves_the_lab_run_paused_and_says_so(page: Page, app_url: str):
    new_lab_run(page, app_url)
    main = page.get_by_test_id("stMain")
    run = main.get_by_role("button", name="Run", exact=True)
    run.click()
    expect(main.get_by_text(re.compile(r"· step [1-9][\d,]* .*· running$"))).to_be_visible()   # it trains
    press_header_stop_of_a_slow_slice(page, app_url)
    expect(main.get_by_text(re.compile(r"Epoch [\d.]+ of 5 · step [\d,]+ .* · paused$"))).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)
    expect(run).to_be_enabled()                                                 # Run goes on from there

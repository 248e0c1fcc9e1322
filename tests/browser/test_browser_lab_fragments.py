"""The Lab in a real browser: its run is a fragment trained in slices, its settings are in its link.

A click inside an ``st.fragment`` waits for the fragment run under way instead of interrupting it,
so a Run trained in one go would ignore Pause until its end: these check that Pause is taken
between two slices, that a step is one fragment run (the page title above is not redrawn), and
that the Confidence settings and the studied model come back from the link.
"""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from streamlit_page import assert_no_exception, new_lab_run, open_page, wait_for_app

STEP = re.compile(r"· step ([\d,]+) ·")
# A mark on the page's title element: a full rerun of the page redraws the title (Streamlit
# sends it again), a fragment rerun does not touch it. Counted with a MutationObserver.
WATCH_TITLE = """() => {
  window.__titleChanges = 0;
  const title = document.querySelector('[data-testid="stMain"] h1');
  new MutationObserver(() => window.__titleChanges++).observe(title.closest('[data-testid="stElementContainer"]'),
    {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def status(page: Page) -> str:
    return page.get_by_test_id("stMain").get_by_text(STEP).inner_text()


def step(page: Page) -> int:
    return int(STEP.search(status(page)).group(1).replace(",", ""))


def test_a_step_is_one_fragment_run_and_pause_stops_a_run_between_two_slices(page: Page, app_url: str):
    new_lab_run(page, app_url)
    main = page.get_by_test_id("stMain")
    page.evaluate(WATCH_TITLE)
    main.get_by_role("button", name="One more batch", exact=True).click()
    expect(main.get_by_text(re.compile(r"· step 1 ·"))).to_be_visible()
    wait_for_app(page)
    assert page.evaluate("window.__titleChanges") == 0      # the page around the run was not redrawn

    main.get_by_role("button", name="Run", exact=True).click()
    expect(main.get_by_text(re.compile(r"· running$"))).to_be_visible()
    page.wait_for_function("() => /· step ([2-9]\\d|\\d{3,})/.test(document.body.innerText)")   # slices go on
    main.get_by_role("button", name="Pause", exact=True).click()
    expect(main.get_by_text(re.compile(r"· paused$"))).to_be_visible()
    wait_for_app(page)
    paused_at = step(page)
    assert 1 < paused_at < 5 * 938                           # stopped mid-run (60,000 images, batch 64)
    page.wait_for_timeout(1000)                              # (nothing to wait for: it must not move)
    assert step(page) == paused_at
    assert_no_exception(page)

    main.get_by_role("tab", name="Confidence").click()       # another tab, and back: still paused there
    expect(main.get_by_text("Softmax temperature T")).to_be_visible()
    main.get_by_role("tab", name="Control the run").click()
    expect(main.get_by_text(re.compile(r"· paused$"))).to_be_visible()
    assert step(page) == paused_at


def test_the_confidence_settings_and_the_model_come_back_from_the_link(page: Page, app_url: str):
    open_page(page, app_url, "lab?lab=Confidence&model=ready&temperature=2&threshold=0.9")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stSlider").filter(has_text="Confidence threshold")).to_contain_text("0.90")
    expect(main.get_by_test_id("stSlider").filter(has_text="Softmax temperature")).to_contain_text("2")
    main.get_by_test_id("stSlider").filter(has_text="Confidence threshold").get_by_role("slider").press("ArrowLeft")
    page.wait_for_url(re.compile(r"threshold=0\.89"))
    assert "temperature=2" in page.url and "model=ready" in page.url
    assert_no_exception(page)

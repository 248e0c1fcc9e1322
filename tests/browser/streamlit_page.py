"""Helpers for browser tests of the Streamlit app (import as ``from streamlit_page import ...``).

Streamlit's DOM names used here (data-testid and data-test-* attributes of Streamlit 1.67):
stApp[data-test-script-state] is "running" / "notRunning" (etc.) for the current script run;
stException is the red exception box; stSidebarNav holds the page links.
"""
from __future__ import annotations

import os
import signal

import pytest
from appserver import SERVER_PIDS
from playwright.sync_api import Page, expect

NAV_LINKS = '[data-testid="stSidebarNav"] a'
RUN_TIMEOUT_MS = 60_000   # longest a script run may take here (a server's first run loads the data)
EXPECT_TIMEOUT_MS = 30_000  # default wait of every expect(...), set by the browser fixture


def wait_for_app(page: Page, timeout: float = RUN_TIMEOUT_MS) -> None:
    """Wait until the app's script run is over and no element is still a placeholder.

    Right after an interaction the previous run may still read "notRunning" for a moment, so
    after clicking, first wait for something the click must change, then call this.
    """
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    expect(page.locator('[data-testid="stStatusWidgetRunningIcon"]')).to_have_count(0, timeout=timeout)
    expect(page.locator('[data-testid="stSkeleton"]')).to_have_count(0, timeout=timeout)


def assert_no_exception(page: Page) -> None:
    """Fail with the exception's text if the page shows Streamlit's exception box."""
    boxes = page.locator('[data-testid="stException"]')
    if boxes.count():
        pytest.fail("the page shows an exception:\n" + "\n---\n".join(boxes.all_inner_texts()), pytrace=False)


def open_page(page: Page, app_url: str, path: str = "") -> None:
    """Load `app_url`/`path` (e.g. "dataset?split=test"), wait for the run, check no exception."""
    page.goto(f"{app_url}/{path}")
    wait_for_app(page)
    assert_no_exception(page)


# Clicks the header's Stop from inside the page the moment it is drawn; resolves true once it has.
CLICK_STOP_WHEN_DRAWN = """(ms) => new Promise(resolve => {
    const press = () => {
        const stop = [...document.querySelectorAll('[data-testid="stStatusWidget"] button')]
            .find(b => b.textContent.trim() === "Stop");
        if (!stop) return false;
        stop.click(); watch.disconnect(); resolve(true); return true;
    };
    const watch = new MutationObserver(press);
    if (press()) return;
    watch.observe(document.body, {subtree: true, childList: true});
    setTimeout(() => { watch.disconnect(); resolve(false); }, ms);
})"""


# The same, armed without waiting: window.__stopPressed turns true once it has pressed Stop.
ARM_STOP_WHEN_DRAWN = "(ms) => { window.__stopPressed = false; (" + CLICK_STOP_WHEN_DRAWN + \
    ")(ms).then(pressed => { window.__stopPressed = pressed; }); }"


def press_header_stop_of_a_slow_slice(page: Page, app_url: str, tries: int = 10) -> None:
    """Press the header's Stop while a page trains in slices, as on a machine too slow for them.

    Streamlit's header shows Stop only once a script run has lasted 500 ms, and a slice (about
    0.3 s) is over before that on a quick machine. So the app server is frozen (SIGSTOP) for a
    second while a slice is under way: that slice outlasts 500 ms, the page shows Stop and clicks
    it, and the server takes the click when it goes on (SIGCONT). Frozen again if the freeze fell
    between two slices (nothing ran, no Stop), up to `tries` times.
    """
    pid = SERVER_PIDS[app_url]
    page.evaluate(ARM_STOP_WHEN_DRAWN, 1000 * (tries * 1.2 + 5))
    for _ in range(tries):
        os.kill(pid, signal.SIGSTOP)
        try:
            page.wait_for_timeout(1000)   # (a freeze of the server: there is nothing to wait for)
        finally:
            os.kill(pid, signal.SIGCONT)
        if page.evaluate("window.__stopPressed"):
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"the header showed no Stop in {tries} slow slices")


def press_header_stop(page: Page, within_ms: float = 30_000) -> None:
    """Press Streamlit's own Stop in the header as soon as it shows.

    While a page trains in slices (a fragment that reruns itself every few tenths of a second),
    the header shows Stop only now and then, for a moment, drawn afresh each time: gone again
    before Playwright's click, with its round trips, lands. A person sees it and clicks; here the
    page itself clicks it the moment it is drawn.
    """
    assert page.evaluate(CLICK_STOP_WHEN_DRAWN, within_ms), f"the header showed no Stop within {within_ms} ms"


def choose(page: Page, box: str, option: str, tries: int = 3) -> None:
    """Pick `option` in the select or multiselect labelled `box`.

    A rerun that lands while the list is open redraws the widget and closes the list: open it
    again, up to `tries` times.
    """
    for attempt in range(tries):
        page.get_by_role("combobox", name=box).click()
        item = page.get_by_role("option", name=option, exact=True)
        try:
            expect(item).to_be_visible(timeout=10_000)
        except AssertionError:
            if attempt == tries - 1:
                raise
            page.keyboard.press("Escape")
            continue
        item.click()
        return


def stroke(page: Page, points: list[tuple[float, float]], lift: bool = True) -> None:
    """One pen stroke on the Draw page's pad through `points` (pixels from its top-left corner);
    with ``lift=False`` the button stays down, the pen still on the pad."""
    box = page.locator("canvas.digit-pad").bounding_box()
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=3)
    if lift:
        page.mouse.up()


def new_lab_run(page: Page, app_url: str, train_size: str = "60,000") -> None:
    """The Lab's "Control the run" tab with a new run started on `train_size` images (5 epochs).

    All 60,000 by default: 5 epochs of the form's 10,000 can end in under two seconds, before a
    click (Pause, the header's Stop) reaches a busy 2-core machine's page; 4,690 steps outlast it.
    """
    open_page(page, app_url, "lab?lab=Control+the+run")
    main = page.get_by_test_id("stMain")
    choose(page, "Training images", train_size)
    main.get_by_role("button", name="New run", exact=True).click()
    expect(main.get_by_role("button", name="Run", exact=True)).to_be_enabled()
    wait_for_app(page)

"""The Gradient descent page in a real browser: its Plotly animations play in the page itself
(client-side frames, no rerun per frame). Server and browser come from tests/conftest.py."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from streamlit_page import assert_no_exception, open_page

STEP = re.compile(r"^step (\d+)$")


def chart(page: Page, key: str):
    """The Plotly chart the page draws with ``st.plotly_chart(..., key=key)``."""
    return page.locator(f".st-key-{key}").locator('[data-testid="stPlotlyChart"]')


def current_step(fig) -> str:
    return fig.locator("text.slider-label", has_text=STEP)


def test_play_moves_the_point_along_the_curve_and_pause_stops_it(page: Page, app_url: str):
    open_page(page, app_url, "gradient_descent")
    fig = chart(page, "gd_anim1")
    expect(current_step(fig)).to_have_text("step 0")
    readout = fig.locator("g.textpoint text")
    expect(readout).to_have_text(re.compile(r"^x = 2,"))
    point = fig.locator("g.trace.scatter").nth(4).locator("path.point")
    start = point.get_attribute("transform")

    fig.locator("g.updatemenu-button", has_text="Play").click()
    expect(current_step(fig)).to_have_text(re.compile(r"^step ([2-9]|1\d|20)$"))
    expect(point).not_to_have_attribute("transform", start)
    assert not page.locator('[data-testid="stApp"][data-test-script-state="running"]').count()  # no rerun

    fig.locator("g.updatemenu-button", has_text="Pause").click()
    # Paused: the readout is the seed's iterate x_k = 2 * 0.8^k of the step the slider shows.
    k = int(STEP.match(current_step(fig).text_content()).group(1))
    expect(readout).to_have_text(re.compile(rf"^x = {2 * 0.8 ** k:.6g},"))
    expect(current_step(fig)).to_have_text(f"step {k}")
    assert_no_exception(page)


def test_the_optimizers_race_plays_too(page: Page, app_url: str):
    open_page(page, app_url, "gradient_descent")
    fig = chart(page, "gd_anim2")
    expect(current_step(fig)).to_have_text("step 0")
    fig.locator("g.updatemenu-button", has_text="Play").click()
    expect(current_step(fig)).to_have_text(re.compile(r"^step [1-9]\d*$"))
    # The surface is a layout image: it must still be there while the frames play.
    expect(fig.locator("g.layer-subplot g.imagelayer image")).to_have_count(1)
    assert_no_exception(page)


def test_on_a_phone_play_pause_and_the_step_slider_do_not_overlap(browser, app_url: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        open_page(page, app_url, "gradient_descent")
        fig = chart(page, "gd_anim1")
        expect(current_step(fig)).to_have_text("step 0")
        buttons = fig.locator("g.updatemenu-container").bounding_box()
        slider = fig.locator("g.slider-container").bounding_box()
        assert buttons["y"] + buttons["height"] <= slider["y"] + 1 or slider["y"] + slider["height"] <= buttons["y"] + 1
        assert slider["x"] + slider["width"] <= fig.bounding_box()["x"] + fig.bounding_box()["width"] + 1
        assert_no_exception(page)
    finally:
        context.close()


def test_the_link_keeps_the_settings_in_the_browser(page: Page, app_url: str):
    open_page(page, app_url, "gradient_descent?function=flat_then_steep&preset=too+large&eta=1&start=3.5&steps=30&surface=saddle")
    expect(page.get_by_text("a two-point cycle").first).to_be_visible()
    assert "surface=saddle" in page.url and "function=flat_then_steep" in page.url
    assert_no_exception(page)

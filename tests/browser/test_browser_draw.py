"""The Draw page in a real browser: mouse strokes on the canvas reach the network."""
from __future__ import annotations

import math
import re

from playwright.sync_api import Page, expect
from streamlit_page import assert_no_exception, open_page, stroke


def prediction(page: Page):
    return page.get_by_test_id("stMetric").filter(has_text="Prediction").get_by_test_id("stMetricValue")


def open_draw_page(page: Page, app_url: str) -> None:
    open_page(page, app_url, "draw")
    expect(page.locator("canvas.digit-pad")).to_be_visible()
    expect(page.get_by_text("Draw a digit on the black square")).to_be_visible()   # nothing read yet


def test_vertical_bar_is_read_as_1(page: Page, app_url: str):
    open_draw_page(page, app_url)
    stroke(page, [(150, 40 + 10 * i) for i in range(21)])         # off-centre, top to bottom
    expect(prediction(page)).to_have_text("1")
    assert_no_exception(page)


def test_ring_is_read_as_0_and_clear_empties_the_canvas(page: Page, app_url: str):
    open_draw_page(page, app_url)
    ring = [(140 + 60 * math.sin(2 * math.pi * i / 48), 140 - 95 * math.cos(2 * math.pi * i / 48))
            for i in range(50)]
    stroke(page, ring)
    expect(prediction(page)).to_have_text("0")
    expect(page.get_by_role("img", name="what the network sees (28x28)")).to_be_visible()
    expect(page.get_by_title(re.compile(r"^0: \d+\.\d%$"))).to_have_count(1)                   # the bar of class 0, with its probability
    assert_no_exception(page)
    page.get_by_role("button", name="Clear").click()
    expect(prediction(page)).to_have_count(0)
    expect(page.get_by_text("Draw a digit on the black square")).to_be_visible()


def test_the_prediction_follows_the_pen_before_it_lifts(page: Page, app_url: str):
    open_draw_page(page, app_url)
    bar = [(150, 40 + 10 * i) for i in range(21)]
    stroke(page, bar, lift=False)
    expect(prediction(page)).to_have_text("1")          # read while the button is still down
    box = page.locator("canvas.digit-pad").bounding_box()
    page.mouse.move(box["x"] + 150, box["y"] + 260, steps=5)   # the same stroke goes on down the pad
    page.mouse.up()
    assert_no_exception(page)


def test_undo_takes_back_the_last_stroke(page: Page, app_url: str):
    open_draw_page(page, app_url)
    stroke(page, [(150, 40 + 10 * i) for i in range(21)])
    expect(prediction(page)).to_have_text("1")
    stroke(page, [(60 + 8 * i, 50) for i in range(21)])              # a bar across the top: a 7
    expect(prediction(page)).to_have_text("7")
    page.get_by_role("button", name="Undo").click()
    expect(prediction(page)).to_have_text("1")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Draw a digit on the black square")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_disabled()
    assert_no_exception(page)


def test_on_a_phone_the_pad_fits_and_draws_with_a_finger(browser, app_url: str):
    """390x844 with touch: the 280 px pad lies inside the screen, a finger's stroke (touch events,
    not a mouse) draws on it instead of scrolling the page, and the drawing is read."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        open_draw_page(page, app_url)
        pad = page.locator("canvas.digit-pad")
        pad.scroll_into_view_if_needed()
        box = pad.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        scrolled = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop")
        touch = context.new_cdp_session(page)
        finger = [(box["x"] + 150, box["y"] + 40 + 10 * i) for i in range(21)]
        touch.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": finger[0][0], "y": finger[0][1]}]})
        for x, y in finger[1:]:
            touch.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        touch.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        expect(prediction(page)).to_have_text("1")
        assert page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollTop") == scrolled
        assert_no_exception(page)
    finally:
        context.close()

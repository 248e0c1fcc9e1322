"""The One step page in a real browser: play the phases, click a unit on the diagram and read its
sum, see the loss fall after the update, read the mini-batch note, check the gradient, and teach
it a misread picture its right label. Server and browser come from tests/conftest.py."""
from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image
from playwright.sync_api import Page, expect

from mnistcore import data
from streamlit_page import assert_no_exception, open_page, wait_for_app

LINK = "one_step?dataset=mnist&index=0&net=fresh&seed=0&hidden=16&eta=0.1&phase=Forward&B=1"


def diagram(page: Page):
    return page.locator(".st-key-os_diagram").locator('[data-testid="stPlotlyChart"]')


def phase_title(page: Page):
    """The line above the diagram that names the phase shown, e.g. "Phase 2 of 4: Loss (...)"."""
    return page.get_by_text(re.compile(r"^Phase \d of 4: "))


def test_play_walks_the_phases_and_the_loss_falls(page: Page, app_url: str):
    open_page(page, app_url, LINK)
    expect(phase_title(page)).to_have_text(re.compile(r"^Phase \d of 4: Forward "))
    expect(page.get_by_text(re.compile(r"\d+ of 16 units are on"))).to_be_visible()
    page.get_by_role("button", name="Play").click()
    expect(phase_title(page)).to_have_text(re.compile(r"^Phase \d of 4: Loss "))
    expect(phase_title(page)).to_have_text(re.compile(r"^Phase \d of 4: Backward "))
    expect(phase_title(page)).to_have_text(re.compile(r"^Phase \d of 4: Update "))
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"the loss on this image fell from \d+\.\d{4} to \d+\.\d{4}"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]phase=Update\b"))
    page.get_by_role("button", name="Previous phase").click()
    expect(phase_title(page)).to_have_text(re.compile(r"^Phase \d of 4: Backward "))
    expect(page.get_by_text(re.compile(r"the p.s cancel and leave p - t"))).to_be_visible()
    page.get_by_role("button", name="Next phase").click()
    expect(phase_title(page)).to_have_text(re.compile(r"^Phase \d of 4: Update "))
    assert_no_exception(page)


def test_clicking_a_unit_writes_out_its_sum(page: Page, app_url: str):
    open_page(page, app_url, LINK.replace("phase=Forward", "phase=Backward"))
    points = diagram(page).locator("g.trace.scatter path.point")
    expect(points).to_have_count(16 + 16 + 10)          # 16 sampled pixels, every hidden unit, 10 outputs
    box = points.nth(16 + 3).bounding_box()             # the fourth hidden unit: unit 3
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.get_by_text("hidden unit 3 of layer 1")).to_be_visible()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"z = -?\d+\.\d{4}")).first).to_be_visible()
    expect(page.get_by_text(re.compile(r"delta = -?\d+\.\d{4}")).first).to_be_visible()
    box = points.nth(16 + 16 + 5).bounding_box()        # output 5
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.get_by_text(re.compile(r"delta = p - t = \d\.\d{4} - [01]"))).to_be_visible()
    assert_no_exception(page)


def test_gradient_check_is_below_one_in_a_million(page: Page, app_url: str):
    open_page(page, app_url, LINK)
    expect(page.get_by_text("B = 1: the batch is this image alone", exact=False)).to_be_visible()
    page.get_by_role("button", name="Check the gradient").click()
    expect(page.get_by_text(re.compile(r"Largest relative error \d\.\de-\d\d"))).to_be_visible()
    expect(page.get_by_text("below 1e-6", exact=False)).to_be_visible()
    assert_no_exception(page)


def six_png() -> bytes:
    """Test image 259, a 6 the ready-trained model reads as a 0, as a 280x280 picture."""
    buf = io.BytesIO()
    Image.fromarray(np.kron(data.load("mnist").x_test[259], np.ones((10, 10), np.uint8))).save(buf, format="PNG")
    return buf.getvalue()


def test_an_upload_asks_for_its_label_then_teaching_fixes_the_misread_six(page: Page, app_url: str):
    open_page(page, app_url, LINK.replace("net=fresh", "net=ready"))
    page.get_by_text("Upload a picture").click()
    chooser = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    chooser.set_input_files({"name": "six.png", "mimeType": "image/png", "buffer": six_png()})
    expect(page.get_by_text(re.compile(r"The network reads it as 0 \(\d+\.\d%\); its second choice is 6"))).to_be_visible()
    expect(page.get_by_text("Pick its right label above", exact=False)).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Teach it"))).to_have_count(0)
    page.get_by_role("combobox", name="Its right label").click()
    page.get_by_role("option", name="6", exact=True).click()
    teach = page.get_by_role("button", name="Teach it: this is a 6")
    expect(teach).to_be_visible()
    wait_for_app(page)
    teach.click()
    expect(page.get_by_text(re.compile(r"It read 0 \(\d+\.\d% for 6\) before and 6 \(\d+\.\d%\) after 5 steps"))).to_be_visible()
    expect(page.get_by_text("Test accuracy")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^[+-]0\.\d\d points \(was \d+\.\d\d%\)$"))).to_be_visible()   # < 1 point
    assert_no_exception(page)

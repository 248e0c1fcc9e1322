"""The app in a real browser: every page from the navigation, the Dataset page's content, its
links, clicks and uploads. Server and browser come from tests/conftest.py."""
from __future__ import annotations

import io
import re
from urllib.parse import parse_qsl, urlsplit

import numpy as np
from playwright.sync_api import Page, expect

from appserver import routed_pages, running_app, url_path
from streamlit_page import NAV_LINKS, RUN_TIMEOUT_MS, assert_no_exception, open_page, wait_for_app

PAGES = {title: url_path(path) for path, title in routed_pages()}   # {"Home": "", "Dataset": "dataset", ...}
CHARTS = '[data-testid="stPlotlyChart"]'


def link_params(page: Page) -> dict[str, str]:
    """The query parameters of the page's current URL."""
    return dict(parse_qsl(urlsplit(page.url).query))


def closeup_heading(page: Page):
    return page.get_by_role("heading", name=re.compile(r"^Image #\d+"))


def test_every_page_opens_from_the_navigation(page: Page, app_url: str):
    open_page(page, app_url)
    expect(page.locator(NAV_LINKS)).to_contain_text(list(PAGES))  # each link is icon + title
    for title, path in [*list(PAGES.items())[1:], ("Home", "")]:
        page.locator(NAV_LINKS).filter(has_text=re.compile(rf"{re.escape(title)}$")).click()
        expect(page).to_have_url(re.compile(rf"^{re.escape(app_url)}/{path}(\?.*)?$"))
        wait_for_app(page)
        expect(page.locator('[data-testid="stHeading"] h1').first).to_be_visible()
        assert_no_exception(page)
        # The data set choice is on every page, and in every page's link.
        expect(page.locator('[data-testid="stSidebar"]').get_by_text("Data set")).to_be_visible()
        expect(page).to_have_url(re.compile(r"[?&]dataset=mnist\b"))


def test_dataset_page_shows_images_and_counts(page: Page, app_url: str):
    open_page(page, app_url)
    page.locator(NAV_LINKS, has_text="Dataset").click()
    expect(closeup_heading(page)).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)
    charts = page.locator(CHARTS)
    expect(charts).to_have_count(5)
    # Grid, close-up and class means are drawn as heatmap images; the counts as 2 x 10 bars.
    for k in (0, 1, 3):
        expect(charts.nth(k).locator("g.hm image")).to_have_count(1)
    expect(charts.nth(0).locator("g.annotation")).to_have_count(40)
    expect(charts.nth(1).locator("g.hm text, g.textpoint, text").filter(has_text="255").first).to_be_attached()
    expect(charts.nth(2).locator("g.barlayer g.point")).to_have_count(20)
    expect(charts.nth(3).locator("g.annotation")).to_have_count(10)
    expect(page.locator('[data-testid="stDataFrame"]')).to_be_visible()
    expect(page.get_by_text(re.compile(r"has \d+\.\d\dx as many examples")).first).to_be_visible()
    shown = int(closeup_heading(page).text_content().split("#")[1].split(":")[0])
    assert link_params(page) == {"dataset": "mnist", "split": "train", "class": "all", "seed": "0", "index": str(shown)}


def test_clicking_an_image_of_the_grid_shows_it_large(page: Page, app_url: str):
    open_page(page, app_url, "dataset?dataset=mnist&split=train&class=all&seed=0")
    grid = page.locator(CHARTS).first
    captions = grid.locator("g.annotation")
    expect(captions).to_have_count(40)
    wanted = captions.nth(13).text_content()           # "#<index> · <label>"
    index = re.match(r"#(\d+)", wanted).group(1)
    expect(closeup_heading(page)).not_to_have_text(re.compile(rf"^Image #{index}:"))
    # The tile is just below its caption: as far below as the tiles are apart.
    first, second, caption = (captions.nth(k).bounding_box() for k in (12, 13, 13))
    pitch = second["x"] - first["x"]
    page.mouse.click(caption["x"] + caption["width"] / 2, caption["y"] + caption["height"] + pitch / 2)
    expect(closeup_heading(page)).to_have_text(re.compile(rf"^Image #{index}:"))
    wait_for_app(page)
    assert_no_exception(page)
    expect(page).to_have_url(re.compile(rf"[?&]index={index}\b"))


def test_a_link_reproduces_the_view_and_a_bad_one_says_why(page: Page, app_url: str):
    open_page(page, app_url, "dataset?dataset=mnist&split=test&class=3&seed=7&index=18")
    expect(closeup_heading(page)).to_have_text(re.compile(r"^Image #18: 3"))
    expect(page.get_by_text("random test images of class 3")).to_be_visible()
    expect(page.locator('[data-testid="stAlert"]')).to_have_count(0)
    first_grid = page.locator(CHARTS).first.locator("g.annotation").all_text_contents()

    open_page(page, app_url, "dataset?dataset=mnist&split=test&class=3&seed=7&index=18")
    assert page.locator(CHARTS).first.locator("g.annotation").all_text_contents() == first_grid

    open_page(page, app_url, "dataset?split=sideways&seed=abc&index=-1")
    note = page.locator('[data-testid="stAlert"]').filter(has_text="not usable")
    expect(note).to_contain_text("split=sideways")
    expect(note).to_contain_text("seed=abc")
    expect(note).to_contain_text("index=-1")
    params = link_params(page)
    assert (params["split"], params["class"], params["seed"]) == ("train", "all", "0")


def npz_file(n: int = 20) -> bytes:
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    y = (np.arange(n) % 10).astype(np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, x_train=x, y_train=y, x_test=x[:5], y_test=y[:5])
    return buffer.getvalue()


def test_upload_a_data_set_and_a_bad_file_keeps_it(page: Page, app_url: str):
    open_page(page, app_url, "dataset")
    page.get_by_text("Upload your own data set").click()
    chooser = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    chooser.set_input_files({"name": "mine.npz", "mimeType": "application/octet-stream", "buffer": npz_file()})
    expect(page.get_by_text("Using mine.npz: 20 training and 5 test images")).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)
    expect(page.get_by_text("20 random train images")).to_be_visible()
    expect(page.get_by_role("combobox", name="Data set")).to_have_value("Uploaded: mine.npz")

    chooser.set_input_files({"name": "junk.csv", "mimeType": "text/csv", "buffer": b"1,2,3\nhello\n"})
    expect(page.locator('[data-testid="stAlert"]').filter(has_text="junk.csv")).to_be_visible()
    wait_for_app(page)
    assert_no_exception(page)
    expect(page.get_by_text("20 random train images")).to_be_visible()   # the good upload stays


def test_a_fresh_server_honours_a_deep_link(page: Page):
    # Streamlit 1.67 runs a server's first session in legacy pages/-folder mode until some session
    # has run st.navigation; ui/router.py sends such a run back through app.py.
    with running_app() as url:
        page.goto(f"{url}/dataset?split=test")
        wait_for_app(page)
        # The legacy run may end before the router's run through app.py begins (wait_for_app can
        # return between the two); that run is a fresh server's first, which loads the data.
        expect(page.locator('[data-testid="stSidebar"]').get_by_text("Data set")).to_be_visible(timeout=RUN_TIMEOUT_MS)
        # The router's titles, not the legacy file names, and the link's own view.
        expect(page.locator('[data-testid="stSidebarNav"]').get_by_text("Gradient descent")).to_be_visible()
        expect(page).to_have_url(re.compile(r"/dataset\?.*split=test"))

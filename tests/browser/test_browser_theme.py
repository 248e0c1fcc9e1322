"""Light and dark themes (issue 18: "charts follow the theme"), measured in Chromium.

.streamlit/config.toml forces no base theme, so the app follows the visitor's system setting,
which Playwright sets with the browser context's ``color_scheme``. For each page of app.py's
navigation and each scheme: the app's background is dark (or light) as asked, every chart's paper
and plot area are the app's background or transparent (never a white box on a dark page), and
every chart's text (titles, tick labels, legend, annotations) stands out from that background.
Charts are those on the page as it opens; a chart drawn only after a run is not reached here.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser

from appserver import routed_pages, url_path
from streamlit_page import RUN_TIMEOUT_MS, assert_no_exception, wait_for_app

PAGES = [(title, url_path(path)) for path, title in routed_pages()]
MIN_CONTRAST = 3.0   # WCAG's ratio for large text and chart parts; tick labels are small, so this is lenient

# The app's background, and per chart the colours that matter; Plotly sets them as inline styles.
COLOURS = """() => {
  const app = getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor;
  const charts = [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')].map((plot) => ({
    paper: plot.querySelector('svg.main-svg')?.style.background || '',
    // the plot areas: Plotly gives each its fill and, apart, its fill-opacity (0 for a transparent one)
    areas: [...plot.querySelectorAll('rect.bg')].map((r) => Number(r.style.fillOpacity || 1) > 0 ? r.style.fill : 'rgba(0, 0, 0, 0)'),
    texts: [...plot.querySelectorAll('.gtitle, .xtick text, .ytick text, .g-xtitle text, .g-ytitle text, .legendtext, .annotation-text')]
             .filter((t) => t.textContent.trim()).map((t) => [t.textContent.trim().slice(0, 30), t.style.fill || getComputedStyle(t).fill]),
  }));
  return {app, charts};
}"""


def rgba(css: str) -> tuple[float, float, float, float]:
    """(r, g, b, alpha) of a CSS colour "rgb(r, g, b)" or "rgba(r, g, b, a)"; alpha 0 for none."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    if len(numbers) < 3:
        return 0.0, 0.0, 0.0, 0.0
    return numbers[0], numbers[1], numbers[2], numbers[3] if len(numbers) > 3 else 1.0


def luminance(css: str) -> float:
    """WCAG relative luminance of a CSS colour, 0 (black) to 1 (white)."""
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b, _ = rgba(css)
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_reads_css_colours():
    assert contrast("rgb(255, 255, 255)", "rgb(0, 0, 0)") == pytest.approx(21.0)
    assert contrast("rgb(23, 22, 20)", "rgb(23, 22, 20)") == pytest.approx(1.0)
    assert rgba("rgba(0, 0, 0, 0)")[3] == 0 and rgba("")[3] == 0


@pytest.mark.parametrize("scheme", ["dark", "light"])
@pytest.mark.parametrize("title,path", PAGES, ids=[p for _, p in PAGES])
def test_every_page_follows_the_visitors_theme(browser: Browser, app_url: str, scheme: str, title: str, path: str):
    context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(RUN_TIMEOUT_MS)
        page.goto(f"{app_url}/{path}")
        wait_for_app(page)
        assert_no_exception(page)
        for plot in page.locator('[data-testid="stMain"] .js-plotly-plot').all():
            plot.scroll_into_view_if_needed()   # Plotly draws a chart once it is on screen
        wait_for_app(page)
        found = page.evaluate(COLOURS)
    finally:
        context.close()
    app = found["app"]
    assert (luminance(app) < 0.2) == (scheme == "dark"), f"{title}: a {scheme} browser gets background {app}"
    problems = []
    for k, chart in enumerate(found["charts"]):
        for part, colour in [("paper", chart["paper"]), *(("plot area", c) for c in chart["areas"])]:
            if rgba(colour)[3] > 0 and contrast(colour, app) > 1.1:
                problems.append(f"chart {k}: its {part} is {colour} on the app's {app}")
        for text, colour in chart["texts"]:
            if contrast(colour, app) < MIN_CONTRAST:
                problems.append(f"chart {k}: text {text!r} in {colour} hardly shows on {app}")
    assert not problems, f"{title} ({scheme}):\n" + "\n".join(problems)

"""Every page's layout at laptop (1400x1000) and phone (390x844) size, measured in the DOM.

For each page of app.py's navigation and each size: no two sibling blocks overlap (widgets,
labels, charts, tabs: the children of every Streamlit vertical or horizontal block), within a
chart no caption, note, title or legend covers another, Plotly's toolbar does not cover a legend
and its Play buttons do not cover its slider, nothing is cut off
horizontally (the page and the main block do not scroll sideways, no widget label, tab or
formula is wider than its box; Streamlit cuts a long label with an ellipsis), and the Draw
canvas fits the width. The Train page is measured again with a short run's charts and results.
Each view is saved as a screenshot in /tmp/shots/ for a person to look at.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from appserver import routed_pages, url_path
from streamlit_page import RUN_TIMEOUT_MS, assert_no_exception, wait_for_app

PAGES = [(title, url_path(path)) for path, title in routed_pages()]
SIZES = {"laptop": (1400, 1000), "phone": (390, 844)}
SHOTS = Path("/tmp/shots")
SLACK = 1.5   # px: sub-pixel rounding of neighbouring boxes is not an overlap

# One pass over the DOM; returns a list of human-readable problems (empty when the layout is fine).
MEASURE = """(slack) => {
  const problems = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const name = (el) => {
    const id = el.getAttribute('data-testid') || el.firstElementChild?.getAttribute('data-testid') || el.tagName;
    const text = (el.innerText || '').replace(/\\s+/g, ' ').trim().slice(0, 40);
    return `${id} "${text}"`;
  };
  const overlap = (a, b) => {
    const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    return w > slack && h > slack ? [w, h] : null;
  };
  // 1. Sibling blocks never overlap.
  for (const block of document.querySelectorAll(
      '[data-testid="stMain"] [data-testid="stVerticalBlock"], [data-testid="stMain"] [data-testid="stHorizontalBlock"]')) {
    const kids = [...block.children].filter(visible);
    for (let i = 0; i < kids.length; i++) {
      for (let j = i + 1; j < kids.length; j++) {
        const o = overlap(kids[i].getBoundingClientRect(), kids[j].getBoundingClientRect());
        if (o) problems.push(`overlap ${o[0].toFixed(0)}x${o[1].toFixed(0)} px: ${name(kids[i])} and ${name(kids[j])}`);
      }
    }
  }
  // 2. Plotly: the toolbar over the legend, Play/Pause over the slider.
  for (const plot of document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')) {
    const title = (plot.querySelector('.gtitle')?.textContent || plot.querySelector('g.legend')?.textContent || '').slice(0, 40);
    const bar = plot.querySelector('.modebar');
    const legend = plot.querySelector('g.legend');
    if (bar && legend && visible(bar) && getComputedStyle(bar).opacity !== '0') {
      const o = overlap(bar.getBoundingClientRect(), legend.getBoundingClientRect());
      if (o) problems.push(`chart "${title}": toolbar over the legend`);
    }
    // texts drawn in the chart (annotations: captions, notes, subplot titles; the title; the legend)
    const texts = [...plot.querySelectorAll('g.annotation, .gtitle, g.legend')]
      .filter((t) => t.getBoundingClientRect().width > 0 && (t.textContent || '').trim());
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        if (overlap(texts[i].getBoundingClientRect(), texts[j].getBoundingClientRect()))
          problems.push(`chart "${title}": "${texts[i].textContent.slice(0, 30)}" over "${texts[j].textContent.slice(0, 30)}"`);
      }
    }
    for (const menu of plot.querySelectorAll('g.updatemenu-container')) {
      for (const slider of plot.querySelectorAll('g.slider-container')) {
        const o = overlap(menu.getBoundingClientRect(), slider.getBoundingClientRect());
        if (o) problems.push(`chart "${title}": Play/Pause over the slider`);
      }
    }
  }
  // 3. Nothing scrolls sideways or is cut with an ellipsis.
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) problems.push(`the page scrolls sideways: ${root.scrollWidth} > ${root.clientWidth}`);
  for (const el of document.querySelectorAll('[data-testid="stMain"], [data-testid="stMainBlockContainer"]')) {
    if (el.scrollWidth > el.clientWidth + 1) problems.push(`${el.dataset.testid} scrolls sideways: ${el.scrollWidth} > ${el.clientWidth}`);
  }
  const cut = (sel, what, deep = true, tolerance = 1) => {
    for (const el of document.querySelectorAll(sel)) {
      if (!visible(el)) continue;
      // the box itself and what it holds, but not KaTeX's inner struts (clipped by design)
      const inner = deep ? [...el.querySelectorAll('*')].filter((t) => !t.closest('.katex')) : [];
      for (const t of [el, ...inner]) {
        if (t.clientWidth > 0 && t.scrollWidth > t.clientWidth + tolerance && getComputedStyle(t).overflowX !== 'visible') {
          const text = (el.getAttribute('aria-label') || el.querySelector('annotation')?.textContent || el.innerText || '')
            .replace(/\\s+/g, ' ').trim().slice(0, 60);
          problems.push(`${what} cut off: "${text}" (${t.scrollWidth} > ${t.clientWidth} px)`);
          break;
        }
      }
    }
  };
  cut('[data-testid="stMain"] [data-testid="stWidgetLabel"]', 'label');
  cut('[data-testid="stMain"] [data-testid="stMetricLabel"]', 'metric label');
  cut('[data-testid="stMain"] [data-testid="stMetricValue"]', 'metric value');
  cut('[data-testid="stMain"] [data-baseweb="tab-list"]', 'tabs');
  cut('[data-testid="stMain"] .katex-display', 'formula', false, 4);   // KaTeX's own 1-3 px overhang
  cut('[data-testid="stMain"] [data-testid="stExpander"] summary', 'expander title');
  // 4. Components (the Draw canvas) fit in the main block.
  const main = document.querySelector('[data-testid="stMainBlockContainer"]').getBoundingClientRect();
  for (const frame of document.querySelectorAll('[data-testid="stMain"] iframe')) {
    const r = frame.getBoundingClientRect();
    if (r.width > 0 && (r.right > main.right + slack || r.left < main.left - slack))
      problems.push(`component ${frame.title} (${r.width.toFixed(0)} px) does not fit the width ${main.width.toFixed(0)} px`);
  }
  return problems;
}"""


SETTLED = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every((box) => {
  const svg = box.querySelector('.main-svg');
  return !svg || svg.getBoundingClientRect().width <= box.getBoundingClientRect().width + 1;
})"""
FRAME = "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


@pytest.fixture(scope="module")
def tabs(browser: Browser):
    """One open tab per page, shared by that page's sizes (loading each page once keeps it fast)."""
    context = browser.new_context(viewport=dict(zip(("width", "height"), SIZES["laptop"])))
    opened: dict[str, Page] = {}
    try:
        yield context, opened
    finally:
        context.close()


def train_one_run(page: Page) -> None:
    """Press Train and wait for the results: the live charts, confusion matrix, per-class bars."""
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.get_by_text("Confusion matrix")).to_be_visible(timeout=3 * RUN_TIMEOUT_MS)
    wait_for_app(page, timeout=2 * RUN_TIMEOUT_MS)


# (title, path, what to do once loaded): every page as it opens, and the Train page with a run's results
VIEWS = [(title, path, None) for title, path in PAGES] + [
    ("Train after a run", "train?preset=seed&train_size=1000&epochs=1", train_one_run)]


def view(tabs, app_url: str, path: str, size: str, then=None) -> Page:
    """The page at `path`, loaded once (and `then` done to it), resized to `size` and laid out again."""
    context, opened = tabs
    if path not in opened:
        for old in opened.values():
            old.close()
        opened.clear()
        page = opened[path] = context.new_page()
        page.set_default_timeout(RUN_TIMEOUT_MS)
        page.goto(f"{app_url}/{path}")
        wait_for_app(page, timeout=2 * RUN_TIMEOUT_MS)   # a busy 2-core machine: Gradient descent is slow
        if then is not None:
            then(page)
    page = opened[path]
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_function(SETTLED)          # Plotly redraws its charts at the new width
    page.evaluate("document.fonts.ready")
    page.evaluate(FRAME)
    return page


def screenshot(page: Page, name: str) -> None:
    """The whole main column, however long: Streamlit scrolls it inside the window, so the
    window is made as tall as the content for the picture (the width, what is tested, stays)."""
    SHOTS.mkdir(exist_ok=True)
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    tall = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(max(tall, height), 12_000)})
    page.evaluate(FRAME)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size({"width": width, "height": height})


CASES = [(title, path, then, size) for title, path, then in VIEWS for size in SIZES]


@pytest.mark.parametrize("title,path,then,size", CASES, ids=[f"{t}-{s}" for t, _, _, s in CASES])
def test_page_layout_has_no_overlap_and_nothing_cut_off(tabs, app_url: str, title: str, path: str, then, size: str):
    page = view(tabs, app_url, path, size, then)
    assert_no_exception(page)
    problems = page.evaluate(MEASURE, SLACK)
    if path == "draw":   # the canvas lives in the component's shadow DOM, which Playwright's CSS pierces
        canvas = page.locator("canvas.digit-pad").bounding_box()
        main = page.get_by_test_id("stMainBlockContainer").bounding_box()
        assert canvas is not None, "the Draw page shows no canvas"
        assert main["x"] - SLACK <= canvas["x"] and canvas["x"] + canvas["width"] <= main["x"] + main["width"] + SLACK, \
            f"the canvas ({canvas['width']:.0f} px at x = {canvas['x']:.0f}) does not fit the page's {main['width']:.0f} px"
    screenshot(page, f"{size}-{(path or 'home').split('?')[0]}{'-run' if then else ''}")
    assert not problems, f"{title} at {size} size:\n" + "\n".join(dict.fromkeys(problems))

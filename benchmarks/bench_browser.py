"""How fast does the app answer in a real browser? Prints the median and max of each latency.

Starts ``streamlit run app.py`` on a free port (tests/appserver.py) and drives Debian's Chromium
(Playwright, headless, 1280x900) through what a visitor does, on a warm server:

- first visit to each page: ``goto`` until the script is idle, no placeholder is left and every
  Plotly chart is drawn (a page's cached work is warmed by one visit before the timed ones);
- Draw: mouse-up on the pad to the prediction of the finished drawing (the run that read it is over);
- Gradient descent: a drag of the "Number of steps" slider, mouse-up to idle;
- Inside the network: a click on a tab to idle with the tab's charts drawn;
- Lab: a press of "One more batch" to idle.

Each interaction time runs from the action to the end of the script run it started (the page's
``data-test-script-state`` back at "notRunning", seen by a MutationObserver in the page) and then
every chart drawn. The app and the browser share this machine's cores: figures are only
comparable within one run, on a quiet machine.

    python benchmarks/bench_browser.py [--repeats 5] [--strokes 10] [--pages all]
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "browser")]
from appserver import routed_pages, running_app, url_path  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402
from streamlit_page import stroke as draw_stroke  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
TIMEOUT_MS = 600_000   # a cold Inside tab trains its short runs once per server
STEP_TIMEOUT_MS = 120_000   # one interaction on a warm server: past this it did not start a run

# A MutationObserver logs each change of the app's script state with the page's clock.
OBSERVE = """() => {
  if (window.__runs) return;
  window.__runs = [];
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver(() => window.__runs.push([performance.now(), app.getAttribute('data-test-script-state')]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
# At rest (the body of the two waits below): no script run going, nothing still a placeholder,
# every Plotly chart drawn.
AT_REST = """
  const app = document.querySelector('[data-testid="stApp"]');
  if (app.getAttribute('data-test-script-state') === 'running') return false;
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stStatusWidgetRunningIcon"]')) return false;
  for (const c of document.querySelectorAll('[data-testid="stPlotlyChart"]')) if (!c.querySelector('.main-svg')) return false;
"""
# Idle: a run started after t0 has ended, and the page is at rest.
IDLE_AFTER = """(t0) => {
  const runs = window.__runs.filter(([t]) => t >= t0);
  const started = runs.findIndex(([, s]) => s === 'running');
  if (started < 0 || !runs.slice(started).some(([, s]) => s !== 'running')) return false;""" + AT_REST + """
  return performance.now();
}"""
# Drawn: the page shows the prediction of the last picture the pad sent. The pad numbers what it
# sends (data-seq) and each run says which picture it read (data-answered, ui/canvas.py). It also
# sends while the pen moves, so at mouse-up a run may be going, and the lift sends nothing when the
# last of those already held the finished picture.
DRAWN_AFTER = """(t0) => {
  const host = document.querySelector('.st-key-draw_canvas [data-testid="stBidiComponentIsolated"]');
  const pad = host && host.shadowRoot && host.shadowRoot.querySelector('.pad');
  if (!pad || pad.dataset.answered !== pad.dataset.seq) return false;""" + AT_REST + """
  return Math.max(performance.now(), t0);
}"""
LOADED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stStatusWidgetRunningIcon"]')) return false;
  const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
  for (const c of charts) if (!c.querySelector('.main-svg')) return false;
  return true;
}"""


def now(page: Page) -> float:
    return page.evaluate("performance.now()")


def idle_after(page: Page, t0: float, timeout_ms: float = STEP_TIMEOUT_MS) -> float:
    """Seconds from the page-clock time `t0` until the run it started is over and charts drawn."""
    t1 = page.wait_for_function(IDLE_AFTER, arg=t0, timeout=timeout_ms, polling="raf").json_value()
    return (t1 - t0) / 1000


def visit(page: Page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(LOADED, timeout=TIMEOUT_MS, polling="raf")
    seconds = time.perf_counter() - start
    page.evaluate(OBSERVE)
    return seconds


def stroke(page: Page, points: list[tuple[float, float]]) -> float:
    """Draw one stroke; seconds from mouse-up to the prediction's run being over."""
    page.locator("canvas.digit-pad").scroll_into_view_if_needed()
    draw_stroke(page, points, lift=False)
    t0 = now(page)
    page.mouse.up()
    t1 = page.wait_for_function(DRAWN_AFTER, arg=t0, timeout=STEP_TIMEOUT_MS, polling="raf").json_value()
    return (t1 - t0) / 1000


def strokes(n: int) -> list[list[tuple[float, float]]]:
    """n different strokes: bars, rings and diagonals across the 280 px canvas."""
    out = []
    for i in range(n):
        if i % 3 == 0:
            out.append([(100 + 8 * i, 40 + 10 * k) for k in range(21)])
        elif i % 3 == 1:
            out.append([(140 + 50 * math.sin(2 * math.pi * k / 30), 140 - 80 * math.cos(2 * math.pi * k / 30))
                        for k in range(31)])
        else:
            out.append([(60 + 8 * k, 220 - 7 * k) for k in range(21)])
    return out


def drag(page: Page, track, to: float) -> float:
    """Drag along a slider's track to the fraction `to` of its width; seconds from mouse-up to idle.

    The drag starts at the track's middle (a press on the track moves the thumb there), so any
    `to` away from the middle changes the value.
    """
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * to, y, steps=4)
    t0 = now(page)
    page.mouse.up()
    return idle_after(page, t0)


def click_and_time(page: Page, locator, position: dict | None = None) -> float:
    t0 = now(page)
    locator.click(position=position) if position else locator.click()
    return idle_after(page, t0)


def summary(name: str, seconds: list[float]) -> str:
    if not seconds:
        return f"{name:<44} (not measured)"
    return (f"{name:<44} median {statistics.median(seconds):6.3f} s   max {max(seconds):6.3f} s   "
            f"(n={len(seconds)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="timed repeats of each page visit and widget change")
    ap.add_argument("--strokes", type=int, default=10)
    ap.add_argument("--only", default="visits,draw,gd,inside,lab",
                    help="comma-separated parts to measure (default: all of visits,draw,gd,inside,lab)")
    ap.add_argument("--width", type=int, default=1280, help="viewport width in px (390: a phone)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    results: dict[str, list[float]] = {}
    with running_app() as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": args.width, "height": 900 if args.width > 600 else 844},
                                      has_touch=args.width <= 600)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        visit(page, base)   # the first run of the server (loads MNIST) and the router

        for file, title in routed_pages() if "visits" in only else []:
            url = f"{base}/{url_path(file)}"
            visit(page, url)   # warm: whatever this page computes once per process
            times = []
            for _ in range(args.repeats):
                page.goto("about:blank")
                times.append(visit(page, url))
            results[f"first visit: {title}"] = times
            print(summary(f"first visit: {title}", times), flush=True)

        if "draw" in only:
            draw(page, base, args, results)
        if "gd" in only:
            slider(page, base, args, results)
        if "inside" in only:
            inside_tabs(page, base, args, results)
        if "lab" in only:
            lab(page, base, args, results)
        browser.close()
    print("\nThe app and Chromium share this machine; compare figures from one run on a quiet machine.")


def draw(page: Page, base: str, args, results: dict) -> None:
    visit(page, f"{base}/draw")
    page.locator("canvas.digit-pad").wait_for()
    stroke(page, strokes(1)[0])   # warm
    results["Draw: mouse-up -> prediction"] = [stroke(page, s) for s in strokes(args.strokes)]
    print(summary("Draw: mouse-up -> prediction", results["Draw: mouse-up -> prediction"]), flush=True)


def slider(page: Page, base: str, args, results: dict) -> None:
    visit(page, f"{base}/gradient_descent")
    steps = page.get_by_test_id("stSlider").filter(has_text="Number of steps")
    track = steps.locator('[role="group"] > [data-orientation="horizontal"]')   # React Aria's track
    times = []
    for k in range(args.repeats + 1):
        times.append(drag(page, track, 0.25 if k % 2 == 0 else 0.75))
    times = times[1:]   # the first one warms
    results["Gradient descent: steps slider"] = times
    print(summary("Gradient descent: steps slider", times), flush=True)


def inside_tabs(page: Page, base: str, args, results: dict) -> None:
    visit(page, f"{base}/inside")
    tabs = page.get_by_role("tab")
    names = [tabs.nth(i).inner_text() for i in range(tabs.count())]
    for i in range(1, len(names)):   # warm: each tab's short runs, once per server
        t0 = now(page)
        tabs.nth(i).click()
        idle_after(page, t0, TIMEOUT_MS)
    times = []
    click_and_time(page, tabs.nth(0))
    for k in range(2 * args.repeats):   # back and forth between the first two tabs
        times.append(click_and_time(page, tabs.nth(1 - k % 2)))
    results["Inside: a tab"] = times
    print(summary("Inside: a tab", times), flush=True)


def lab(page: Page, base: str, args, results: dict) -> None:
    visit(page, f"{base}/lab")
    click_and_time(page, page.get_by_role("button", name="New run"))
    more = page.get_by_role("button", name="One more batch")
    more.wait_for()
    click_and_time(page, more)   # warm
    times = [click_and_time(page, more) for _ in range(args.repeats)]
    results["Lab: One more batch"] = times
    print(summary("Lab: One more batch", times), flush=True)


if __name__ == "__main__":
    main()

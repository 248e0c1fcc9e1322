"""What reruns when a Lab or Train widget changes: latencies in Chromium, this checkout against another.

Issue 18 asks that a widget change rerun only its part of the page (``st.fragment``) and answer in
under 0.5 s, and that the Train page stay usable while a run trains. This drives Chromium
(Playwright, headless, 1280x900) against two servers at once, ``--before DIR`` (another checkout,
e.g. ``git archive <commit> | tar -x -C DIR``) and this one, alternating every measurement
between them so that both see the same load, and prints the median and max of each:

- Lab: "One more batch", click to the new step shown and the script idle;
- Lab: a tab change (Neuron lab <-> Confidence), click to the tab's charts drawn and idle;
- Lab: the confidence threshold one step (arrow key), to the new "Not sure" count and idle;
- Lab: Pause pressed half a second into a Run (all 60,000 images), to "paused" shown and idle;
  beside it, the share of that run's time the browser's main thread spent in long tasks (over
  50 ms: redrawing the charts), when a click cannot be taken;
- Train, idle: the Epochs slider one step, to the link showing it and idle;
- Train, while a run trains: the learning-rate slider one step, to the link showing it (the
  page has read and applied the setting), the run still training.

Idle: the app's ``data-test-script-state`` has been "running" after the action and is back at
"notRunning", with every Plotly chart drawn (benchmarks/bench_browser.py's test). Figures on a
busy machine are comparable only within one run: the ratio, not the seconds.

    python benchmarks/bench_fragments.py --before /tmp/before [--repeats 6]
"""
from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from deploy.replicas import free_port, healthy, stop  # noqa: E402
from bench_browser import ARGS, CHROMIUM, idle_after, now, visit  # noqa: E402
from streamlit_page import choose  # noqa: E402
from playwright.sync_api import Page, sync_playwright  # noqa: E402

LONG_RUN = "train?preset=seed&epochs=300"   # 300 epochs of 60,000 images: minutes, it outlasts the changes
TIMEOUT_MS = 120_000


@contextlib.contextmanager
def serve(root: Path):
    """``streamlit run app.py`` from `root` on a free port of 127.0.0.1, stopped whatever happens."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not healthy(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit in {root} did not start")
            time.sleep(0.3)
        yield url
    finally:
        stop(proc)


def slider(page: Page, label: str):
    """The thumb of the slider labelled exactly `label`."""
    box = page.get_by_test_id("stMain").get_by_test_id("stSlider").filter(
        has=page.get_by_text(label, exact=True))
    return box.get_by_role("slider")


def lab_setup(page: Page, base: str, train_size: str | None = None) -> None:
    visit(page, f"{base}/lab?lab=Control+the+run")
    main = page.get_by_test_id("stMain")
    if train_size:
        choose(page, "Training images", train_size)
    t0 = now(page)
    main.get_by_role("button", name="New run", exact=True).click()
    main.get_by_role("button", name="One more batch", exact=True).wait_for()
    idle_after(page, t0)


def lab_step(page: Page) -> float:
    main = page.get_by_test_id("stMain")
    before = int(re.search(r"· step ([\d,]+) ·", main.inner_text()).group(1).replace(",", ""))
    t0 = now(page)
    main.get_by_role("button", name="One more batch", exact=True).click()
    page.wait_for_function(f"() => document.body.innerText.includes('· step {before + 1:,} ·')", timeout=TIMEOUT_MS)
    return idle_after(page, t0)


# Long tasks of the page's main thread (over 50 ms each, the browser's own measure), summed.
WATCH_LONG_TASKS = """() => { window.__busy = 0; if (window.__watching) return; window.__watching = true;
  new PerformanceObserver(l => l.getEntries().forEach(e => window.__busy += e.duration)).observe({type: 'longtask'}); }"""


def lab_pause(page: Page, busy: list[float]) -> float:
    """Run, then Pause half a second later: seconds from the click on Pause to "paused" and idle.
    Appends to `busy` the share of the Run's time the page's main thread spent in long tasks."""
    main = page.get_by_test_id("stMain")
    page.evaluate(WATCH_LONG_TASKS)
    started = now(page)
    main.get_by_role("button", name="Run", exact=True).click()
    page.wait_for_function("() => / · running$/m.test(document.body.innerText)", timeout=TIMEOUT_MS)
    page.wait_for_timeout(500)
    t0 = now(page)
    main.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_function("() => / · paused$/m.test(document.body.innerText)", timeout=TIMEOUT_MS)
    seconds = idle_after(page, t0)
    busy.append(page.evaluate("window.__busy") / (now(page) - started))
    return seconds


def lab_tab(page: Page, name: str) -> float:
    t0 = now(page)
    page.get_by_test_id("stMain").get_by_role("tab", name=name).click()
    return idle_after(page, t0)


def arrow(page: Page, label: str, key: str = "ArrowRight") -> float:
    t0 = now(page)
    slider(page, label).press(key)
    return idle_after(page, t0)


def train_setup(page: Page, base: str, path: str = "train") -> None:
    visit(page, f"{base}/{path}")


def train_lr_while_training(page: Page, k: int) -> float:
    """The learning-rate slider one step during a run: seconds to the link showing the new rate."""
    thumb = slider(page, "Learning rate η")
    t0 = now(page)
    thumb.press("ArrowRight" if k % 2 == 0 else "ArrowLeft")
    page.wait_for_function("(old) => { const m = location.href.match(/[?&]lr=([^&]*)/); "
                           "return m && m[1] !== old && performance.now(); }", arg=url_lr(page.url), timeout=TIMEOUT_MS)
    return (now(page) - t0) / 1000


def url_lr(url: str) -> str:
    found = re.search(r"[?&]lr=([^&]*)", url)
    return found.group(1) if found else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", type=Path, required=True, help="the other checkout (the 'before')")
    ap.add_argument("--repeats", type=int, default=6)
    args = ap.parse_args()
    results: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    with serve(args.before) as old, serve(ROOT) as new, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        pages = {}
        for label, base in (("before", old), ("after", new)):
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            visit(page, base)
            pages[label] = (page, base)

        def label_of(page: Page) -> str:
            return next(label for label, (p, _) in pages.items() if p is page)

        def each(name: str, measure, warm: int = 1) -> None:
            for k in range(warm + args.repeats):
                for label, (page, _) in pages.items():
                    seconds = measure(page, k)
                    if k >= warm:
                        results[label].setdefault(name, []).append(seconds)

        for page, base in pages.values():
            lab_setup(page, base)
        each("Lab: One more batch", lambda page, k: lab_step(page))
        for page, base in pages.values():   # a run long enough to be paused on any machine
            lab_setup(page, base, "60,000")
        busy: dict[str, list[float]] = {"before": [], "after": []}
        each("Lab: Pause during a Run", lambda page, k: lab_pause(page, busy[label_of(page)]))
        for page, base in pages.values():
            lab_tab(page, "Neuron lab")
        each("Lab: a tab (Neuron lab <-> Confidence)",
             lambda page, k: lab_tab(page, "Confidence" if k % 2 == 0 else "Neuron lab"))
        for page, base in pages.values():
            if page.get_by_test_id("stMain").get_by_role("tab", name="Confidence").get_attribute("aria-selected") != "true":
                lab_tab(page, "Confidence")
        each("Lab: threshold one step", lambda page, k: arrow(page, "Confidence threshold τ",
                                                               "ArrowRight" if k % 2 == 0 else "ArrowLeft"))
        for page, base in pages.values():
            train_setup(page, base)
        each("Train idle: Epochs one step", lambda page, k: arrow(page, "Epochs",
                                                                 "ArrowRight" if k % 2 == 0 else "ArrowLeft"))
        for page, base in pages.values():
            train_setup(page, base, LONG_RUN)
            page.get_by_test_id("stMain").get_by_role("button", name="Train", exact=True).click()
            page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True).wait_for()
            page.wait_for_function("() => document.querySelector('[data-testid=\"stProgress\"]')"
                                   " && /Epoch \\d+\\/300/.test(document.body.innerText)", timeout=TIMEOUT_MS)
        each("Train training: learning rate one step", train_lr_while_training)
        for label, (page, _) in pages.items():   # the run trained on all along: Stop is still there
            stop_button = page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True)
            print(f"{label}: the run still trains after the changes: {stop_button.count() == 1}", flush=True)
            if stop_button.count():
                stop_button.click()
        browser.close()
    for name in results["after"]:
        b, a = results["before"][name], results["after"][name]
        print(f"{name:<42} before median {statistics.median(b):6.3f} s max {max(b):6.3f}   "
              f"after median {statistics.median(a):6.3f} s max {max(a):6.3f}   "
              f"after/before {statistics.median(a) / statistics.median(b):5.2f}  (n={len(a)})", flush=True)
    print(f"{'Lab: browser busy during that Run':<42} before median {statistics.median(busy['before']):6.1%}"
          f"          after median {statistics.median(busy['after']):6.1%}", flush=True)
    print("\nInterleaved on one machine: compare the ratios; absolute figures need a quiet machine.")


if __name__ == "__main__":
    main()

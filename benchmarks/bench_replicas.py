"""How many visitors can train at the same time before the first chart point takes over 2 s,
with one replica of the app and with two behind HAProxy (deploy/haproxy.cfg)?

For each replica count, starts the replicas and the proxy (deploy/replicas.py, stopped whatever
happens), warms each replica up with one direct visit to the Train page (the data set is loaded
once per process), then runs rounds of k = 1, 2, 3, ... fresh visitors through the proxy, each in a
browser context of its own on the Train page with the same settings. In a round every visitor
presses Train, one right after the other, and the page itself notes (performance.now(), polled
every 20 ms) when the loss chart gets its first point; the round's figure is the slowest visitor's
wait; then each presses Stop. The rounds stop at the first one over the budget (or at --max-visitors). After the last
round, with its visitors still open, it prints the resident memory of each process.

    python benchmarks/bench_replicas.py [--replicas 1,2] [--max-visitors 6] [--budget 2.0]
        [--run "preset=default&epochs=1"]

Needs /usr/bin/chromium, playwright (requirements-test.txt) and haproxy (apt-get install haproxy).
The figures depend on the machine's cores and on whatever else it runs.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "browser")]

from playwright.sync_api import Browser, expect, sync_playwright  # noqa: E402

from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from deploy.replicas import Proxy, Replica, running_proxy, running_replicas  # noqa: E402
from streamlit_page import EXPECT_TIMEOUT_MS, RUN_TIMEOUT_MS, wait_for_app  # noqa: E402
from visitors import TRAIN_TIMEOUT_MS, close, mb, new_visitor, resident_memory, train_button  # noqa: E402

# Notes in the page when the loss chart (the first Plotly chart) first has a point after Train.
WATCH_FIRST_POINT = """() => {
    window.__pressed = performance.now();
    window.__firstPoint = null;
    const timer = setInterval(() => {
        const chart = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
        if (chart && chart.data && chart.data.some(t => t.y && t.y.length > 0)) {
            window.__firstPoint = performance.now() - window.__pressed;
            clearInterval(timer);
        }
    }, 20);
}"""


def stop_button(page):
    return page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True)


def warm_up(browser: Browser, replicas: list[Replica], run: str) -> None:
    for replica in replicas:
        page = new_visitor(browser)
        try:
            page.goto(f"{replica.url}/train?{run}")
            expect(train_button(page)).to_be_enabled(timeout=RUN_TIMEOUT_MS)   # the page has run
            wait_for_app(page)
        finally:
            close(page)


def one_round(browser: Browser, proxy: Proxy, run: str, k: int) -> tuple[list[float], Counter, list]:
    """k visitors press Train together: (seconds to each one's first point, visitors per replica, pages)."""
    pages, where = [], Counter()
    for _ in range(k):
        page = new_visitor(browser)
        pages.append(page)
        response = page.goto(f"{proxy.url}/train?{run}")
        where[response.headers.get("x-replica", "?")] += 1
        wait_for_app(page)
        expect(train_button(page)).to_be_enabled()
    for page in pages:                    # all at once: no waiting between the presses
        page.evaluate(WATCH_FIRST_POINT)
        train_button(page).click()
    firsts = []
    for page in pages:
        page.wait_for_function("() => window.__firstPoint !== null", timeout=RUN_TIMEOUT_MS * 2)
        firsts.append(page.evaluate("window.__firstPoint") / 1000)
    for page in pages:                    # the rest of the runs does not matter here
        stop_button(page).click()
    for page in pages:
        expect(stop_button(page)).to_have_count(0, timeout=TRAIN_TIMEOUT_MS)   # shown only while training
        wait_for_app(page)
    return firsts, where, pages


def memory(replicas: list[Replica], proxy: Proxy) -> str:
    parts = [f"app{i} {mb(resident_memory(psutil.Process(r.proc.pid)))}" for i, r in enumerate(replicas, 1)]
    parts.append(f"haproxy {mb(psutil.Process(proxy.pid).memory_info().rss)}")
    return ", ".join(parts)


def measure(browser: Browser, n_replicas: int, args) -> None:
    print(f"\n{n_replicas} replica(s), each visitor: train?{args.run}", flush=True)
    with running_replicas(n_replicas) as replicas, running_proxy([r.url for r in replicas]) as proxy:
        warm_up(browser, replicas, args.run)
        print(f"  idle: {memory(replicas, proxy)}")
        held, pages = 0, []
        try:
            for k in range(1, args.max_visitors + 1):
                for page in pages:
                    close(page)
                firsts, where, pages = one_round(browser, proxy, args.run, k)
                slowest = max(firsts)
                print(f"  {k} training at once: first point after {', '.join(f'{s:.2f}' for s in sorted(firsts))} s"
                      f" (slowest {slowest:.2f} s); visitors per replica {dict(sorted(where.items()))}", flush=True)
                if slowest > args.budget:
                    break
                held = k
            print(f"  memory with those {len(pages)} visitors still open: {memory(replicas, proxy)}")
        finally:
            for page in pages:
                close(page)
    more = " (or more: the last round was within it)" if held == args.max_visitors else ""
    print(f"  => {n_replicas} replica(s) hold {held} visitors training at once within {args.budget:g} s{more}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", default="1,2", help="replica counts to measure, comma-separated (default 1,2)")
    parser.add_argument("--max-visitors", type=int, default=6, help="largest round (default 6)")
    parser.add_argument("--budget", type=float, default=2.0, help="seconds to the first chart point (default 2)")
    parser.add_argument("--run", default="preset=default&epochs=1", help="the Train page's link settings")
    args = parser.parse_args()
    try:
        counts = [int(c) for c in args.replicas.split(",")]
    except ValueError:
        parser.error(f"--replicas must be whole numbers separated by commas, not {args.replicas!r}")
    if any(not 1 <= c <= 16 for c in counts):
        parser.error("each replica count must be between 1 and 16")
    if args.max_visitors < 1 or args.budget <= 0:
        parser.error("--max-visitors must be >= 1 and --budget > 0")

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    print(f"{psutil.cpu_count()} cores; budget {args.budget:g} s to the first chart point")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for n in counts:
                measure(browser, n, args)
        finally:
            browser.close()


if __name__ == "__main__":
    main()

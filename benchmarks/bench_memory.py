"""The server's resident memory as visitors arrive: idle, then after 1, 2, 4, ... sessions.

Starts its own ``streamlit run app.py`` on 127.0.0.1 (stopped whatever happens) and opens
visitors one after the other in headless Debian Chromium, each in a browser context of its own
(a Streamlit session of its own, kept open to the end). Each visitor does what a demo's visitor
does: trains a small network on the Train page (784-32-10, 1 epoch on 10,000 images, a seed of
its own), browses the Dataset page and draws a 1 on the Draw page. After each visitor the script
prints the resident memory of the server and what it started, and the cost of that visitor.

What to read from it: the first visitor pays for what every later one shares (the data set,
loaded once per process, Plotly, the ready model); each further visitor should cost a small
fraction of the data set's 55 MB (its own model, runs and charts only).

    python benchmarks/bench_memory.py [--visitors 4]

Needs what the browser tests need: /usr/bin/chromium and playwright (requirements-test.txt).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "browser")]

from playwright.sync_api import expect, sync_playwright  # noqa: E402

from appserver import running_app  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from streamlit_page import EXPECT_TIMEOUT_MS  # noqa: E402
from visitors import (check_dataset, close, draw_a_one, go_to, mb, new_visitor, resident_memory,  # noqa: E402
                      server_process, train)

RUN = "preset=seed&train_size=10000&epochs=1&hidden=32&seed={seed}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=4, help="how many sessions to open (default 4)")
    args = parser.parse_args()
    if args.visitors < 1:
        parser.error("--visitors must be >= 1")

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as p, running_app() as url:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        server = server_process(url)
        idle = before = resident_memory(server)
        print(f"{'sessions':>8}  {'resident':>9}  {'this visitor':>12}  {'above idle':>10}")
        print(f"{0:>8}  {mb(idle):>9}  {'':>12}  {'':>10}")
        pages = []
        try:
            for n in range(1, args.visitors + 1):
                page = new_visitor(browser)
                pages.append(page)
                accuracy = train(page, url, RUN.format(seed=n))
                go_to(page, "Dataset")
                check_dataset(page)
                go_to(page, "Draw")
                draw_a_one(page)
                now = resident_memory(server)
                print(f"{n:>8}  {mb(now):>9}  {mb(now - before):>12}  {mb(now - idle):>10}"
                      f"   (its run: {accuracy} test accuracy)", flush=True)
                before = now
        finally:
            for page in pages:
                close(page)
            browser.close()


if __name__ == "__main__":
    main()

"""Make docs/screenshot-dataset.png: the Dataset page as a visitor sees it, in headless Chromium.

    python docs/make_screenshot.py [--path "dataset?seed=3"] [--out docs/screenshot-dataset.png]

Starts `streamlit run app.py` on a free port of 127.0.0.1 (stopped afterwards), opens the page
with Playwright driving Debian's /usr/bin/chromium, waits for the run to finish and saves the
visible part of the page.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from playwright.sync_api import sync_playwright  # noqa: E402

from appserver import running_app  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from streamlit_page import open_page  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="dataset?dataset=mnist&split=train&class=all&seed=0&index=164",
                        help="page and query string to open")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot-dataset.png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=1460)
    parser.add_argument("--full-page", action="store_true", help="the whole page, not just the view")
    args = parser.parse_args()

    with running_app() as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            page.set_default_timeout(60_000)
            open_page(page, url)  # a server's first visit must be "/" (see app_url in tests/conftest.py)
            open_page(page, url, args.path)
            page.screenshot(path=str(args.out), full_page=args.full_page)
        finally:
            browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

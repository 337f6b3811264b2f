"""Time until the national map is usable after opening the page, measured in Debian's Chromium.

"Usable" = the map's legend and layer control are on screen and the polygons are drawn (Leaflet canvas), i.e.
a planner can pan, zoom, hover and toggle layers. The first page after a server start also loads the dataset
and builds the layers (cold); later pages, in fresh browser contexts, reuse the server's caches (warm).

    /work/main/.venv/bin/python bench/bench_app.py [--pages 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser_server import CHROMIUM, CHROMIUM_ARGS, app_server  # noqa: E402


def time_page(browser, url: str) -> float:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    t0 = time.perf_counter()
    page.goto(url)
    frame = page.frame_locator("iframe[srcdoc]").first
    frame.locator(".regioindeling-legend").wait_for(timeout=120_000)
    frame.locator(".leaflet-control-layers").wait_for(timeout=120_000)
    frame.locator("canvas").first.wait_for(timeout=120_000)
    dt = time.perf_counter() - t0
    ctx.close()
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, app_server(Path(tmp) / "store") as url:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            cold = time_page(browser, url)
            warm = [time_page(browser, url) for _ in range(args.pages)]
            browser.close()
    print(f"national map usable, first page after server start (cold caches): {cold:.2f} s")
    print(f"national map usable, next {len(warm)} pages (warm): median {statistics.median(warm):.2f} s, "
          f"max {max(warm):.2f} s")


if __name__ == "__main__":
    main()

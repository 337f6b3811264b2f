"""Time until the national map is usable after opening the page, measured in Debian's Chromium.

"Usable" = the map's legend and layer control are on screen and the polygons are drawn (Leaflet canvas), i.e.
a planner can pan, zoom, hover and toggle layers. The first page after a server start also loads the dataset
and builds the layers (cold); later pages, in fresh browser contexts, reuse the server's caches (warm).

Also (``--sessions N``) N planners at once: N browser contexts each run the default scenario for their own small
jeugdregio at the same time; prints the wall time until all show their KPIs and checks no session sees another's.

    /work/main/.venv/bin/python bench/bench_app.py [--pages 5] [--sessions 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser_server import CHROMIUM, CHROMIUM_ARGS, app_server, choose_jeugdregio, name_scenario, open_app  # noqa: E402

TEN_JZ = ["JZ43", "JZ42", "JZ10", "JZ15", "JZ11", "JZ23", "JZ16", "JZ12", "JZ22", "JZ41"]


def sessions(browser, url: str, n: int) -> None:
    pages = []
    for i in range(n):
        ctx = browser.new_context(viewport={"width": 1300, "height": 900})
        pages.append((ctx, ctx.new_page(), f"planner-{i}", TEN_JZ[i % len(TEN_JZ)]))
    t0 = time.perf_counter()
    for _, page, _, _ in pages:
        open_app(page, url, timeout_ms=300_000)
    t_open = time.perf_counter() - t0
    t1 = time.perf_counter()
    for _, page, name, jz in pages:
        page.get_by_role("tab", name="Scenario", exact=True).click()
        name_scenario(page, name)
        choose_jeugdregio(page, jz)
        page.get_by_role("button", name="Run scenario").click()
    t_started = time.perf_counter() - t1
    done, leaks = [], 0
    for ctx, page, name, _ in pages:
        page.get_by_text("New SWVs").first.wait_for(timeout=600_000)
        done.append(time.perf_counter() - t1)
        sidebar = page.locator("section[data-testid='stSidebar']").inner_text()
        leaks += f"scenario '{name}'" not in sidebar
        ctx.close()
    print(f"{n} sessions: all maps open after {t_open:.1f} s (opened one after another); all {n} runs started "
          f"within {t_started:.1f} s; all KPIs shown {max(done):.1f} s after the first click; "
          f"sessions showing another's result: {leaks}")


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
    ap.add_argument("--sessions", type=int, default=0)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, app_server(Path(tmp) / "store") as url:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            cold = time_page(browser, url)
            browser.close()
    # the usual case: the planner opens the page once `make app` has started (its cache warm-up done)
    with tempfile.TemporaryDirectory() as tmp, app_server(Path(tmp) / "store", wait_warm=True) as url:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            first = time_page(browser, url)
            warm = [time_page(browser, url) for _ in range(args.pages)]
            if args.sessions:
                sessions(browser, url, args.sessions)
            browser.close()
    print(f"national map usable, first page the moment the server answers (warm-up still running): {cold:.2f} s")
    print(f"national map usable, first page after the server's cache warm-up: {first:.2f} s")
    print(f"national map usable, next {len(warm)} pages (warm): median {statistics.median(warm):.2f} s, "
          f"max {max(warm):.2f} s")


if __name__ == "__main__":
    main()

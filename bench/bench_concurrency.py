"""Many planners at once: N browser sessions against one app server, each running its own scenario.

Every session (a Playwright page in its own browser context, so its own Streamlit session) picks a different
jeugdregio and a scenario name of its own, then all press "Run scenario" within a second. Measured: wall time
from the first click until the last session shows its result, the server's peak resident memory (VmHWM) and the
peak summed PSS of the server and its solver worker processes (bench/memory.py).
tests/test_concurrency.py runs the same flow and asserts that no session errs or sees another's result.

    /work/main/.venv/bin/python bench/bench_concurrency.py [--sessions 10]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.memory import TreeMemory  # noqa: E402
from tests.browser_server import (CHROMIUM, CHROMIUM_ARGS, app_server, choose_jeugdregio,  # noqa: E402
                                  chosen_jeugdregios, name_scenario)

# Small jeugdregio's at the default (hybrid) unit level: the figures measure the server, not the solver.
JEUGDREGIOS = ("JZ15", "JZ22", "JZ10", "JZ43", "JZ03", "JZ11", "JZ42", "JZ08", "JZ19", "JZ23", "JZ26", "JZ27")


def server_pid(url: str) -> int:
    """The app server process serving ``url`` (found by its --server.port argument)."""
    port = url.rsplit(":", 1)[1]
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                args = (p / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            joined = b" ".join(args)
            if (b"streamlit" in joined or b"regioindeling.app.serve" in joined) and port.encode() in args:
                return int(p.name)
    raise RuntimeError(f"no streamlit process on port {port}")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM not found")


def open_session(browser, url: str, jz: str):
    """A fresh session with the scenario form set to one jeugdregio and a name of its own."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.frame_locator("iframe[srcdoc]").first.locator(".regioindeling-legend").wait_for(timeout=180_000)
    page.get_by_role("tab", name="Scenario", exact=True).click()
    name_scenario(page, f"session-{jz}")
    choose_jeugdregio(page, jz)
    return {"jz": jz, "ctx": ctx, "page": page, "errors": errors}


def finish_session(s: dict, timeout_ms: int = 600_000) -> dict:
    """Wait for the session's result; read what it shows and download its GeoJSON."""
    page = s["page"]
    page.get_by_text(f"Result: scenario 'session-{s['jz']}'").first.wait_for(timeout=timeout_ms)
    s["done"] = time.perf_counter()
    s["exceptions"] = page.locator("[data-testid='stException']").count()
    s["alerts"] = [t for t in page.locator("[data-testid='stAlert']").all_inner_texts()
                   if "error" in t.lower() or "failed" in t.lower()]
    page.get_by_role("tab", name="Files", exact=True).click()
    with page.expect_download(timeout=120_000) as dl:
        page.get_by_role("button", name="Proposal as GeoJSON").click()
    doc = json.loads(Path(dl.value.path()).read_text("utf-8"))
    s["swv_ids"] = sorted(str(f["properties"]["swv_id"]) for f in doc["features"])
    s["scenario_name"] = (doc.get("regioindeling") or {}).get("name")
    s["ctx"].close()
    return s


def run_sessions(browser, url: str, n: int) -> dict:
    jzs = JEUGDREGIOS[:n]
    sessions = [open_session(browser, url, jz) for jz in jzs]
    for s in sessions:  # still only its own region chosen, after the other sessions' set-up
        s["chosen"] = chosen_jeugdregios(s["page"])
    t0 = time.perf_counter()
    # the solves run in worker processes under the server (forkserver children): VmHWM of the server misses them
    with TreeMemory(server_pid(url)) as tree:
        for s in sessions:  # all runs start within about a second of each other
            s["page"].get_by_role("button", name="Run scenario").click()
        for s in sessions:
            finish_session(s)
    wall = max(s["done"] for s in sessions) - t0
    return {"sessions": sessions, "wall_s": wall, "peak_rss_mb": peak_rss_mb(server_pid(url)),
            "tree_mb": tree.peak_mb, "tree_procs": tree.peak_procs}


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d, app_server(Path(d) / "store") as url:
        rss0 = peak_rss_mb(server_pid(url))
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            out = run_sessions(browser, url, args.sessions)
            browser.close()
    bad = [s["jz"] for s in out["sessions"] if s["exceptions"] or s["alerts"] or s["errors"]
           or not all(x.startswith(s["jz"] + "-") for x in s["swv_ids"])]
    print(f"machine: {os.cpu_count()} cores, {sys.platform}")
    print(f"{args.sessions} sessions, each one jeugdregio (default scenario, hybrid level), runs started together")
    print(f"wall time, first Run click to last result shown: {out['wall_s']:.1f} s")
    print(f"server peak RSS: {out['peak_rss_mb']:.0f} MB (after start-up: {rss0:.0f} MB); server and its solver "
          f"processes together, sampled every 0.2 s: {out['tree_mb']:.0f} MB ({out['tree_procs']} processes)")
    print(f"sessions with errors or someone else's result: {bad or 'none'}")
    for s in out["sessions"]:
        if s["jz"] in bad:
            print(f"  {s['jz']}: exceptions {s['exceptions']}, alerts {s['alerts']}, page errors {s['errors']}, "
                  f"SWVs {s['swv_ids'][:5]}, name {s['scenario_name']}")


if __name__ == "__main__":
    main()

"""Start ``streamlit run app.py`` on a free port for the browser test and the benchmark."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(store: Path, timeout_s: float = 60, wait_warm: bool = False):
    """Yield the base URL of a headless app server (``python -m regioindeling.app.serve``, as ``make app`` starts
    it); with ``wait_warm`` only once its cache warm-up has finished. The process is ended afterwards."""
    port = free_port()
    env = dict(os.environ, REGIOINDELING_STORE=str(store), PYTHONUNBUFFERED="1")
    log_path = store.parent / f"streamlit-{port}.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "regioindeling.app.serve", "--server.headless", "true",
                             "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        end = time.time() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.time() > end:
                    raise RuntimeError(f"app server did not start; see {log.name}")
                time.sleep(0.3)
        while wait_warm and b"regioindeling: cache" not in log_path.read_bytes():
            if proc.poll() is not None or time.time() > end + 120:
                raise RuntimeError(f"app server did not warm its caches; see {log.name}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def open_app(page, url: str, timeout_ms: int = 120_000) -> None:
    """Open the app and wait until the national map is drawn."""
    page.goto(url)
    page.frame_locator("iframe[srcdoc]").first.locator(".regioindeling-legend").wait_for(timeout=timeout_ms)


def run_scenario(page, jeugdregio: str, name: str | None = None, timeout_ms: int = 600_000) -> None:
    """On the Scenario tab: optionally name the scenario, restrict it to one jeugdregio, run it, wait for the KPIs."""
    page.get_by_role("tab", name="Scenario", exact=True).click()
    if name:
        field = page.get_by_label("name", exact=True)
        field.fill(name)
        field.press("Enter")
        page.wait_for_timeout(300)
    box = page.locator("div[data-testid='stMultiSelect']").filter(has_text="jeugdregios").first
    box.click()
    page.keyboard.type(jeugdregio)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    page.get_by_role("button", name="Run scenario").click()
    page.get_by_text("New SWVs").first.wait_for(timeout=timeout_ms)

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


def wait_idle(page, timeout_ms: int = 120_000) -> None:
    """Wait until the app's script run is over: a rerun that ends re-draws the form, closing an open list."""
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(timeout=timeout_ms)


def name_scenario(page, name: str) -> None:
    """On the Scenario tab: type the scenario's name and commit it."""
    wait_idle(page)
    field = page.get_by_label("name", exact=True)
    field.fill(name)
    field.press("Enter")


def chosen_jeugdregios(page) -> list[str]:
    """The jeugdregios shown as chosen in the scenario form's multiselect."""
    return _jeugdregio_box(page).locator("[data-tag]").evaluate_all(
        "tags => tags.map(t => t.getAttribute('aria-label'))")


def choose_jeugdregio(page, jz: str, timeout_ms: int = 120_000, tries: int = 3) -> None:
    """On the Scenario tab: make ``jz`` the only chosen jeugdregio, and check that it is.

    The option list opens with "Select all" on top; until the typed filter has narrowed it, a click can land on
    that bulk action when the list re-renders under the pointer (a whole-country run that looks like a one-region
    one, since the chosen region is among the tags). So: wait for the list to hold only ``jz``, click it, and
    verify the tags; on a miss, clear them and try again.
    """
    from playwright.sync_api import expect

    box = _jeugdregio_box(page)
    for _ in range(tries):
        wait_idle(page, timeout_ms)
        box.click()
        page.keyboard.type(jz)
        try:
            expect(page.get_by_role("option")).to_have_count(1, timeout=15_000)
        except AssertionError:  # the list closed under a late rerun, or did not filter: start again
            page.keyboard.press("Escape")
            box.locator("input").fill("")
            continue
        page.get_by_role("option", name=jz, exact=True).click()
        page.keyboard.press("Escape")
        try:
            expect(box.locator("[data-tag]").first).to_be_visible(timeout=15_000)
        except AssertionError:
            continue
        wait_idle(page, timeout_ms)  # the choice has reached the server and come back
        got = chosen_jeugdregios(page)
        if got == [jz]:
            return
        wait_idle(page, timeout_ms)
        box.click()
        for _ in got:
            page.keyboard.press("Backspace")
        page.keyboard.press("Escape")
        expect(box.locator("[data-tag]")).to_have_count(0, timeout=timeout_ms)
    raise AssertionError(f"could not choose only {jz} in the jeugdregios box (got {chosen_jeugdregios(page)})")


def _jeugdregio_box(page):
    return page.locator("div[data-testid='stMultiSelect']").filter(has_text="jeugdregios").first


def run_scenario(page, jeugdregio: str, name: str | None = None, timeout_ms: int = 600_000) -> None:
    """On the Scenario tab: optionally name the scenario, restrict it to one jeugdregio, run it, wait for the KPIs."""
    page.get_by_role("tab", name="Scenario", exact=True).click()
    if name:
        name_scenario(page, name)
    choose_jeugdregio(page, jeugdregio)
    page.get_by_role("button", name="Run scenario").click()
    page.get_by_text("New SWVs").first.wait_for(timeout=timeout_ms)

"""A real headless Chromium (Debian's, through Playwright) against a real app server.

Opens the page, sees the national map, runs the default scenario for one small jeugdregio, sees the KPIs and
the proposal map, downloads the GeoJSON and keeps screenshots in tests/artifacts/ (and, with REGIOINDELING_UPDATE_SCREENSHOT=1, docs/app-screenshot.png for the README).
"""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from tests.browser_server import (ROOT, app_server, choose_jeugdregio, name_scenario, open_app, run_scenario,
                                  wait_idle)

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "tests" / "artifacts"
SMALL_JZ = "JZ21"  # small (46 PC4 areas); the default scenario makes three SWVs there in under a second


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with app_server(tmp_path_factory.mktemp("store") / "store") as url:
        yield url


def _map_frame(page):
    return page.frame_locator("iframe[srcdoc]").first


def test_national_map_renders(server, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    frame = _map_frame(page)
    frame.locator(".regioindeling-legend").wait_for(timeout=60_000)
    frame.locator(".leaflet-control-layers").wait_for()
    assert frame.locator(".leaflet-control-layers-overlays label").count() >= 5  # po, vo, gemeenten, jeugdregios, sites
    assert frame.locator("canvas").count() >= 1  # polygons drawn (prefer_canvas)
    assert "Data version nl-" in page.content()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app-national-map.png"))
    assert not errors, errors
    page.close()


def test_run_default_scenario_for_one_jeugdregio_and_download(server, browser):
    pytest.importorskip("regioindeling.solve")
    page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    open_app(page, server)
    run_scenario(page, SMALL_JZ)
    assert page.get_by_text("Mean travel (km)").first.is_visible()
    page.get_by_role("tab", name="Map", exact=True).click()
    page.get_by_text("Proposal", exact=True).first.click()
    frame = _map_frame(page)
    frame.get_by_text("Hubs").first.wait_for(timeout=60_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "app-proposal.png"
    page.screenshot(path=str(shot))
    if os.environ.get("REGIOINDELING_UPDATE_SCREENSHOT"):  # the README's picture; tests never touch it otherwise
        shutil.copyfile(shot, ROOT / "docs" / "app-screenshot.png")
    page.get_by_role("tab", name="Files", exact=True).click()
    with page.expect_download(timeout=60_000) as dl:
        page.get_by_role("button", name="Proposal as GeoJSON").click()
    path = ARTIFACTS / "proposal.geojson"
    dl.value.save_as(str(path))
    data = json.loads(path.read_text("utf-8"))
    assert data["type"] == "FeatureCollection" and data["features"]
    assert "crs" not in data
    page.close()


def test_trade_off_runs_the_scenario_chosen_on_the_form(server, browser):
    """The Trade-off tab varies the planner's scenario: a jeugdregio chosen on the Scenario tab is kept (the tab
    used to read the form's defaults there and ran all 42 jeugdregio's for every value)."""
    pytest.importorskip("regioindeling.solve")
    from regioindeling.app.main import SWEEP_PARAMS

    n_values = len(SWEEP_PARAMS["travel.max_km"][1].split(","))
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    open_app(page, server)
    page.get_by_role("tab", name="Scenario", exact=True).click()
    choose_jeugdregio(page, SMALL_JZ)
    page.get_by_role("tab", name="Trade-off", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Run trade-off").click()
    progress = page.get_by_text(re.compile(r"of \d+ jeugdregio runs")).first
    progress.wait_for(timeout=60_000)
    assert f"of {n_values} jeugdregio runs" in progress.inner_text()
    page.close()


# Ten of the smallest jeugdregios: every session runs its own, under its own scenario name.
TEN_JZ = ["JZ43", "JZ42", "JZ10", "JZ15", "JZ11", "JZ23", "JZ16", "JZ12", "JZ22", "JZ41"]


def test_ten_sessions_at_once(server, browser):
    """Ten planners on one server, each running a scenario at the same time: no errors, no shared state."""
    pytest.importorskip("regioindeling.solve")
    pages = []
    for i, jz in enumerate(TEN_JZ):
        ctx = browser.new_context(viewport={"width": 1300, "height": 900})
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        pages.append((ctx, page, errors, f"planner-{i}", jz))
    for _, page, _, _, _ in pages:
        open_app(page, server, timeout_ms=240_000)
    for _, page, _, name, jz in pages:  # start all runs before waiting for any
        page.get_by_role("tab", name="Scenario", exact=True).click()
        name_scenario(page, name)
        choose_jeugdregio(page, jz)
        page.get_by_role("button", name="Run scenario").click()
    for ctx, page, errors, name, jz in pages:
        page.get_by_text("New SWVs").first.wait_for(timeout=600_000)
        sidebar = page.locator("section[data-testid='stSidebar']").inner_text()
        assert f"scenario '{name}'" in sidebar, sidebar
        others = [n for _, _, _, n, _ in pages if n != name]
        assert not any(f"'{n}'" in page.content() for n in others)
        assert page.locator("div[data-testid='stAlert']").filter(has_text="fix:").count() == 0
        assert not errors, errors
        ctx.close()

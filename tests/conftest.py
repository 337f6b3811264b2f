"""Shared fixtures: the embedded dataset (loaded once per worker) and the raw official data."""

from __future__ import annotations

import pytest

from regioindeling.paths import raw_data_dir


@pytest.fixture(scope="session")
def ds():
    from regioindeling.data import load

    return load()


@pytest.fixture(scope="session")
def raw_dir():
    path = raw_data_dir()
    if not (path / "README.md").is_file():
        pytest.fail(f"raw official data not found at {path}; set REGIOINDELING_RAW or place it at ../shared/data")
    return path


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium through Playwright, one per test module (the browser tests share it)."""
    from pathlib import Path

    from tests.browser_server import CHROMIUM, CHROMIUM_ARGS

    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed (make browser)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()

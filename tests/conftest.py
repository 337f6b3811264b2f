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

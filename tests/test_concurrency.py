"""Many planners at once: 10 browser sessions against one app server, each running its own scenario.

Each session picks a different jeugdregio and a name of its own; all press "Run scenario" together. No session may
show an exception, an error or another session's result: its downloaded proposal holds only its own jeugdregio's
SWVs and carries its own scenario name. Figures (wall time, server peak memory): bench/bench_concurrency.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.browser_server import app_server

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

pytestmark = pytest.mark.browser
SESSIONS = 10


def test_ten_sessions_each_see_their_own_result(browser, tmp_path):
    pytest.importorskip("regioindeling.solve")
    from bench_concurrency import run_sessions

    with app_server(tmp_path / "store") as url:
        out = run_sessions(browser, url, SESSIONS)
    assert len(out["sessions"]) == SESSIONS
    for s in out["sessions"]:
        assert s["chosen"] == [s["jz"]], s["chosen"]
        assert s["errors"] == [] and s["exceptions"] == 0 and s["alerts"] == [], s["jz"]
        assert s["swv_ids"] and all(x.startswith(s["jz"] + "-") for x in s["swv_ids"]), (s["jz"], s["swv_ids"])
        assert s["scenario_name"] == f"session-{s['jz']}"

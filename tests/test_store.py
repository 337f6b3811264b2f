"""The scenario store: names, round trips, duplicates, deletes, and a save killed halfway."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from regioindeling.errors import InputError
from regioindeling.scenario import Scenario, scenario_from_dict
from regioindeling.store import ScenarioStore, default_root, sanitise_name

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def store(tmp_path) -> ScenarioStore:
    return ScenarioStore(tmp_path / "store")


def test_sanitise_name_keeps_plain_names_and_blocks_traversal():
    assert sanitise_name("noord-35km") == "noord-35km"
    assert sanitise_name("Noord scenario 2") == "Noord-scenario-2"
    assert sanitise_name("Fryslân") == "Fryslan"
    assert sanitise_name("../../etc/passwd") == "etc-passwd"
    assert sanitise_name("..\\..\\x") == "x"
    assert "/" not in sanitise_name("a/b") and not sanitise_name(".hidden").startswith(".")
    assert len(sanitise_name("x" * 500)) == 64
    for bad in ("", "   ", "..", "/", "../", "\x00"):
        with pytest.raises(InputError) as exc:
            sanitise_name(bad)
        assert "fix:" in exc.value.line()


def test_default_root_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("REGIOINDELING_STORE", str(tmp_path / "s"))
    assert default_root() == tmp_path / "s"
    assert ScenarioStore().root == tmp_path / "s"


def test_save_open_round_trip(store):
    sc = scenario_from_dict({"name": "noord", "description": "35 km", "jeugdregios": ["JZ01"],
                             "travel": {"max_km": 35.0}, "size": {"max_pupils": 50000}})
    geo = json.dumps({"type": "FeatureCollection", "features": []}).encode()
    assert store.save("noord", sc, geo) == "noord"
    got = store.open("noord")
    assert got.scenario == sc and got.proposal_geojson == geo
    [entry] = store.list()
    assert entry.name == "noord" and entry.description == "35 km" and entry.has_proposal
    # saving again without a proposal replaces the whole version (no stale proposal left behind)
    store.save("noord", sc.model_copy(update={"description": "v2"}))
    got = store.open("noord")
    assert got.proposal_geojson is None and got.scenario.description == "v2"


def test_traversal_names_stay_inside_the_store(store, tmp_path):
    store.save("../../evil", Scenario())
    assert store.names() == ["evil"]
    assert not (tmp_path / "evil").exists()
    assert all(p.resolve().parent == store.root.resolve() for p in store.root.iterdir())


def test_duplicate_and_delete(store):
    store.save("a", Scenario(name="a"), b"{}")
    assert store.duplicate("a", "b copy") == "b-copy"
    assert store.names() == ["a", "b-copy"]
    assert store.open("b-copy").scenario.name == "b-copy"
    assert store.open("b-copy").proposal_geojson == b"{}"
    with pytest.raises(InputError, match="already exists"):
        store.duplicate("a", "b copy")
    store.delete("a")
    assert store.names() == ["b-copy"]
    with pytest.raises(InputError, match="no scenario named 'a'"):
        store.open("a")
    with pytest.raises(InputError, match="no scenario named"):
        store.delete("a")


def test_unreadable_toml_is_an_input_error(store):
    store.save("x", Scenario())
    (store.root / "x" / "scenario.toml").write_text("max_km = [", "utf-8")
    with pytest.raises(InputError, match="invalid TOML"):
        store.open("x")
    (store.root / "x" / "scenario.toml").write_text("bogus = 1\n", "utf-8")
    with pytest.raises(InputError, match="bogus"):
        store.open("x")


def test_interrupted_swap_is_recovered(store):
    store.save("x", Scenario(description="old"))
    # a crash between the two renames of a swap leaves only the previous version, under .x.old
    os.replace(store.root / "x", store.root / ".x.old")
    assert store.open("x").scenario.description == "old"
    assert store.names() == ["x"]


_WRITER = textwrap.dedent("""
    import sys
    from regioindeling.scenario import Scenario
    from regioindeling.store import ScenarioStore
    store = ScenarioStore(sys.argv[1])
    i = 0
    print("ready", flush=True)
    while True:
        i += 1
        tag = f"v{i}"
        store.save("plan", Scenario(description=tag), (tag.encode() + b" ") * 3_000_000)
""")


def test_sigkill_during_save_keeps_a_whole_version(store):
    store.save("plan", Scenario(description="v0"), b"v0 " * 3_000_000)
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(store.root)], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(1.5)  # several saves of ~9 MB each are under way by now
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    got = store.open("plan")
    tag = got.scenario.description
    assert tag.startswith("v")
    # the scenario and its proposal come from the same save, and the proposal is complete
    assert got.proposal_geojson == (tag.encode() + b" ") * 3_000_000
    assert store.names() == ["plan"]

"""The planner's app driven through Streamlit's AppTest: every flow of the issue, on the embedded dataset.

Flows that need the evaluator or the solver import them; they run as soon as those modules are present.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from regioindeling.app import form as F
from regioindeling.app.main import run_scope
from regioindeling.scenario import Scenario, Travel
from regioindeling.store import ScenarioStore

APP = str(Path(__file__).resolve().parent.parent / "app.py")
SMALL_JZ = "JZ43"  # one of the smallest jeugdregios (28 PC4 areas)


@pytest.fixture
def store_dir(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "store"
    monkeypatch.setenv("REGIOINDELING_STORE", str(root))
    return root


@pytest.fixture
def at(store_dir) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _open(at: AppTest, label: str) -> AppTest:
    """Switch tabs (only the open tab is built)."""
    at.session_state["main_tab"] = label
    return at.run()


def _tab(at: AppTest, label: str):
    return next(t for t in at.tabs if t.label == label)


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def _wait_for_job(at: AppTest, key: str = "job", limit_s: float = 600) -> None:
    """AppTest does not run timed fragments: wait for the background job's thread (it runs in this process), then
    rerun until the page has collected it (reruns while the job runs would only compete with it for the GIL)."""
    end = time.time() + limit_s
    job = at.session_state[key] if key in at.session_state else None
    if job is not None and job.thread is not None:
        job.thread.join(timeout=max(0.0, end - time.time()))
    while key in at.session_state and time.time() < end:
        at.run()
        if key in at.session_state:
            time.sleep(0.2)
    assert key not in at.session_state, "the run did not finish in time"


def test_opens_with_national_map_tabs_and_footer(at):
    assert [t.label for t in at.tabs] == ["Map", "Today", "Scenario", "Scenarios", "Compare", "Trade-off", "Edit",
                                          "Gemeente", "Files"]
    [frame] = at.get("iframe")
    html = frame.proto.srcdoc
    assert "/app/static/leaflet/leaflet.js" in html and "cdn.jsdelivr" not in html
    for layer in ("s po SWVs", "s vo SWVs", "Jeugdregio borders", "Gemeente borders",
                  "sbo / so / vso / pro sites", "Legend"):
        assert layer in html
    assert "PO2001" in html and "JZ01" in html  # real codes in the tooltips' data
    footer = next(c.value for c in at.caption if c.value.startswith("Data version"))
    assert footer.startswith("Data version nl-") and "swv_pc4: 2015-04-23" in footer and "y old" in footer
    assert not _errors(at)


def test_focus_on_one_jeugdregio_adds_its_pc4_layer(at):
    at.sidebar.selectbox(key="focus").set_value(SMALL_JZ).run()
    html = at.get("iframe")[0].proto.srcdoc
    assert f"PC4 in {SMALL_JZ}" in html and "bao school sites (clustered)" in html
    assert not at.exception


def test_today_tab_shows_diagnose_and_crossing_map(at):
    _open(at, "Today")
    today = _tab(at, "Today")
    assert any("cross a jeugdregio border" in m.value for m in today.markdown)
    assert len(today.dataframe) == 3
    swvs = today.dataframe[0].value
    assert swvs.crosses_jeugdregio_border.iloc[0] and len(swvs) == 150
    at.toggle(key="today_map").set_value(True).run()
    htmls = [f.proto.srcdoc for f in at.get("iframe")]
    assert any("crossing a jeugdregio border" in h for h in htmls)


def test_form_has_every_scenario_field_with_default_and_help(at):
    specs = F.field_specs()
    assert len(specs) >= 25
    _open(at, "Scenario")
    for spec in specs:
        assert spec.key in at.session_state, spec.key
    assert at.session_state["sc.travel.max_km"] == Scenario().travel.max_km
    assert at.number_input(key="sc.travel.max_km").help == Travel.model_fields["max_km"].description
    assert at.selectbox(key="sc.units.level").options == ["gemeente", "pc4", "hybrid"]
    assert len(at.multiselect(key="sc.jeugdregios").options) == 42


def test_bad_form_value_shows_one_error_line(at):
    _open(at, "Scenario")
    at.text_input(key="sc.locks.pin").set_value("{not json")
    at.button(key="run_btn").click().run()
    errors = _errors(at)
    assert len(errors) == 1 and "locks.pin" in errors[0] and "fix:" in errors[0]
    assert not at.exception and "job" not in at.session_state
    at.text_input(key="sc.locks.pin").set_value("{}")
    at.number_input(key="sc.size.min_pupils").set_value(90000)
    at.button(key="run_btn").click().run()
    errors = _errors(at)
    assert len(errors) == 1 and "min_pupils" in errors[0] and "max_pupils" in errors[0]


def test_bad_uploads_show_one_error_each(at):
    _open(at, "Files")
    cases = [("empty.geojson", b"", "empty"),
             ("bin.geojson", b"\x00\x01\x02binary", "binary"), ("big.csv", b"a" * (50 * 2**20 + 1), "limit")]
    for name, data, expect in cases:
        at.file_uploader(key="up_proposal").upload(name, data).run()
        errors = _errors(at)
        assert len(errors) == 1 and expect in errors[0] and name in errors[0], (name, errors)
        assert not at.exception
    at.file_uploader(key="up_scenario").upload("s.toml", b"[travel]\nmax_km = -3\n").run()
    assert any("travel.max_km" in e for e in _errors(at))


def test_scenario_upload_fills_the_form(at):
    _open(at, "Files")
    at.file_uploader(key="up_scenario").upload("noord.toml", b'name = "noord"\n[travel]\nmax_km = 27.5\n').run()
    assert not _errors(at)
    assert at.session_state["sc.travel.max_km"] == 27.5 and at.session_state["sc.name"] == "noord"


def test_store_open_duplicate_delete(at, store_dir):
    store = ScenarioStore(store_dir)
    store.save("plan-a", Scenario(name="plan-a", description="a", travel={"max_km": 30.0}))
    _open(at, "Scenarios")
    store_tab = _tab(at, "Scenarios")
    assert list(store_tab.dataframe[0].value.name) == ["plan-a"]
    at.selectbox(key="store_pick").set_value("plan-a")
    at.button(key="store_open").click().run()
    assert at.session_state["sc.travel.max_km"] == 30.0 and not _errors(at)
    at.text_input(key="store_dup_name").set_value("../plan b").run()
    at.button(key="store_dup").click().run()
    assert store.names() == ["plan-a", "plan-b"]
    at.button(key="store_dup").click().run()
    assert len(_errors(at)) == 1 and "already exists" in _errors(at)[0]
    at.selectbox(key="store_pick").set_value("plan-a")
    at.button(key="store_del").click().run()
    assert store.names() == ["plan-b"]


def test_sessions_do_not_share_state(store_dir):
    a = AppTest.from_file(APP, default_timeout=120).run()
    b = AppTest.from_file(APP, default_timeout=120).run()
    _open(a, "Scenario")
    a.number_input(key="sc.travel.max_km").set_value(21.0).run()
    a.sidebar.selectbox(key="focus").set_value(SMALL_JZ).run()
    b.run()
    assert b.session_state["sc.travel.max_km"] == Scenario().travel.max_km
    assert b.sidebar.selectbox(key="focus").value != SMALL_JZ


# ---------------------------------------------------------------- flows needing the evaluator and the solver


def _run_default(at: AppTest, jz: str = SMALL_JZ) -> None:
    pytest.importorskip("regioindeling.solve")
    _open(at, "Scenario")
    at.multiselect(key="sc.jeugdregios").set_value([jz])
    at.button(key="run_btn").click().run()
    assert not _errors(at), _errors(at)
    _wait_for_job(at)
    assert "result" in at.session_state, _errors(at)


def test_run_default_scenario_for_one_jeugdregio_shows_kpis_and_map(at):
    _run_default(at)
    labels = [m.label for m in at.metric]
    assert "New SWVs" in labels and "Mean travel (km)" in labels
    n = next(m for m in at.metric if m.label == "New SWVs").value
    assert int(n) >= 1
    assert any("done in" in s.value for s in at.success)
    _open(at, "Map")
    at.radio(key="map_view").set_value("Proposal").run()
    html = at.get("iframe")[0].proto.srcdoc
    assert "Proposal" in html and "Hubs" in html


def test_save_then_compare_and_gemeente_view(at, store_dir):
    _run_default(at)
    at.text_input(key="save_name").set_value("run one").run()
    at.button(key="save_btn").click().run()
    assert not _errors(at) and ScenarioStore(store_dir).names() == ["run-one"]
    stored = ScenarioStore(store_dir).open("run-one")
    assert json.loads(stored.proposal_geojson)["type"] == "FeatureCollection"
    _open(at, "Compare")
    at.selectbox(key="cmp_a").set_value("(current result)")
    at.selectbox(key="cmp_b").set_value("run-one").run()
    table = _tab(at, "Compare").dataframe[0].value
    assert (table["B - A"].dropna() == 0).all()  # the same proposal: no deltas
    gm = next(r["gemeente"] for r in at.session_state["result"]["evaluation"].per_gemeente)
    _open(at, "Gemeente")
    at.selectbox(key="gm_pick").set_value(gm).run()
    assert any(m.label == "Proposed SWVs" for m in at.metric)


def test_edit_move_lock_and_reoptimise_with_locks(at, monkeypatch):
    import regioindeling.solve as solve_mod

    starts = []
    real = solve_mod.solve

    def solve(*a, start=None, **k):
        starts.append(start)
        return real(*a, start=start, **k)

    monkeypatch.setattr(solve_mod, "solve", solve)
    _open(at, "Scenario")
    at.number_input(key="sc.objective.disruption").set_value(0.75)
    _run_default(at, "JZ10")  # the default scenario makes two SWVs here
    proposal = at.session_state["result"]["proposal"]
    assert len(proposal.swv_ids()) >= 2
    _open(at, "Edit")
    unit = sorted(proposal.assignment)[0]
    other = next(s for s in proposal.swv_ids() if s != proposal.assignment[unit])
    at.selectbox(key="edit_unit").set_value(unit)
    at.selectbox(key="edit_target").set_value(other)
    at.button(key="edit_move").click().run()
    edited = at.session_state["result"]
    assert edited["proposal"].assignment[unit] == other  # re-evaluated at once
    assert edited["evaluation"].kpis["n_assigned"] == len(proposal.assignment)
    assert at.session_state["edit_moves"] == {unit: other}
    at.button(key="edit_lock").click().run()
    assert json.loads(at.session_state["sc.locks.pin"])[unit] == other
    at.button(key="edit_reopt").click().run()
    _wait_for_job(at)
    res = at.session_state["result"]
    assert res["source"] == "re-optimised with locks", _errors(at)
    assert res["scenario"].locks.pin == {unit: other} and res["scenario"].jeugdregios == ["JZ10"]
    assert res["scenario"].objective.disruption == 0.75  # the form's value, read while the Edit tab is open
    assert unit in res["proposal"].assignment
    # the run started from the indeling on screen, the hand move included
    assert starts[0] is None and starts[-1] is not None and starts[-1].assignment[unit] == other


def test_downloads_and_upload_round_trip(at):
    _run_default(at)
    _open(at, "Files")
    files_tab = _tab(at, "Files")
    buttons = {b.proto.label: b for b in files_tab.get("download_button")}
    assert "Proposal as GeoJSON" in buttons and "Proposal as CSV" in buttons
    n_swvs = len(at.session_state["result"]["proposal"].swv_ids())
    from regioindeling.app.files import proposal_csv_bytes

    csv = proposal_csv_bytes(at.session_state["result"]["proposal"])
    del at.session_state["result"]
    at.file_uploader(key="up_proposal").upload("mine.csv", csv).run()
    assert not _errors(at), _errors(at)
    assert len(at.session_state["result"]["proposal"].swv_ids()) == n_swvs


def _sweep(at, param: str, values: str) -> list[dict]:
    """Run a trade-off sweep over ``param`` from the Trade-off tab; the finished points."""
    _open(at, "Trade-off")
    at.selectbox(key="sweep_param").set_value(param).run()
    at.text_input(key=f"sweep_values_{param}").set_value(values).run()
    at.button(key="sweep_run").click().run()
    _wait_for_job(at, "sweep")
    return at.session_state["sweep_done"]


def test_trade_off_sweep_and_open_a_point(at):
    pytest.importorskip("regioindeling.solve")
    _open(at, "Scenario")
    at.multiselect(key="sc.jeugdregios").set_value([SMALL_JZ]).run()
    points = _sweep(at, "travel.max_km", "30, 45")
    assert [p["value"] for p in points] == [30.0, 45.0]
    at.selectbox(key="sweep_pick").set_value(45.0)
    at.button(key="sweep_open").click().run()
    assert at.session_state["sc.travel.max_km"] == 45.0
    assert at.session_state["result"]["source"] == "trade-off travel.max_km = 45.0"


# ---------------------------------------------------------------- the helpers behind the pages


def test_check_upload_limits_type_size_and_binary():
    from regioindeling.app.files import MAX_UPLOAD_BYTES, PROPOSAL_TYPES, check_upload
    from regioindeling.errors import InputError

    assert check_upload("p.GeoJSON", b"{}", PROPOSAL_TYPES) == "geojson"
    for name, data, expect in [("x.exe", b"MZ", "not accepted"), ("x.pkl", b"\x80\x04", "not accepted"),
                               ("x.csv", b"  \n", "empty"), ("x.csv", b"a,b\x00", "binary"),
                               ("x.csv", b"a" * (MAX_UPLOAD_BYTES + 1), "50 MB limit")]:
        with pytest.raises(InputError, match=expect) as exc:
            check_upload(name, data, PROPOSAL_TYPES)
        assert exc.value.line().startswith(name) and "fix:" in exc.value.line()


def test_national_layers_are_light_and_complete():
    from regioindeling.app import layers as L
    from regioindeling.data import load

    ds = load()
    po = L.current_swv_layer(ds, "po")
    assert len(po.geojson["features"]) == 76
    assert len(json.dumps(po.geojson)) < 600_000  # slivers and pinholes dropped, coordinates rounded
    jz = L.jeugdregio_layer(ds)
    assert len(jz.geojson["features"]) == 42
    coords = json.dumps(jz.geojson["features"][0]["geometry"]["coordinates"])
    assert max(len(c.split(".")[-1]) for c in coords.replace("[", "").replace("]", "").split(",")) <= 4
    # neighbouring SWVs never share a colour
    colours = {f["properties"]["code"]: f["properties"]["colour"] for f in po.geojson["features"]}
    assert len(set(colours.values())) > 3


def test_proposal_layer_differing_pc4_and_escaping():
    from regioindeling.app import layers as L
    from regioindeling.data import load

    ds = load()
    by_jz = dict(zip(ds.gemeenten.gemeente, ds.gemeenten.jeugdregio))
    layer = L.proposal_layer(ds, by_jz)
    assert len(layer.geojson["features"]) == 42
    assert L.differing_pc4(ds, by_jz, by_jz) == []
    # the smallest gemeente of JZ13 leaves for an SWV of its own; the rest of JZ13 is the same SWV
    gm = ds.gemeenten[ds.gemeenten.jeugdregio == "JZ13"].sort_values("pupils_po").gemeente.iloc[0]
    moved = dict(by_jz, **{gm: "JZ99"})
    diff = L.differing_pc4(ds, by_jz, moved)
    assert diff and set(ds.pc4[ds.pc4.gemeente == gm].pc4) == set(diff)
    evil = {g: "<script>alert(1)</script>" for g in list(by_jz)[:3]}
    text = json.dumps(L.proposal_layer(ds, evil).geojson)
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_jobs_run_in_the_background_and_report_one_line():
    from regioindeling.app import jobs
    from regioindeling.errors import InputError

    job = jobs.start("solve", "t", 2, lambda j: (j.add_report({"jeugdregio": "JZ01"}), j.add_report({}), 42)[-1])
    job.thread.join(10)
    assert job.done and job.result == 42 and job.fraction == 1.0 and job.error is None
    bad = jobs.start("solve", "t", 1, lambda j: (_ for _ in ()).throw(InputError("f.toml", "bad", "fix it", "x")))
    bad.thread.join(10)
    assert bad.done and bad.error == "f.toml, field 'x': bad; fix: fix it"
    boom = jobs.start("solve", "t", 1, lambda j: 1 / 0)
    boom.thread.join(10)
    assert boom.error.startswith("this step failed (ZeroDivisionError") and "\n" not in boom.error


def test_uploaded_proposal_review_flows_without_the_solver(at, store_dir):
    """Upload (CSV) -> evaluate -> map, downloads, gemeente view + report, edit, save, compare."""
    from regioindeling.baselines import naive_merge
    from regioindeling.data import load
    from regioindeling.export import csv_text

    ds = load()
    merged = naive_merge(ds)  # one SWV per jeugdregio, whole gemeenten
    _open(at, "Files")
    at.file_uploader(key="up_proposal").upload("naive.csv", csv_text(merged).encode()).run()
    assert not _errors(at), _errors(at)
    res = at.session_state["result"]
    assert res["proposal"].assignment == merged.assignment and res["evaluation"].kpis["n_swvs"] == 42
    labels = [b.proto.label for b in _tab(at, "Files").get("download_button")]
    assert labels == ["Proposal as GeoJSON", "Proposal as CSV"]

    _open(at, "Map")
    at.radio(key="map_view").set_value("Proposal").run()
    html = at.get("iframe")[0].proto.srcdoc
    assert "Hubs" in html and "JZ29" in html

    _open(at, "Gemeente")
    at.selectbox(key="gm_pick").set_value("GM0599").run()  # Rotterdam: 7 SWV partners today
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Proposed SWVs"] == "1" and int(metrics["Today: po SWVs"]) >= 1
    assert [b.proto.label for b in _tab(at, "Gemeente").get("download_button")] == [
        "Download the municipality report (HTML)"]

    _open(at, "Edit")
    at.selectbox(key="edit_unit").set_value("GM0599")
    at.selectbox(key="edit_target").set_value("JZ01")
    at.button(key="edit_move").click().run()
    edited = at.session_state["result"]
    assert edited["proposal"].assignment["GM0599"] == "JZ01"
    assert any(v.constraint == "jeugdregio" and v.swv == "JZ01" for v in edited["evaluation"].violations)
    assert any("violations" in w.value for w in at.warning)

    _open(at, "Scenario")
    at.text_input(key="save_name").set_value("edited").run()
    at.button(key="save_btn").click().run()
    assert not _errors(at) and ScenarioStore(store_dir).names() == ["edited"]
    _open(at, "Files")
    at.file_uploader(key="up_proposal").upload("naive2.csv", csv_text(merged).encode()).run()
    _open(at, "Compare")
    at.selectbox(key="cmp_a").set_value("(current result)")
    at.selectbox(key="cmp_b").set_value("edited").run()
    assert not _errors(at), _errors(at)
    table = _tab(at, "Compare").dataframe[0].value.set_index("kpi")
    assert table.loc["n_violations", "B - A"] > 0
    caption = next(c.value for c in _tab(at, "Compare").caption if "PC4 areas" in c.value)
    n_rotterdam = int((ds.pc4.gemeente == "GM0599").sum())
    assert caption.startswith(f"{n_rotterdam} PC4 areas")


# ---------------------------------------------------------------- the bad-input corpus through the app's uploads

import re  # noqa: E402
import tomllib  # noqa: E402

BAD = Path(__file__).resolve().parent / "bad_inputs"
MANIFEST = tomllib.loads((BAD / "MANIFEST.toml").read_text("utf-8"))
# Refused when the scenario is run (they name units, jeugdregios or limits the data contradicts), not when read.
SOLVE_TIME = {"scenario_pin_unknown_unit.toml", "scenario_infeasible_size.toml"}
# the form offers only the dataset's jeugdregios; contradicting locks are refused by the scenario schema itself
CHECKED_ON_LOAD = {"scenario_unknown_jeugdregio.toml", "scenario_contradicting_locks.toml"}


@pytest.fixture(scope="module")
def ds():
    from regioindeling.data import load

    return load()


def _one_line(exc, name: str, expect: str) -> None:
    line = exc.line()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(name) and "fix:" in line, line
    assert re.search(expect, line, re.IGNORECASE), (expect, line)


@pytest.mark.parametrize("name", sorted(MANIFEST["proposals"]))
def test_bad_proposal_upload_is_refused_in_one_line(name, ds):
    from regioindeling.app.files import read_proposal_upload
    from regioindeling.errors import InputError

    with pytest.raises(InputError) as exc:
        read_proposal_upload(name, (BAD / name).read_bytes(), ds)
    _one_line(exc.value, name, MANIFEST["proposals"][name])


@pytest.mark.parametrize("name", sorted(set(MANIFEST["scenarios"]) - SOLVE_TIME - CHECKED_ON_LOAD))
def test_bad_scenario_upload_is_refused_in_one_line(name):
    from regioindeling.app.files import read_scenario_upload
    from regioindeling.errors import InputError

    with pytest.raises(InputError) as exc:
        read_scenario_upload(name, (BAD / name).read_bytes())
    _one_line(exc.value, name, MANIFEST["scenarios"][name])


def test_huge_upload_is_refused_before_parsing(ds):
    from regioindeling.app.files import read_proposal_upload
    from regioindeling.errors import InputError

    with pytest.raises(InputError, match="50 MB limit"):
        read_proposal_upload("huge.geojson", b"{" + b" " * (200 * 2**20) + b"}", ds)


@pytest.mark.parametrize("name", sorted(CHECKED_ON_LOAD))
def test_scenario_upload_with_codes_unknown_to_the_dataset_is_refused(name, at):
    _open(at, "Files")
    at.file_uploader(key="up_scenario").upload(name, (BAD / name).read_bytes()).run()
    [error] = _errors(at)
    assert error.startswith(name) and re.search(MANIFEST["scenarios"][name], error) and "fix:" in error


@pytest.mark.parametrize("name", sorted(SOLVE_TIME))
def test_scenarios_refused_at_run_time_show_one_plain_line(name, at):
    pytest.importorskip("regioindeling.solve")
    _open(at, "Files")
    at.file_uploader(key="up_scenario").upload(name, (BAD / name).read_bytes()).run()
    assert not _errors(at), _errors(at)
    _open(at, "Scenario")
    if not at.session_state["sc.jeugdregios"]:
        at.multiselect(key="sc.jeugdregios").set_value([SMALL_JZ]).run()
    at.button(key="run_btn").click().run()
    _wait_for_job(at)
    errors = _errors(at)
    assert errors and not at.exception
    assert any(re.search(MANIFEST["scenarios"][name], e, re.IGNORECASE) for e in errors), errors
    assert all("\n" not in e and "Traceback" not in e for e in errors)


def test_form_values_survive_a_dropped_widget_state():
    """Streamlit can drop a widget's state while it is not drawn; the run must still use the planner's choice."""
    specs = F.field_specs()
    key = next(s.key for s in specs if s.path == ("travel", "max_km"))
    state = {key: 30.0}
    F._remember(state, key)
    del state[key]  # what Streamlit's widget clean-up does
    assert F.scenario_from_state(state, specs).travel.max_km == 30.0


def test_form_values_off_the_form_tab_come_from_the_backup():
    """On another tab a widget key can hold its first (default) value: the planner's choice is in the backup."""
    specs = F.field_specs()
    key = next(s.key for s in specs if s.path == ("travel", "max_km"))
    state = {key: 30.0, F.RUN: 7, F.DRAWN: 7}
    F._remember(state, key)
    state[key] = 45.0  # drawn in this run: the widget's own value is the newest
    assert F.form_values(state, specs)[key] == 45.0
    state[F.RUN] = 8  # the next run is on another tab and the key is back at its default
    assert F.form_values(state, specs)[key] == 30.0
    assert F.scenario_from_state(state, specs).travel.max_km == 30.0
    assert F.form_values({key: 50.0}, specs)[key] == 50.0  # a plain dict of values is taken as it is


def test_run_says_what_it_will_solve(at):
    _open(at, "Scenario")
    assert any("whole country: all 42" in c.value for c in at.caption)
    at.multiselect(key="sc.jeugdregios").set_value(["JZ15"]).run()
    assert any(c.value.startswith("Run solves JZ15 ") for c in at.caption)
    every = sorted(at.multiselect(key="sc.jeugdregios").options)
    at.multiselect(key="sc.jeugdregios").set_value(every).run()  # "Select all" in the browser
    assert any("whole country: all 42" in c.value for c in at.caption)
    assert not any("ends within" in c.value for c in at.caption)
    at.number_input(key="sc.solver.total_time_s").set_value(120.0).run()  # a budget for the whole run
    assert any("whole country: all 42" in c.value and "ends within about 120 s" in c.value for c in at.caption)


def test_run_scope_in_words():
    names = {"JZ01": "Groningen", "JZ02": "Friesland", "JZ03": "Drenthe", "JZ04": "IJsselland", "JZ05": "Twente"}
    assert run_scope([], names) == "Run solves the whole country: all 5 jeugdregio's."
    assert run_scope(["JZ02", "JZ01"], names) == "Run solves JZ01 Groningen, JZ02 Friesland."
    assert run_scope(["JZ05", "JZ01", "JZ02", "JZ03"], names) == "Run solves 4 of 5 jeugdregio's: JZ01, JZ02, JZ03, JZ05."
    assert run_scope([], names, 120.0) == ("Run solves the whole country: all 5 jeugdregio's. It ends within about "
                                           "120 s (solver.total_time_s), with the best indelingen found by then.")
    assert run_scope([], names, 0.0) == run_scope([], names)


def test_form_choice_kept_across_tabs(at):
    _open(at, "Scenario")
    at.multiselect(key="sc.jeugdregios").set_value(["JZ15"]).run()
    _open(at, "Map")
    _open(at, "Scenario")
    assert at.multiselect(key="sc.jeugdregios").value == ["JZ15"]
    assert at.session_state[F.BACKUP]["sc.jeugdregios"] == ["JZ15"]


def _national_target_form(at: AppTest) -> None:
    """Gemeente level, no jeugdregio restriction, a price per SWV: the own optima give 86 SWVs nationally."""
    _open(at, "Scenario")
    at.multiselect(key="sc.jeugdregios").set_value([])
    at.selectbox(key="sc.units.level").set_value("gemeente")
    at.number_input(key="sc.size.max_pupils").set_value(150000)
    at.number_input(key="sc.objective.swv_count").set_value(100000.0)
    at.run()


def test_national_swv_target_from_the_form(at):
    pytest.importorskip("regioindeling.solve")
    _national_target_form(at)
    at.number_input(key="sc.objective.target_swvs_national").set_value(90)
    at.button(key="run_btn").click().run()
    assert not _errors(at), _errors(at)
    _wait_for_job(at)
    res = at.session_state["result"]
    assert res["scenario"].objective.target_swvs_national == 90
    assert len(res["proposal"].swv_ids()) == 90 and res["evaluation"].ok
    assert next(m for m in at.metric if m.label == "New SWVs").value == "90"
    assert any(i.value.startswith("national target 90 SWVs (86 at the jeugdregio's own optima)") for i in at.info)
    changes = next(d.value for d in at.dataframe if "why" in d.value.columns)
    assert (changes["SWVs"] - changes["own optimum"]).sum() == 4 and changes["why"].str.contains("instead of").all()


def test_trade_off_sweep_over_the_national_swv_target(at):
    pytest.importorskip("regioindeling.solve")
    _national_target_form(at)
    points = _sweep(at, "objective.target_swvs_national", "86, 88")
    assert [(p["value"], p["n_swvs"]) for p in points] == [(86, 86), (88, 88)]
    assert all(p["scenario"].objective.target_swvs_national == p["value"] for p in points)
    # the sweep varies the form's scenario, although the form is not drawn on the Trade-off tab
    assert all(p["scenario"].units.level == "gemeente" and p["scenario"].size.max_pupils == 150000
               and p["scenario"].objective.swv_count == 100000.0 for p in points)

"""The planner's app: pages wired together. ``app.py`` calls :func:`main`.

Per-session state lives in ``st.session_state`` only (keys below); shared objects come from
:mod:`regioindeling.app.cache` and are read-only.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import streamlit as st

from regioindeling.app import cache, files, jobs
from regioindeling.app import form as F
from regioindeling.app import layers as L
from regioindeling.errors import InputError
from regioindeling.model import Proposal
from regioindeling.store import ScenarioStore

NATIONAL = "(all of the Netherlands)"
TABS = ["Map", "Today", "Scenario", "Scenarios", "Compare", "Trade-off", "Edit", "Gemeente", "Files"]
MAP_HEIGHT = 620
SWEEP_PARAMS = {
    "travel.max_km": ("Max travel distance (km)", "25, 30, 35, 45"),
    "size.max_pupils": ("Max pupils per SWV", "30000, 45000, 60000"),
    # Around the default scenario's own count (129 SWVs at hybrid level; 64-131 are possible at all)
    "objective.target_swvs_national": ("SWV count target (national)", "100, 110, 120"),
}
# session_state keys: "result" (current proposal + evaluation), "job" (running solve), "sweep" (running sweep),
# "sweep_done" (finished sweep), "edit_base" (proposal before edits), "form_specs", "flash".


# ------------------------------------------------------------------ helpers


def _store() -> ScenarioStore:
    return ScenarioStore()


def _show_error(exc: BaseException) -> None:
    st.error(jobs.plain_error(exc))


def _specs(ds) -> list[F.FieldSpec]:
    jz = sorted(ds.jeugdregios.jeugdregio)
    gm = sorted(ds.gemeenten.gemeente)
    swv = sorted(ds.swv_current.swv)
    choices = {("jeugdregios",): jz, ("units", "keep_whole"): gm, ("locks", "keep_current_whole"): swv}
    return F.field_specs(lambda path: choices.get(path, ()))


def _default_scenario():
    from regioindeling.paths import DEFAULT_SCENARIO
    from regioindeling.scenario import Scenario, load_scenario

    if DEFAULT_SCENARIO.is_file():
        try:
            return load_scenario(DEFAULT_SCENARIO)
        except InputError:
            pass
    return Scenario()


def _load_into_form(scenario, specs, message: str | None = None, source: str = "scenario") -> None:
    """Fill the form with ``scenario`` on a fresh run (widgets cannot change once drawn in this run)."""
    F.check_choices(scenario, specs, source)
    _queue_form_values(F.state_from_scenario(scenario, specs), message)


def _queue_form_values(values: dict, message: str | None = None) -> None:
    st.session_state["form_pending"] = {**st.session_state.get("form_pending", {}), **values}
    if message:
        st.session_state["flash"] = ("success", message)
    st.rerun()


def _apply_pending_form() -> None:
    backup = st.session_state.setdefault(F.BACKUP, {})
    for key, value in st.session_state.pop("form_pending", {}).items():
        st.session_state[key] = value
        backup[key] = value


def _flatten(d: dict, prefix: str = "") -> dict[str, float]:
    """Numeric KPIs as ``{"travel_km.mean": 12.3, ...}`` (for tables and deltas)."""
    out: dict[str, float] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            out[key] = v
        elif isinstance(v, dict) and k not in ("pieces", "successor", "n_swvs_per_jeugdregio"):
            out.update(_flatten(v, key + "."))
    return out


def _metric_value(kpis: dict, path: str):
    v = kpis
    for p in path.split("."):
        if not isinstance(v, dict) or p not in v:
            return None
        v = v[p]
    return v


def sweep_metrics(evaluation) -> dict:
    """The three figures a trade-off plots: SWV count, disruption (pupils whose SWV changes), mean distance."""
    k = evaluation.kpis
    changed = sum((_metric_value(k, f"disruption.{s}.pupils_changed") or 0) for s in ("po", "vo"))
    return {"n_swvs": k.get("n_swvs"), "pupils_changed": round(changed), "travel_mean_km": _metric_value(k, "travel_km.mean"),
            "n_violations": k.get("n_violations")}


def _hubs_for_map(ds, evaluation) -> list[dict]:
    pos = {**{g: (x, y) for g, x, y in zip(ds.gemeenten.gemeente, ds.gemeenten.x, ds.gemeenten.y)},
           **{p: (x, y) for p, x, y in zip(ds.pc4.pc4, ds.pc4.x, ds.pc4.y)}}
    names = {r["swv_id"]: r.get("hub_name", r.get("hub", "")) for r in evaluation.swvs}
    rows = [(s, h) for s, h in sorted(evaluation.hubs.items()) if h in pos]
    if not rows:
        return []
    lat, lon = L.rd_to_wgs84([pos[h][0] for _, h in rows], [pos[h][1] for _, h in rows])
    return [{"swv_id": s, "hub": h, "name": names.get(s, h), "lat": float(a), "lon": float(b)}
            for (s, h), a, b in zip(rows, lat, lon)]


@st.cache_resource(show_spinner=False, max_entries=32)
def _proposal_map_html(version: str, focus: str | None, key: str, _ds, _proposal, _evaluation) -> str:
    layer = cache.proposal_layer(version, key, _ds, _proposal.assignment, _evaluation.swvs if _evaluation else None)
    hubs = _hubs_for_map(_ds, _evaluation) if _evaluation else None
    jz_of = {**dict(zip(_ds.gemeenten.gemeente, _ds.gemeenten.jeugdregio)), **dict(zip(_ds.pc4.pc4, _ds.pc4.jeugdregio))}
    covered = sorted({jz_of[u] for u in _proposal.assignment if u in jz_of})
    covered = covered if len(covered) < len(_ds.jeugdregios) else None  # a partial run: zoom to its jeugdregios
    return cache.build_map(_ds, version, focus, proposal=layer, hubs=hubs, covered=covered).get_root().render()


@st.cache_resource(show_spinner=False)
def _crossing_map_html(version: str, focus: str | None, _ds) -> str:
    return cache.build_map(_ds, version, focus, crossing=True).get_root().render()


@st.cache_resource(show_spinner=False, max_entries=16)
def _diff_map_html(version: str, focus: str | None, ka: str, kb: str, _ds, _a: dict, _b: dict) -> str:
    diff = cache.differing_layer(version, ka, kb, _ds, _a, _b)
    return cache.build_map(_ds, version, focus, diff=diff).get_root().render()


@st.cache_resource(show_spinner=False, max_entries=64)
def _evaluate_cached(version: str, key: str, scenario_json: str, _ds, _proposal):
    from regioindeling.evaluate import evaluate
    from regioindeling.scenario import scenario_from_dict

    scenario = scenario_from_dict(json.loads(scenario_json)) if scenario_json else None
    return evaluate(_ds, _proposal, scenario)


def evaluate_proposal(ds, proposal: Proposal, scenario=None):
    sc_json = json.dumps(scenario.to_dict(), sort_keys=True) if scenario is not None else ""
    return _evaluate_cached(ds.version, L.assignment_key(proposal.assignment), sc_json, ds, proposal)


def _show_map(html: str, key: str) -> None:
    st.iframe(html, height=MAP_HEIGHT + 10)


def _set_result(proposal: Proposal, evaluation, source: str, reports=None, national=None, infeasibilities=None,
                scenario=None) -> None:
    st.session_state["result"] = {
        "proposal": proposal, "evaluation": evaluation, "source": source, "reports": list(reports or []),
        "national": dict(national or {}), "infeasibilities": list(infeasibilities or []), "scenario": scenario,
    }


# ------------------------------------------------------------------ pages


def page_map(ds, focus: str | None) -> None:
    res = st.session_state.get("result")
    options = ["Today"] + (["Proposal"] if res else [])
    view = st.radio("Show", options, index=len(options) - 1, horizontal=True, key="map_view")
    if view == "Proposal" and res:
        st.caption(f"Proposal: {res['source']} — {len(res['proposal'].swv_ids())} SWVs")
        html = _proposal_map_html(ds.version, focus, L.assignment_key(res["proposal"].assignment), ds,
                                  res["proposal"], res["evaluation"])
    else:
        html = cache.today_map_html(ds.version, focus, ds)
    _show_map(html, "map")
    st.caption("Toggle layers top right; hover an area or a school for its figures. "
               "Pick a jeugdregio in the sidebar to see its PC4 areas and facility sites.")


def page_today(ds, focus: str | None) -> None:
    from regioindeling.diagnose import diagnose

    d = _diagnose_cached(ds.version, ds)
    for line in d["summary"]:
        st.markdown(f"- {line}")
    swvs = pd.DataFrame(d["swvs"])
    swvs["crosses_jeugdregio_border"] = swvs.n_jeugdregios > 1
    for col in ("gemeenten", "jeugdregios"):
        swvs[col] = swvs[col].map(", ".join)
    st.subheader("Today's SWVs (crossing a jeugdregio border first)")
    st.dataframe(swvs.sort_values(["crosses_jeugdregio_border", "share_outside_main"], ascending=False),
                 hide_index=True, key="today_swvs")
    if st.toggle("Show the SWVs that cross a jeugdregio border on a map", key="today_map"):
        _show_map(_crossing_map_html(ds.version, focus, ds), "crossing")
    c1, c2 = st.columns(2)
    jz = pd.DataFrame(d["jeugdregios"])
    for col in ("swv_po", "swv_vo"):
        jz[col] = jz[col].map(", ".join)
    c1.subheader("Per jeugdregio")
    c1.dataframe(jz, hide_index=True, key="today_jz")
    gm = pd.DataFrame(d["gemeenten"])
    for col in ("swv_po", "swv_vo"):
        gm[col] = gm[col].map(", ".join)
    c2.subheader("Per gemeente")
    c2.dataframe(gm, hide_index=True, key="today_gm")
    _ = diagnose  # imported here so a missing module shows as one error line


@st.cache_resource(show_spinner=False)
def _diagnose_cached(version: str, _ds) -> dict:
    from regioindeling.diagnose import diagnose

    return diagnose(_ds)


def _start_solve(ds, scenario, label: str, start: Proposal | None = None) -> None:
    """Solve in a background job; ``start`` (the indeling on screen, for a re-optimise) is the warm start."""
    from regioindeling.solve import solve

    jz = list(scenario.jeugdregios) or sorted(ds.jeugdregios.jeugdregio)

    def work(job: jobs.Job):
        return solve(ds, scenario, progress=job.add_report, start=start)

    st.session_state["job"] = jobs.start("solve", label, len(jz), work)
    st.session_state["job_scenario"] = scenario


def _report_rows(reports) -> pd.DataFrame:
    rows = []
    for r in reports:
        get = (lambda k: r.get(k)) if isinstance(r, dict) else (lambda k: getattr(r, k, None))
        rows.append({k: get(k) for k in ("jeugdregio", "name", "status", "n_units", "n_swvs", "objective", "gap",
                                         "seconds", "message", "count_note")})
    df = pd.DataFrame(rows)
    if "count_note" in df and not df["count_note"].fillna("").astype(bool).any():
        df = df.drop(columns=["count_note"])  # only a national SWV-count target explains counts
    return df


@st.fragment(run_every=1.0)
def _job_progress() -> None:
    job: jobs.Job | None = st.session_state.get("job")
    if job is None:
        return
    reports, done, error = job.snapshot()
    st.progress(job.fraction, text=f"{job.label}: {len(reports)} of {job.total} jeugdregios done "
                                   f"({job.elapsed():.0f} s)")
    if reports:
        st.dataframe(_report_rows(reports), hide_index=True, key="job_reports")
    if done:
        st.rerun(scope="app")


def _collect_job(ds) -> None:
    job: jobs.Job | None = st.session_state.get("job")
    if job is None or not job.done:
        return
    del st.session_state["job"]
    scenario = st.session_state.pop("job_scenario", None)
    if job.error:
        st.session_state["flash"] = ("error", job.error)
        return
    r = job.result
    try:
        evaluation = r.evaluation if r.evaluation is not None else evaluate_proposal(ds, r.proposal, scenario)
    except Exception as exc:
        st.session_state["flash"] = ("error", jobs.plain_error(exc))
        return
    _set_result(r.proposal, evaluation, job.label, r.reports, r.national, r.infeasibilities, scenario)
    st.session_state["flash"] = ("success", f"{job.label}: done in {job.elapsed():.0f} s")


def _show_result_summary(res) -> None:
    ev = res["evaluation"]
    k = ev.kpis
    cols = st.columns(5)
    cols[0].metric("New SWVs", k.get("n_swvs"))
    cols[1].metric("Mean travel (km)", _metric_value(k, "travel_km.mean"))
    cols[2].metric("Max travel (km)", _metric_value(k, "travel_km.max"))
    cols[3].metric("Pupils whose SWV changes", sweep_metrics(ev)["pupils_changed"])
    cols[4].metric("Violations", k.get("n_violations"))
    nat = res.get("national") or {}
    if nat:
        def fmt(v):
            return f"{v:,.2f}" if isinstance(v, float) else str(v)

        st.caption("Solver: " + ", ".join(f"{a} {fmt(b)}" for a, b in nat.items()
                                          if b is not None and not isinstance(b, (dict, list))))
    for line in res.get("infeasibilities") or []:
        st.error(line)
    target = nat.get("target") if nat else None
    if target and target.get("n_swvs") == target.get("swvs"):
        st.info(target["message"])
        changed = [r for r in res.get("reports") or [] if getattr(r, "free_swvs", None) is not None
                   and r.n_swvs != r.free_swvs]
        if changed:
            st.dataframe(pd.DataFrame([{"jeugdregio": r.jeugdregio, "name": r.name, "own optimum": r.free_swvs,
                                        "SWVs": r.n_swvs, "why": r.count_note} for r in changed]),
                         hide_index=True, key="target_changes")
    for r in res.get("reports") or []:
        status = getattr(r, "status", None)
        if status and status != "optimal" and getattr(r, "message", ""):
            st.warning(f"{r.jeugdregio} {r.name}: {status} — {r.message}")
    if ev.violations:
        with st.expander(f"{len(ev.violations)} violated constraints", expanded=not ev.ok):
            for v in ev.violations[:200]:
                st.markdown(f"- **{v.constraint}**: {v.message}")
    with st.expander("All KPIs"):
        st.dataframe(pd.DataFrame(sorted(_flatten(k).items()), columns=["kpi", "value"]), hide_index=True,
                     )
    st.dataframe(pd.DataFrame(ev.swvs).drop(columns=["units"], errors="ignore"), hide_index=True,
                 key="result_swvs")


def run_scope(chosen, names: dict[str, str], total_time_s: float = 0.0) -> str:
    """What "Run scenario" will solve, in words: a whole-country run takes minutes, so it must never be a surprise;
    with a budget for the whole run (solver.total_time_s), also when it ends."""
    chosen = sorted(chosen or [])
    if not chosen or len(chosen) == len(names):
        out = f"Run solves the whole country: all {len(names)} jeugdregio's."
    elif len(chosen) <= 3:
        out = "Run solves " + ", ".join(f"{j} {names.get(j, '')}".strip() for j in chosen) + "."
    else:
        out = f"Run solves {len(chosen)} of {len(names)} jeugdregio's: {', '.join(chosen)}."
    if total_time_s and total_time_s > 0:
        out += f" It ends within about {total_time_s:g} s (solver.total_time_s), with the best indelingen found by then."
    return out


def page_scenario(ds, specs) -> None:
    job = st.session_state.get("job")
    running = job is not None
    F.render(st, specs, disabled=running)
    st.caption(run_scope(st.session_state.get(F.PREFIX + ".jeugdregios"), ds.jeugdregio_names,
                         st.session_state.get(F.PREFIX + ".solver.total_time_s") or 0.0))
    run = st.button("Run scenario", type="primary", disabled=running, key="run_btn")
    if run:
        try:
            scenario = F.scenario_from_state(st.session_state, specs)
            _start_solve(ds, scenario, f"scenario '{scenario.name}'")
            st.rerun()  # so the sidebar's progress fragment starts polling
        except Exception as exc:  # InputError from the form, or the solver not being importable
            _show_error(exc)
    if running:
        st.info("Running: progress per jeugdregio in the sidebar. You can keep using the other tabs.")
    res = st.session_state.get("result")
    if res and not running:
        st.subheader(f"Result: {res['source']}")
        _show_result_summary(res)
        c1, c2 = st.columns([3, 1])
        name = c1.text_input("Save as", value=(res.get("scenario").name if res.get("scenario") else "scenario"),
                             key="save_name", help="Letters, digits, '-' and '_'; other characters become '-'.")
        if c2.button("Save scenario + proposal", key="save_btn"):
            try:
                scenario = res.get("scenario") or F.scenario_from_state(st.session_state, specs)
                data = files.proposal_geojson_bytes(ds, res["proposal"], res["evaluation"])
                saved = _store().save(name, scenario.model_copy(update={"name": name}), data)
                st.success(f"Saved as '{saved}'")
            except Exception as exc:
                _show_error(exc)


def page_store(ds, specs) -> None:
    store = _store()
    entries = store.list()
    if not entries:
        st.info("No saved scenarios yet: run one on the Scenario tab and save it.")
        return
    st.dataframe(pd.DataFrame([{"name": e.name, "description": e.description, "proposal": e.has_proposal,
                                "saved": dt.datetime.fromtimestamp(e.modified).strftime("%Y-%m-%d %H:%M")}
                               for e in entries]), hide_index=True, key="store_table")
    name = st.selectbox("Scenario", [e.name for e in entries], key="store_pick")
    c1, c2, c3 = st.columns(3)
    if c1.button("Open", key="store_open"):
        try:
            stored = store.open(name)
            if stored.proposal_geojson:
                _open_geojson(ds, f"{name}.geojson", stored.proposal_geojson, f"saved scenario '{name}'",
                              stored.scenario)
            _load_into_form(stored.scenario, specs,
                            f"Opened '{name}' (form filled in{', proposal on the map' if stored.proposal_geojson else ''})")
        except Exception as exc:
            _show_error(exc)
    new = c2.text_input("Duplicate as", key="store_dup_name")
    if c2.button("Duplicate", key="store_dup"):
        try:
            st.success(f"Duplicated as '{store.duplicate(name, new)}'")
        except Exception as exc:
            _show_error(exc)
    if c3.button("Delete", key="store_del"):
        try:
            store.delete(name)
            st.success(f"Deleted '{name}'")
        except Exception as exc:
            _show_error(exc)


def _open_geojson(ds, fname: str, data: bytes, source: str, scenario=None) -> None:
    proposal, report = files.read_proposal_upload(fname, data, ds)
    evaluation = evaluate_proposal(ds, proposal, scenario)
    _set_result(proposal, evaluation, source, scenario=scenario)
    st.session_state.pop("edit_base", None)


def _stored_proposal(ds, name: str):
    if name == "(current result)":
        # Re-evaluated like a saved one (the solver's own evaluation may count units differently for a partial run)
        res = st.session_state["result"]
        return res["proposal"], evaluate_proposal(ds, res["proposal"], res.get("scenario"))
    stored = _store().open(name)
    proposal, _ = files.read_proposal_upload(f"{name}.geojson", stored.proposal_geojson, ds)
    return proposal, evaluate_proposal(ds, proposal, stored.scenario)


def page_compare(ds, focus: str | None) -> None:
    names = [e.name for e in _store().list() if e.has_proposal]
    if st.session_state.get("result"):
        names = ["(current result)"] + names
    if len(names) < 2:
        st.info("Save at least two scenarios with a proposal (or run one and save another) to compare them.")
        return
    c1, c2 = st.columns(2)
    a = c1.selectbox("Scenario A", names, index=0, key="cmp_a")
    b = c2.selectbox("Scenario B", names, index=1, key="cmp_b")
    try:
        pa, ea = _stored_proposal(ds, a)
        pb, eb = _stored_proposal(ds, b)
    except Exception as exc:
        _show_error(exc)
        return
    ka, kb = _flatten(ea.kpis), _flatten(eb.kpis)
    rows = [{"kpi": k, "A": ka.get(k), "B": kb.get(k),
             "B - A": (round(kb[k] - ka[k], 4) if k in ka and k in kb else None)} for k in sorted(set(ka) | set(kb))]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="cmp_table")
    diff = L.differing_pc4(ds, pa.assignment, pb.assignment)
    st.caption(f"{len(diff)} PC4 areas are in a different SWV in B than in A (red on the map).")
    _show_map(_diff_map_html(ds.version, focus, L.assignment_key(pa.assignment), L.assignment_key(pb.assignment),
                             ds, pa.assignment, pb.assignment), "cmp_map")


def _sweep_values(text: str, param: str) -> list:
    vals = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        try:
            v = float(part)
        except ValueError:
            raise InputError("trade-off", f"'{part}' is not a number", "give numbers separated by commas",
                             field=param) from None
        vals.append(int(v) if param != "travel.max_km" else v)
    if not vals or len(vals) > 12:
        raise InputError("trade-off", f"{len(vals)} values", "give 1 to 12 values separated by commas", field=param)
    return sorted(set(vals))


def _with_value(scenario, param: str, value):
    data = scenario.to_dict()
    section, fieldname = param.split(".")
    data[section][fieldname] = value
    from regioindeling.scenario import scenario_from_dict

    return scenario_from_dict(data, "trade-off")


def page_sweep(ds, specs) -> None:
    param = st.selectbox("Parameter", list(SWEEP_PARAMS), format_func=lambda p: SWEEP_PARAMS[p][0], key="sweep_param")
    text = st.text_input("Values", value=SWEEP_PARAMS[param][1], key=f"sweep_values_{param}",
                         help="Comma-separated; each value is one run of the scenario on the Scenario tab.")
    sweep: jobs.Job | None = st.session_state.get("sweep")
    if st.button("Run trade-off", disabled=sweep is not None and not sweep.done, key="sweep_run"):
        try:
            base = F.scenario_from_state(st.session_state, specs)
            values = _sweep_values(text, param)
            scenarios = [(v, _with_value(base, param, v)) for v in values]
            from regioindeling.solve import solve

            n_jz = len(base.jeugdregios) or len(ds.jeugdregios)

            def work(job: jobs.Job):
                points = []
                for v, sc in scenarios:
                    r = solve(ds, sc, progress=job.add_report)
                    points.append({"value": v, **sweep_metrics(r.evaluation), "proposal": r.proposal,
                                   "evaluation": r.evaluation, "scenario": sc})
                return points

            st.session_state["sweep"] = jobs.start("sweep", f"trade-off on {param}", n_jz * len(values), work)
            st.session_state["sweep_param_run"] = param
            st.rerun()
        except Exception as exc:
            _show_error(exc)
    if st.session_state.get("sweep") is not None:
        st.info("Trade-off running: progress in the sidebar.")
    points = st.session_state.get("sweep_done")
    if points:
        p = st.session_state.get("sweep_param_run", param)
        df = pd.DataFrame([{k: v for k, v in pt.items() if k not in ("proposal", "evaluation", "scenario")}
                           for pt in points]).set_index("value")
        st.dataframe(df, key="sweep_table")
        c = st.columns(3)
        for col, metric, title in zip(c, ("n_swvs", "pupils_changed", "travel_mean_km"),
                                      ("SWV count", "Disruption (pupils changing SWV)", "Mean distance (km)")):
            col.caption(f"{title} against {SWEEP_PARAMS.get(p, (p,))[0]}")
            col.line_chart(df[[metric]])
        pick = st.selectbox("Point", [pt["value"] for pt in points], key="sweep_pick")
        if st.button("Open this proposal", key="sweep_open"):
            pt = next(pt for pt in points if pt["value"] == pick)
            _set_result(pt["proposal"], pt["evaluation"], f"trade-off {p} = {pick}", scenario=pt["scenario"])
            _load_into_form(pt["scenario"], specs, f"Opened the proposal for {p} = {pick} (Map and Scenario tabs)")


@st.fragment(run_every=1.0)
def _sweep_progress() -> None:
    job: jobs.Job | None = st.session_state.get("sweep")
    if job is None:
        return
    reports, done, error = job.snapshot()
    st.progress(job.fraction, text=f"{job.label}: {len(reports)} of {job.total} jeugdregio runs ({job.elapsed():.0f} s)")
    if done:
        del st.session_state["sweep"]
        if error:
            st.session_state["flash"] = ("error", error)
        else:
            st.session_state["sweep_done"] = job.result
        st.rerun(scope="app")


def page_edit(ds, specs) -> None:
    res = st.session_state.get("result")
    if not res:
        st.info("Run a scenario, open a saved one or upload a proposal first.")
        return
    proposal: Proposal = res["proposal"]
    names = {**ds.gemeente_names, **{p: f"{p} ({ds.gemeente_names.get(g, g)})" for p, g in zip(ds.pc4.pc4, ds.pc4.gemeente)}}
    units = sorted(proposal.assignment)
    c1, c2 = st.columns(2)
    unit = c1.selectbox("Unit", units, format_func=lambda u: f"{u} {names.get(u, '')} → {proposal.assignment[u]}",
                        key="edit_unit")
    target = c2.selectbox("Move to SWV", proposal.swv_ids(), key="edit_target")
    b1, b2, b3 = st.columns(3)
    if b1.button("Move", key="edit_move"):
        try:
            base = st.session_state.setdefault("edit_base", proposal)
            assignment = dict(proposal.assignment)
            assignment[unit] = target
            moved = Proposal(assignment=assignment, hubs={}, name=proposal.name + " (edited)",
                             scenario=proposal.scenario, solver=None, data_version=proposal.data_version)
            ev = evaluate_proposal(ds, moved, res.get("scenario"))
            _set_result(moved, ev, f"{res['source']} (edited)", scenario=res.get("scenario"))
            st.session_state["edit_base"] = base
            st.session_state.setdefault("edit_moves", {})[unit] = target
            (st.success if ev.ok else st.warning)(
                f"Moved {unit} to {target}: {'all constraints hold' if ev.ok else f'{len(ev.violations)} violations'}")
            for v in ev.violations[:20]:
                st.markdown(f"- **{v.constraint}**: {v.message}")
        except Exception as exc:
            _show_error(exc)
    if b2.button("Lock here", key="edit_lock", help="Pin this unit to its SWV in the scenario's locks.pin"):
        try:
            pins = json.loads(F.form_values(st.session_state, specs)["sc.locks.pin"] or "{}")
            pins[unit] = res["proposal"].assignment[unit]
            _queue_form_values({"sc.locks.pin": json.dumps(pins, sort_keys=True)},
                               f"Locked {unit} to {pins[unit]} (see Scenario → Locks)")
        except Exception as exc:
            _show_error(exc)
    if b3.button("Re-optimise the rest", key="edit_reopt", disabled=st.session_state.get("job") is not None,
                 help="Solve again with the locks kept (hand moves become pins), starting from the indeling shown: "
                      "it is repaired against the locks and used where it is valid, so the solve starts close."):
        try:
            values = F.form_values(st.session_state, specs)
            pins = json.loads(values["sc.locks.pin"] or "{}")
            pins.update(st.session_state.get("edit_moves", {}))
            values["sc.locks.pin"] = json.dumps(pins, sort_keys=True)
            scenario = F.scenario_from_state(values, specs)
            if not scenario.jeugdregios and scenario.objective.target_swvs_national is None:
                # (a national SWV count needs every jeugdregio, so such a run is re-optimised nationally)
                jz = sorted({r["jeugdregio"] for r in res["evaluation"].swvs if r.get("jeugdregio")})
                scenario = scenario.model_copy(update={"jeugdregios": jz})
            # the indeling on screen (hand moves included) is the warm start: a re-solve starts from what is shown
            _start_solve(ds, scenario, "re-optimised with locks", start=res["proposal"])
            _queue_form_values({"sc.locks.pin": values["sc.locks.pin"]},
                               "Re-optimising with the locks kept; progress on the Scenario tab.")
        except Exception as exc:
            _show_error(exc)
    moves = st.session_state.get("edit_moves", {})
    if moves:
        st.caption("Moved by hand: " + ", ".join(f"{u} → {s}" for u, s in sorted(moves.items())))


def page_gemeente(ds) -> None:
    gm_names = ds.gemeente_names
    gm = st.selectbox("Gemeente", sorted(gm_names), format_func=lambda g: f"{gm_names[g]} ({g})", key="gm_pick")
    row = ds.gemeenten[ds.gemeenten.gemeente == gm].iloc[0]
    st.markdown(f"**{row['name']}** — jeugdregio {row.jeugdregio} {row.jeugdregio_name}; today po SWV "
                f"{row.swv_po_shares or row.swv_po}, vo SWV {row.swv_vo_shares or row.swv_vo}")
    res = st.session_state.get("result")
    if not res:
        st.info("Run or open a proposal to see what changes for this gemeente.")
        return
    rows = [r for r in res["evaluation"].per_gemeente if r["gemeente"] == gm]
    if not rows:
        st.info("This gemeente is not part of the current proposal (it covers other jeugdregios).")
        return
    r = rows[0]
    c = st.columns(4)
    c[0].metric("Today: po SWVs", len(r["swv_po_today"]))
    c[1].metric("Today: vo SWVs", len(r["swv_vo_today"]))
    c[2].metric("Proposed SWVs", len(r["swv_proposed"]))
    c[3].metric("Mean travel (km)", r.get("travel_mean_km"))
    st.dataframe(pd.DataFrame([{"field": k, "value": json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v)}
                               for k, v in r.items()]), hide_index=True, key="gm_table")
    try:
        html = _gemeente_report(ds, res, gm)
        st.download_button("Download the municipality report (HTML)", html, file_name=f"report-{gm}.html",
                           mime="text/html", key="gm_report")
    except Exception as exc:
        _show_error(exc)


def _gemeente_report(ds, res, gm: str) -> bytes:
    from regioindeling import report

    return report.gemeente_report(ds, res["proposal"], res["evaluation"], gm, res.get("scenario")).encode("utf-8")


def page_files(ds, specs) -> None:
    res = st.session_state.get("result")
    st.subheader("Download")
    if res:
        c1, c2 = st.columns(2)
        try:
            c1.download_button("Proposal as GeoJSON", files.proposal_geojson_bytes(ds, res["proposal"], res["evaluation"]),
                               file_name="proposal.geojson", mime="application/geo+json", key="dl_geojson")
            c2.download_button("Proposal as CSV", files.proposal_csv_bytes(res["proposal"]), file_name="proposal.csv",
                               mime="text/csv", key="dl_csv")
        except Exception as exc:
            _show_error(exc)
    else:
        st.info("Nothing to download yet: run a scenario or upload a proposal.")
    st.subheader("Upload")
    up = st.file_uploader("A proposal to evaluate (GeoJSON or CSV unit,swv_id)", type=list(files.PROPOSAL_TYPES),
                          key="up_proposal", max_upload_size=files.MAX_UPLOAD_BYTES // 2**20)
    if up is not None and st.session_state.get("up_proposal_done") != up.file_id:
        st.session_state["up_proposal_done"] = up.file_id
        try:
            _open_geojson(ds, up.name, up.getvalue(), f"upload '{up.name}'")
            st.session_state["flash"] = ("success", f"Evaluated '{up.name}': see the Scenario and Map tabs")
            st.rerun()
        except Exception as exc:
            _show_error(exc)
    up2 = st.file_uploader("A scenario (TOML) to load into the form", type=list(files.SCENARIO_TYPES), key="up_scenario",
                           max_upload_size=1)
    if up2 is not None and st.session_state.get("up_scenario_done") != up2.file_id:
        st.session_state["up_scenario_done"] = up2.file_id
        try:
            _load_into_form(files.read_scenario_upload(up2.name, up2.getvalue()), specs,
                            f"Loaded '{up2.name}' into the Scenario form", source=up2.name)
        except Exception as exc:
            _show_error(exc)


def footer(ds) -> None:
    info = ds.info()
    today = dt.date.today()
    parts = []
    for s in info["sources"]:
        ref = s.get("reference_date") or ""
        try:
            ref_date = dt.date.fromisoformat(ref) if len(ref) == 10 else dt.date(int(ref[:4]), 1, 1)
            age = f"{(today - ref_date).days / 365.25:.1f} y old"
        except ValueError:
            age = "age unknown"
        fetched = f", fetched {s['fetched_at'][:10]}" if s.get("fetched_at") else ""
        parts.append(f"{s['role']}: {ref or '?'} ({age}{fetched})")
    st.divider()
    st.caption(f"Data version {info['data_version']} · " + " · ".join(parts))


def main() -> None:
    st.set_page_config(page_title="regioindeling — SWV passend onderwijs", layout="wide")
    try:
        ds = cache.dataset()
    except InputError as exc:
        st.error(exc.line())
        return
    specs = _specs(ds)
    if "form_init" not in st.session_state:
        st.session_state["form_init"] = True
        st.session_state["form_pending"] = F.state_from_scenario(_default_scenario(), specs)
    # No "state[key] = state[key]" to keep the form alive while its tab is closed: that pushes the server's value
    # back to the browser on every run and can undo a choice made while a run is under way. form.BACKUP keeps it.
    st.session_state[F.RUN] = st.session_state.get(F.RUN, 0) + 1
    _apply_pending_form()
    _collect_job(ds)
    with st.sidebar:
        st.title("regioindeling")
        st.caption("One SWV for po and vo, inside one jeugdzorgregio, close to home.")
        jz_names = ds.jeugdregio_names
        focus = st.selectbox("Map focus", [NATIONAL] + sorted(jz_names), key="focus",
                             format_func=lambda j: j if j == NATIONAL else f"{j} {jz_names[j]}")
        focus = None if focus == NATIONAL else focus
        res = st.session_state.get("result")
        if res:
            st.caption(f"Current proposal: {res['source']} ({len(res['proposal'].swv_ids())} SWVs)")
        # Progress lives here so it is polled whichever tab is open.
        if st.session_state.get("job") is not None:
            _job_progress()
        if st.session_state.get("sweep") is not None:
            _sweep_progress()
    flash = st.session_state.pop("flash", None)
    if flash:
        (st.error if flash[0] == "error" else st.success)(flash[1])
    # Only the open tab is built (on_change="rerun" + .open): the first page shows the map without waiting
    # for the tables and forms of the other tabs.
    tabs = st.tabs(TABS, key="main_tab", on_change="rerun")
    pages = [lambda: page_map(ds, focus), lambda: page_today(ds, focus), lambda: page_scenario(ds, specs),
             lambda: page_store(ds, specs), lambda: page_compare(ds, focus), lambda: page_sweep(ds, specs),
             lambda: page_edit(ds, specs), lambda: page_gemeente(ds), lambda: page_files(ds, specs)]
    for tab, page in zip(tabs, pages):
        if not tab.open:
            continue
        with tab:
            try:
                page()
            except Exception as exc:  # one line per page, never a traceback; the others keep working
                _show_error(exc)
    footer(ds)

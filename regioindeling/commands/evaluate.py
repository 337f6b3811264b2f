"""``evaluate``, ``compare`` and ``report``: the analyst's commands on a proposal file or a baseline.

PROPOSAL is a proposal file (our GeoJSON, a ``unit,swv_id`` CSV or polygons drawn elsewhere) or one of the
baseline names ``status-quo-po``, ``status-quo-vo``, ``naive-merge``. The scenario is ``--scenario F`` if given,
else the one stored in the proposal file, else the default scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from regioindeling.commands.common import DataOption, console, dump_json, err_console, load_data

ScenarioOption = Annotated[Optional[Path], typer.Option(
    "--scenario", help="Scenario TOML (default: the proposal's own, else scenarios/default.toml).", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_cmd)
    app.command("compare")(compare_cmd)
    app.command("report")(report_cmd)


# ---------------------------------------------------------------------------------------------- loading


def load_proposal(ds, spec: str):
    """A baseline name or a proposal file -> (Proposal, ImportReport | None)."""
    from regioindeling.baselines import BASELINES, baseline
    from regioindeling.importing import read_proposal

    if spec in BASELINES:
        return baseline(ds, spec), None
    return read_proposal(Path(spec), ds)


def pick_scenario(path: Path | None, proposal):
    from regioindeling.paths import DEFAULT_SCENARIO
    from regioindeling.scenario import Scenario, load_scenario, scenario_from_dict

    if path is not None:
        return load_scenario(path)
    if proposal.scenario:
        return scenario_from_dict(proposal.scenario, source=f"{proposal.name}: regioindeling.scenario")
    return load_scenario(DEFAULT_SCENARIO) if DEFAULT_SCENARIO.is_file() else Scenario()


def _evaluate(ds, spec: str, scenario_path: Path | None):
    from regioindeling.evaluate import evaluate

    with err_console.status(f"evaluating {spec}"):
        proposal, rep = load_proposal(ds, spec)
        scenario = pick_scenario(scenario_path, proposal)
        ev = evaluate(ds, proposal, scenario)
    return proposal, rep, scenario, ev


# ---------------------------------------------------------------------------------------------- KPI rows


def _fmt(v, nd: int = 1) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def kpi_rows(ev) -> list[tuple[str, str]]:
    """The national KPIs as (label, value) rows, in reading order."""
    k = ev.kpis
    rows = [
        ("hard constraints", "all hold" if ev.ok else f"{k['n_violations']} violations"),
        ("units assigned", f"{k['n_assigned']:,} of {k['n_units']:,} ({k['unit_level']})"),
        ("SWVs", _fmt(k["n_swvs"])),
        ("pupils per SWV min / median / max",
         " / ".join(_fmt(k["pupils_per_swv"][x], 0) for x in ("min", "median", "max"))),
        ("travel to hub, pupil-weighted mean km", _fmt(k["travel_km"]["mean"], 2)),
        ("travel to hub, max km", f"{_fmt(k['travel_km']['max'], 1)} (limit {k['travel_km']['limit']:g})"),
    ]
    for t, f in k["facility_km"].items():
        rows.append((f"{t}: mean km today -> proposed", f"{_fmt(f['today_mean_km'], 2)} -> {_fmt(f['proposed_mean_km'], 2)}"))
        rows.append((f"{t}: pupils further than today", f"{_fmt(f['pupils_further'], 0)} "
                     f"({_fmt(100 * f['share_further'], 1)} %, max +{_fmt(f['max_extra_km'], 1)} km)"))
    d = k["disruption"]
    for s in ("po", "vo"):
        rows.append((f"current {s} SWVs split", f"{d[s]['split']} of {d[s]['current_swvs']} (max {d[s]['max_pieces']} pieces)"))
        rows.append((f"{s} pupils whose territory changes", f"{_fmt(d[s]['pupils_changed'], 0)} ({_fmt(100 * d[s]['share_changed'], 1)} %)"))
    o = k["oogo"]
    rows.append(("OOGO relations (gemeente x SWV) today -> proposed", f"{o['today_total']:,} -> {o['proposed_total']:,}"))
    rows.append(("OOGO per gemeente, mean today -> proposed", f"{_fmt(o['today_mean'], 2)} -> {_fmt(o['proposed_mean'], 2)}"))
    rows.append(("gemeenten split over several SWVs", _fmt(o["gemeenten_split"])))
    return rows


# ---------------------------------------------------------------------------------------------- evaluate


def evaluate_cmd(
    proposal: Annotated[str, typer.Argument(help="Proposal file (.geojson/.csv) or status-quo-po, status-quo-vo, naive-merge.")],
    scenario: ScenarioOption = None,
    json_out: JsonOption = False,
    data: DataOption = None,
) -> None:
    """Check every hard constraint and print the KPIs. Exit 0: all hold; 1: violations; 2: bad input."""
    ds = load_data(data)
    prop, rep, sc, ev = _evaluate(ds, proposal, scenario)
    if json_out:
        doc = {"proposal": prop.name, "scenario": sc.name, "data_version": ds.version,
               "import": rep.to_dict() if rep else None} | ev.to_dict()
        typer.echo(dump_json(doc))
    else:
        console.print(f"[bold]{prop.name}[/bold]  scenario {sc.name}  data {ds.version}")
        for line in rep.lines() if rep else []:
            console.print(line)
        t = Table("KPI", "value", title="National KPIs")
        for label, value in kpi_rows(ev):
            t.add_row(label, value)
        console.print(t)
        if ev.violations:
            v = Table("constraint", "SWV", "units", "what", title=f"{len(ev.violations)} violations", show_lines=False)
            for x in ev.violations:
                v.add_row(x.constraint, x.swv or "-", str(len(x.units)), x.message)
            console.print(v)
        console.print("[green]all hard constraints hold[/green]" if ev.ok else
                      "[red]hard constraints violated: " + ", ".join(
                          f"{c} {n}" for c, n in ev.kpis["violations_by_constraint"].items()) + "[/red]")
    if not ev.ok:
        raise typer.Exit(1)


# ---------------------------------------------------------------------------------------------- compare


def moved_units(ds, a, b) -> list[dict]:
    """PC4 areas whose SWV differs between A and B, after matching each B SWV to the A SWV it shares most pupils
    with; collapsed to GM codes where a whole gemeente moved together. Rows: unit, from, to, pupils."""
    import pandas as pd

    gm = dict(zip(ds.pc4.pc4, ds.pc4.gemeente))
    pc = pd.DataFrame({"pc4": ds.pc4.pc4, "gemeente": ds.pc4.gemeente,
                       "w": ds.pc4.pupils_po.to_numpy() + ds.pc4.pupils_vo.to_numpy()})
    pc["a"] = [a.assignment.get(p, a.assignment.get(gm[p], "")) for p in pc.pc4]
    pc["b"] = [b.assignment.get(p, b.assignment.get(gm[p], "")) for p in pc.pc4]
    both = pc[(pc.a != "") & (pc.b != "")]
    ov = both.groupby(["b", "a"]).w.sum().reset_index().sort_values(["b", "w", "a"], ascending=[True, False, True])
    match = dict(zip(ov.drop_duplicates("b").b, ov.drop_duplicates("b").a))
    pc["moved"] = (pc.a != pc.b.map(match).fillna("")) | ((pc.a == "") != (pc.b == ""))
    out = []
    for g, sub in pc.groupby("gemeente", sort=True):
        mv = sub[sub.moved]
        if mv.empty:
            continue
        if len(mv) == len(sub) and mv.a.nunique() == 1 and mv.b.nunique() == 1:
            out.append({"unit": g, "from": mv.a.iat[0], "to": mv.b.iat[0], "pupils": round(float(mv.w.sum()), 1)})
        else:
            out += [{"unit": r.pc4, "from": r.a, "to": r.b, "pupils": round(float(r.w), 1)} for r in mv.itertuples()]
    return out


def compare_cmd(
    a: Annotated[str, typer.Argument(help="First proposal (file or baseline name).")],
    b: Annotated[str, typer.Argument(help="Second proposal (file or baseline name).")],
    scenario: ScenarioOption = None,
    json_out: JsonOption = False,
    limit: Annotated[int, typer.Option(help="Moved units to list (0: all).")] = 40,
    data: DataOption = None,
) -> None:
    """KPI table of two proposals side by side and the units that moved between them."""
    ds = load_data(data)
    pa, _, _, ea = _evaluate(ds, a, scenario)
    pb, _, _, eb = _evaluate(ds, b, scenario)
    moved = moved_units(ds, pa, pb)
    if json_out:
        typer.echo(dump_json({"a": {"proposal": pa.name, "ok": ea.ok, "kpis": ea.kpis},
                              "b": {"proposal": pb.name, "ok": eb.ok, "kpis": eb.kpis}, "moved": moved}))
        return
    t = Table("KPI", pa.name, pb.name, title="KPIs side by side")
    for (label, va), (_, vb) in zip(kpi_rows(ea), kpi_rows(eb)):
        t.add_row(label, va, vb)
    console.print(t)
    m = Table("unit", f"SWV in {pa.name}", f"SWV in {pb.name}", "pupils",
              title=f"{len(moved)} units moved (B's SWVs matched to A's by shared pupils)")
    for r in moved[: limit or None]:
        m.add_row(r["unit"], r["from"] or "-", r["to"] or "-", _fmt(r["pupils"], 0))
    console.print(m)
    if limit and len(moved) > limit:
        console.print(f"... and {len(moved) - limit} more (use --limit 0 or --json)")


# ---------------------------------------------------------------------------------------------- report


def report_cmd(
    gemeente: Annotated[str, typer.Option("--gemeente", help="GM code, e.g. GM0363.")],
    proposal: Annotated[str, typer.Option("--proposal", help="Proposal file or baseline name.")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
    scenario: ScenarioOption = None,
    data: DataOption = None,
) -> None:
    """A self-contained HTML page for one gemeente: maps, what changes and why, its KPIs (printable A4)."""
    from regioindeling.atomic import write_text
    from regioindeling.report import gemeente_report

    ds = load_data(data)
    prop, _, sc, ev = _evaluate(ds, proposal, scenario)
    with err_console.status(f"writing the report for {gemeente}"):
        html = gemeente_report(ds, prop, ev, gemeente, scenario=sc)
        write_text(out, html)
    console.print(f"wrote {out}")

"""``solve``: optimise a scenario per jeugdregio and write the proposal (GeoJSON, optionally CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from regioindeling.commands.common import DataOption, console, dump_json, err_console, load_data
from regioindeling.errors import InputError

_STYLE = {"optimal": "green", "feasible": "yellow", "timeout": "yellow", "infeasible": "red", "failed": "red"}


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    app.command("solve")(solve_cmd)


def _split(message: str) -> tuple[str, str]:
    """'<problem>; <fix>' -> (problem, fix) for a one-line InputError."""
    head, sep, tail = message.rpartition("; ")
    return (head, tail) if sep else (message, "relax the scenario's limits")


def solve_cmd(
    out: Annotated[Path, typer.Option("--out", help="Proposal GeoJSON to write.")],
    scenario: Annotated[Optional[Path], typer.Option("--scenario", help="Scenario TOML "
                                                     "(default: scenarios/default.toml).")] = None,
    csv: Annotated[Optional[Path], typer.Option("--csv", help="Also write unit,swv_id rows to this CSV.")] = None,
    jeugdregio: Annotated[Optional[list[str]], typer.Option("--jeugdregio", help="Only solve this JZ code "
                                                            "(repeatable).")] = None,
    data: DataOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the per-jeugdregio reports as JSON.")] = False,
    start: Annotated[Optional[Path], typer.Option("--start", help="Warm start from this proposal (GeoJSON or CSV, "
                                                  "any unit level; e.g. the one before a lock change): used where "
                                                  "it is valid, repaired against the locks.")] = None,
) -> None:
    """Merge po and vo SWVs per jeugdregio; exit 0 if every jeugdregio is solved and the evaluator passes the
    proposal, 1 if some jeugdregio is infeasible or the proposal has violations, 2 on bad input."""
    from regioindeling.scenario import load_scenario
    from regioindeling.solve import solve

    sc = load_scenario(scenario)
    src = str(scenario) if scenario is not None else "scenarios/default.toml"
    ds = load_data(data)
    start_proposal = None
    if start is not None:
        from regioindeling.importing import read_proposal

        start_proposal, _report = read_proposal(start, ds)
    if jeugdregio:
        unknown = sorted(set(jeugdregio) - set(ds.jeugdregio_names))
        if unknown:
            raise InputError("--jeugdregio", f"unknown jeugdregio '{unknown[0]}'", "use JZ codes of the dataset, "
                             "e.g. JZ13", field="jeugdregio")
    if sc.jeugdregios:
        unknown = sorted(set(sc.jeugdregios) - set(ds.jeugdregio_names))
        if unknown:
            raise InputError(src, f"unknown jeugdregio '{unknown[0]}'", "use JZ codes of the dataset, e.g. JZ13",
                             field="jeugdregios")
    target = sc.objective.target_swvs_national
    if target is not None and not json_out:
        console.print(f"national target {target} SWVs: every jeugdregio is solved at its own optimum first, then "
                      "the counts are chosen (further solves, no progress lines)")
    if sc.solver.total_time_s and not json_out:
        console.print(f"time budget {sc.solver.total_time_s:g} s for the whole run: each jeugdregio gets its share "
                      f"of the time left as it starts (at most {sc.solver.time_limit_s:g} s)")
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        n = len(jeugdregio or sc.jeugdregios or ds.jeugdregio_names)
        task = bar.add_task(f"solving {sc.name}", total=n)

        def progress(rep) -> None:
            style = _STYLE.get(rep.status, "white")
            if not json_out:
                console.print(f"[{style}]{rep.jeugdregio} {rep.name}: {rep.status}[/{style}], {rep.n_swvs} SWV, "
                                  f"{rep.n_units} units, {rep.seconds:.1f} s"
                                  + (f", gap {rep.gap:.2%}" if rep.gap else "")
                                  + (f" — {rep.message}" if rep.message else ""))
            bar.advance(task)

        try:
            res = solve(ds, sc, jeugdregios=jeugdregio, progress=progress, start=start_proposal)
        except InputError as exc:
            if exc.where == "scenario":
                raise InputError(src, exc.problem, exc.fix, field=exc.field) from None
            raise
    if not res.proposal.assignment:
        problem, fix = _split(res.infeasibilities[0] if res.infeasibilities else "no jeugdregio could be solved")
        raise InputError(src, problem, fix)
    from regioindeling.export import write_csv, write_geojson

    write_geojson(out, ds, res.proposal, res.evaluation)
    if csv is not None:
        write_csv(csv, res.proposal)
    ev = res.evaluation
    nat = res.national
    if json_out:
        typer.echo(dump_json({"national": nat, "reports": [r.to_dict() for r in res.reports],
                              "infeasibilities": res.infeasibilities,
                              "evaluation_ok": None if ev is None else ev.ok,
                              "violations": [] if ev is None else [v.message for v in ev.violations]}))
    else:
        t = Table("status", "jeugdregio's", title=f"{sc.name}: {nat['n_swvs']} SWVs, {nat['seconds']:.1f} s")
        for status, k in nat["jeugdregios"].items():
            if k:
                t.add_row(status, str(k))
        console.print(t)
        if nat["objective"] is not None:
            console.print(f"objective {nat['objective']:,.0f}" + (f", gap {nat['gap']:.2%}" if nat["gap"] else ""))
        if "target" in nat:
            console.print(nat["target"]["message"])
            for r in res.reports:
                if r.free_swvs is not None and r.n_swvs != r.free_swvs:
                    console.print(f"  {r.jeugdregio} {r.name}: {r.count_note}")
        for msg in res.infeasibilities:
            console.print(f"[red]{msg}[/red]")
        if ev is not None:
            console.print("evaluator: " + ("[green]no violations[/green]" if ev.ok else
                                           f"[red]{len(ev.violations)} violations[/red]"))
            for v in ev.violations[:10]:
                console.print(f"  {v.constraint}: {v.message}")
        console.print(f"wrote {out}" + (f" and {csv}" if csv else ""))
    if res.infeasibilities or (ev is not None and not ev.ok):
        raise typer.Exit(1)

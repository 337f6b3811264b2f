"""``diagnose``: today's indeling against the three principles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from regioindeling.commands.common import DataOption, console, dump_json, load_data


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    app.command("diagnose")(diagnose_command)


def diagnose_command(
    data: DataOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the full diagnosis as JSON.")] = False,
    out: Annotated[Optional[Path], typer.Option(help="Also write the full diagnosis as JSON to this file.")] = None,
    top: Annotated[int, typer.Option(help="Rows per table in the text output (0: all).")] = 0,
) -> None:
    """Today's po and vo SWVs against the principles: jeugdregio borders crossed, SWVs per jeugdregio, OOGO partners."""
    from regioindeling.atomic import write_text
    from regioindeling.diagnose import diagnose

    ds = load_data(data)
    doc = {"data_version": ds.version, **diagnose(ds)}
    if out is not None:
        write_text(out, dump_json(doc) + "\n")
    if json_out:
        typer.echo(dump_json(doc))
        return
    console.print("[bold]Today's indeling against the three principles[/bold]")
    for line in doc["summary"]:
        console.print(f"- {line}")

    def rows(items):
        return items if top <= 0 else items[:top]

    t = Table(title="Current SWVs crossing a jeugdregio border (largest share outside first)")
    for col in ("swv", "sector", "pupils", "main jeugdregio", "outside main", "jeugdregio's touched"):
        t.add_column(col, justify="right" if col in ("pupils", "outside main") else "left")
    crossing = sorted((r for r in doc["swvs"] if r["n_jeugdregios"] > 1),
                      key=lambda r: (-r["share_outside_main"], r["swv"]))
    for r in rows(crossing):
        t.add_row(r["swv"], r["sector"], f"{r['pupils']:,}", f"{r['main_jeugdregio']} {r['main_jeugdregio_name']}",
                  f"{r['share_outside_main']:.1%}", ", ".join(r["jeugdregios"]))
    console.print(t)
    t = Table(title="SWVs per jeugdregio")
    for col in ("jeugdregio", "name", "po SWVs", "vo SWVs", "gemeenten"):
        t.add_column(col)
    for r in rows(sorted(doc["jeugdregios"], key=lambda r: (-r["n_swv"], r["jeugdregio"]))):
        t.add_row(r["jeugdregio"], r["name"], str(r["n_swv_po"]), str(r["n_swv_vo"]), str(r["n_gemeenten"]))
    console.print(t)
    t = Table(title="SWV partners per gemeente (po + vo; most first)")
    for col in ("gemeente", "name", "jeugdregio", "po", "vo", "partners"):
        t.add_column(col)
    for r in rows(sorted(doc["gemeenten"], key=lambda r: (-r["partners"], r["gemeente"]))):
        t.add_row(r["gemeente"], r["name"], r["jeugdregio"], ", ".join(r["swv_po"]), ", ".join(r["swv_vo"]),
                  str(r["partners"]))
    console.print(t)
    if out is not None:
        console.print(f"wrote {out}")

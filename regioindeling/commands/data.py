"""``data build`` and ``data info``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from regioindeling.commands.common import DataOption, console, dump_json, err_console, load_data


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    data_app.command("build")(build)
    data_app.command("info")(info)


def build(
    raw: Annotated[Optional[Path], typer.Option(help="Folder with the raw official files "
                                                 "(default: $REGIOINDELING_RAW or ../shared/data).")] = None,
    out: Annotated[Path, typer.Option(help="Dataset folder to write (replaced only when the build succeeds).")]
    = Path("data/geo"),
    json_out: Annotated[bool, typer.Option("--json", help="Print the reconciliation summary as JSON.")] = False,
) -> None:
    """Build the dataset from the official sources and print the reconciliation summary."""
    from regioindeling.data.build import build_dataset
    from regioindeling.paths import raw_data_dir

    raw = raw or raw_data_dir()
    with err_console.status("building") as status:
        rep = build_dataset(raw, out, progress=lambda msg: status.update(f"building: {msg}"))
    if json_out:
        console.print_json(dump_json(rep.to_dict()))
        return
    table = Table(title=f"Reconciliation summary ({raw} -> {out})", show_lines=False)
    table.add_column("check")
    table.add_column("result")
    for key, text in rep.lines:
        table.add_row(key, text)
    console.print(table)
    console.print(f"wrote {out}: " + ", ".join(f"{k} {v}" for k, v in rep.counts.items()))


def info(
    data: DataOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Counts, totals, data version and the age of each source."""
    ds = load_data(data)
    doc = ds.info()
    if json_out:
        typer.echo(dump_json(doc))
        return
    console.print(f"[bold]dataset[/bold] {doc['path']}  version {doc['data_version']}")
    t = Table("what", "count")
    for k, v in doc["counts"].items():
        t.add_row(k, f"{v:,}")
    for k, v in doc["totals"].items():
        t.add_row(k, f"{v:,}")
    for k, v in doc["schools_by_sector"].items():
        t.add_row(f"school sites {k}", f"{v:,}")
    console.print(t)
    s = Table("source", "publisher", "describes", "fetched", title="sources")
    for src in doc["sources"]:
        s.add_row(src["description"], src["publisher"], src["reference_date"], src["fetched_at"] or "reference copy")
    console.print(s)
    for key, text in doc.get("estimates", {}).items():
        console.print(f"[italic]estimate {key}:[/italic] {text}")

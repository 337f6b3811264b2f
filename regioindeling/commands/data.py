"""``data build`` and ``data info``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from regioindeling.commands.common import DataOption, console, dump_json, err_console, load_data


def register(app: typer.Typer, data_app: typer.Typer) -> None:
    data_app.command("build")(build)
    data_app.command("fetch")(fetch)
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


def fetch(
    out: Annotated[Path, typer.Option(help="Folder for the downloaded raw files (replaced only when every source "
                                           "downloaded and validated).")],
    build_to: Annotated[Optional[Path], typer.Option("--build", help="Then build a dataset into this folder "
                                                     "(e.g. data/geo).")] = None,
    source: Annotated[Optional[list[str]], typer.Option(help="Override a source address: NAME=URL (repeatable; "
                                                        "names in docs/data-refresh.md).")] = None,
    mirror: Annotated[Optional[str], typer.Option(help="Fetch every source from this host instead "
                                                  "(scheme://host:port; same paths), e.g. a local mirror.")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for an answer per request.")] = 60.0,
    retries: Annotated[int, typer.Option(help="Attempts per request (network errors, timeouts, HTTP 5xx).")] = 4,
) -> None:
    """Download the current official sources (CBS/PDOK, DUO, the Regeling) into --out, then optionally build."""
    from regioindeling.data.fetch import FetchConfig, HttpSettings, fetch_all, parse_source_overrides

    cfg = FetchConfig(http=HttpSettings(timeout=timeout, attempts=max(1, retries)))
    if mirror:
        cfg = cfg.rebased(mirror)
    cfg = cfg.with_urls(parse_source_overrides(source or []))
    with err_console.status("fetching") as status:
        rep = fetch_all(out, cfg, progress=lambda msg: status.update(f"fetching: {msg}"))
    table = Table(title=f"Fetched into {out} ({rep.requests} requests)")
    table.add_column("role")
    table.add_column("result")
    for key, text in rep.lines:
        table.add_row(key, text)
    console.print(table)
    if build_to is not None:
        build(raw=out, out=build_to, json_out=False)


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
    s = Table("source", "publisher", "describes", "fetched", "age (days)", title="sources")
    for src in doc["sources"]:
        age = "" if src.get("age_days") is None else f"{src['age_days']:,}"
        if age and src.get("age_from") == "reference_date":
            age += " (since the date it describes)"
        s.add_row(src["description"], src["publisher"], src["reference_date"], src["fetched_at"] or "reference copy",
                  age)
    console.print(s)
    for key, text in doc.get("estimates", {}).items():
        console.print(f"[italic]estimate {key}:[/italic] {text}")

"""Helpers shared by the command modules: console, JSON output, dataset option."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

DataOption = Annotated[Optional[Path], typer.Option(
    "--data", help="Dataset directory (default: the embedded data/geo).", show_default=False)]


def dump_json(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False)


def load_data(path: Path | None):
    from regioindeling.data import load

    return load(path)

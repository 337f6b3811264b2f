"""Where things live: the embedded dataset, the raw sources, the scenario store."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data" / "geo"
DEFAULT_SCENARIO = PROJECT_ROOT / "scenarios" / "default.toml"


def raw_data_dir() -> Path:
    """The raw official files: $REGIOINDELING_RAW, else ``../shared/data`` beside the project."""
    env = os.environ.get("REGIOINDELING_RAW")
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"

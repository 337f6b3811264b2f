"""The national dataset: ``load()`` the embedded one or ``load(path)`` a directory with the same schema.

Every schema problem raises :class:`~regioindeling.errors.InputError` naming the file, the column and the fix.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from regioindeling.data import schema
from regioindeling.errors import InputError
from regioindeling.paths import DEFAULT_DATA_DIR

__all__ = ["Dataset", "load", "DEFAULT_DATA_DIR"]


@dataclass(frozen=True, eq=False)
class Dataset:
    """The tables of a dataset (GeoDataFrames in WGS84) and its metadata (``dataset.json``)."""

    path: Path
    gemeenten: gpd.GeoDataFrame
    jeugdregios: gpd.GeoDataFrame
    pc4: gpd.GeoDataFrame
    schools: gpd.GeoDataFrame
    swv_current: gpd.GeoDataFrame
    adjacency_pc4: pd.DataFrame
    adjacency_gemeente: pd.DataFrame
    meta: dict = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.meta.get("data_version", "unknown")

    @cached_property
    def jeugdregio_names(self) -> dict[str, str]:
        return dict(zip(self.jeugdregios.jeugdregio, self.jeugdregios.name))

    @cached_property
    def gemeente_names(self) -> dict[str, str]:
        return dict(zip(self.gemeenten.gemeente, self.gemeenten.name))

    def info(self) -> dict:
        """Counts, totals and versions, as ``data info`` prints them."""
        cur = self.swv_current
        return {
            "data_version": self.version,
            "path": str(self.path),
            "counts": {
                "gemeenten": len(self.gemeenten), "jeugdregios": len(self.jeugdregios), "pc4": len(self.pc4),
                "schools": len(self.schools), "swv_po": int((cur.sector == "po").sum()),
                "swv_vo": int((cur.sector == "vo").sum()),
                "adjacency_pc4": len(self.adjacency_pc4), "adjacency_gemeente": len(self.adjacency_gemeente),
            },
            "totals": {
                "pupils_po_estimated": round(float(self.pc4.pupils_po.sum())),
                "pupils_vo_estimated": round(float(self.pc4.pupils_vo.sum())),
                "residents": round(float(self.pc4.population.sum())),
                "pupils_at_school_sites": int(self.schools.pupils.sum()),
            },
            "schools_by_sector": {k: int(v) for k, v in self.schools.sector.value_counts().sort_index().items()},
            "sources": [
                {**{k: s.get(k, "") for k in ("role", "description", "reference_date", "fetched_at", "publisher")},
                 **source_age(s)}
                for s in self.meta.get("sources", [])
            ],
            "estimates": self.meta.get("estimates", {}),
        }


def source_age(source: dict, today: dt.date | None = None) -> dict:
    """Days since a source was fetched (``fetched_at``) or, for the reference copy, since the date it describes
    (``reference_date``; a bare year counts from 1 January). ``age_days`` is None when neither is a date."""
    today = today or dt.date.today()
    for key in ("fetched_at", "reference_date"):
        value = str(source.get(key) or "").strip()
        m = re.match(r"^(\d{4})(?:-(\d{2})-(\d{2}))?", value)
        if m:
            day = dt.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
            return {"age_days": max(0, (today - day).days), "age_from": key}
    return {"age_days": None, "age_from": ""}


def _read_table(path: Path, table: schema.Table) -> pd.DataFrame:
    file = path / table.file
    if not file.is_file():
        raise InputError(file, f"missing dataset file for table '{table.name}'",
                         "rebuild the dataset with 'regioindeling data build --raw RAW --out DIR'")
    try:
        pf = pq.ParquetFile(file)
        names = pf.schema_arrow.names
    except Exception:
        raise InputError(file, "not a readable Parquet file (corrupted or truncated)",
                         "rebuild the dataset with 'regioindeling data build'") from None
    for col in table.columns:
        if col not in names:
            raise InputError(file, "column missing", f"add column '{col}' ({table.columns[col]}) or rebuild the dataset",
                             field=col)
    try:
        if table.geometry:
            df = gpd.read_parquet(file, columns=list(table.columns))
        else:
            df = pd.read_parquet(file, columns=list(table.columns))
    except Exception as exc:
        raise InputError(file, f"unreadable table ({type(exc).__name__}: {exc})",
                         "rebuild the dataset with 'regioindeling data build'") from None
    return df


def _check_types(file: Path, df: pd.DataFrame, table: schema.Table) -> None:
    for col, kind in table.columns.items():
        s = df[col]
        ok = {
            "str": lambda s: pd.api.types.is_string_dtype(s) or pd.api.types.is_object_dtype(s),
            "int": pd.api.types.is_integer_dtype,
            "float": pd.api.types.is_numeric_dtype,
            "geometry": lambda s: isinstance(s, gpd.GeoSeries),
        }[kind](s)
        if ok and kind == "str" and len(s) and not all(isinstance(v, str) for v in s.head(50)):
            ok = False
        if not ok:
            raise InputError(file, f"wrong type {s.dtype} (expected {kind})", "rebuild the dataset or fix the column",
                             field=col)
        if kind in ("int", "float") and s.isna().any():
            raise InputError(file, f"{int(s.isna().sum())} empty values", "fill the column (0 where unknown)", field=col)


def _check_geometry(file: Path, gdf: gpd.GeoDataFrame, table: schema.Table) -> None:
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise InputError(file, f"wrong CRS {gdf.crs.to_string() if gdf.crs else 'none'} (expected EPSG:4326, WGS84)",
                         "store geometry in WGS84 lon/lat (e.g. gdf.to_crs(4326))", field="geometry")
    geoms = gdf.geometry.values
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        key = gdf[table.key[0]][empty].iloc[0]
        raise InputError(file, f"empty geometry for {key}", "give every row a geometry", field="geometry")
    want = ("Polygon", "MultiPolygon") if table.geometry == "polygon" else ("Point",)
    bad_type = ~gdf.geom_type.isin(want)
    if bad_type.any():
        key = gdf[table.key[0]][bad_type].iloc[0]
        raise InputError(file, f"{key} has a {gdf.geom_type[bad_type].iloc[0]} (expected {' or '.join(want)})",
                         "store the right geometry type", field="geometry")
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        key = gdf[table.key[0]][invalid].iloc[0]
        raise InputError(file, f"invalid geometry for {key} ({int(invalid.sum())} in all)",
                         "repair it (e.g. shapely.make_valid) or rebuild the dataset", field="geometry")
    b = geoms.total_bounds if hasattr(geoms, "total_bounds") else gdf.total_bounds
    if not (2.5 <= b[0] and b[2] <= 7.6 and 50.5 <= b[1] and b[3] <= 53.8):
        raise InputError(file, f"coordinates outside the Netherlands (bounds {np.round(b, 3).tolist()}); "
                         "lat/lon swapped or a projected CRS stored as WGS84?",
                         "store lon/lat in WGS84 (x = longitude)", field="geometry")


def _check_keys(file: Path, df: pd.DataFrame, table: schema.Table) -> None:
    dup = df.duplicated(list(table.key))
    if dup.any():
        row = df[dup].iloc[0]
        key = ", ".join(str(row[k]) for k in table.key)
        raise InputError(file, f"duplicate code {key}", "keep one row per code", field="/".join(table.key))


def _check_refs(path: Path, d: dict[str, pd.DataFrame]) -> None:
    jz = set(d["jeugdregios"].jeugdregio)
    gm = set(d["gemeenten"].gemeente)
    pc = set(d["pc4"].pc4)

    def must(table: str, col: str, allowed: set, what: str, fix: str) -> None:
        values = d[table][col]
        bad = ~values.isin(allowed)
        if bad.any():
            raise InputError(path / f"{table}.parquet", f"{int(bad.sum())} rows with unknown {what} "
                             f"(first: '{values[bad].iloc[0]}')", fix, field=col)

    must("gemeenten", "jeugdregio", jz, "jeugdregio", "give every gemeente a jeugdregio from jeugdregios.parquet")
    must("pc4", "jeugdregio", jz, "jeugdregio", "give every PC4 a jeugdregio from jeugdregios.parquet")
    must("pc4", "gemeente", gm, "gemeente", "give every PC4 a gemeente from gemeenten.parquet")
    must("schools", "pc4", pc, "PC4", "give every school a PC4 from pc4.parquet")
    for col in ("a", "b"):
        must("adjacency_pc4", col, pc, "PC4", "adjacency may only name PC4s of pc4.parquet")
        must("adjacency_gemeente", col, gm, "gemeente", "adjacency may only name gemeenten of gemeenten.parquet")
    pc4 = d["pc4"].set_index("pc4")
    mixed = pc4.jeugdregio.ne(pc4.gemeente.map(d["gemeenten"].set_index("gemeente").jeugdregio))
    if mixed.any():
        code = mixed[mixed].index[0]
        raise InputError(path / "pc4.parquet", f"PC4 {code} lies in another jeugdregio than its gemeente",
                         "take the PC4's jeugdregio from its gemeente", field="jeugdregio")
    for col in ("swv_po", "swv_vo"):
        empty = d["pc4"][col].eq("")
        if empty.any():
            raise InputError(path / "pc4.parquet", f"PC4 {d['pc4'].pc4[empty].iloc[0]} has no current SWV",
                             "fill the SWV code from the Regeling", field=col)


def load(path: str | Path | None = None, validate: bool = True) -> Dataset:
    """Load a dataset directory (default: the embedded ``data/geo``) and check its schema."""
    path = Path(path) if path is not None else DEFAULT_DATA_DIR
    if not path.is_dir():
        raise InputError(path, "dataset directory not found",
                         "pass a directory made by 'regioindeling data build' (or omit it for the embedded data)")
    meta_file = path / schema.META_FILE
    if not meta_file.is_file():
        raise InputError(meta_file, "missing dataset metadata", "rebuild the dataset with 'regioindeling data build'")
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(meta_file, f"not valid JSON ({exc})", "rebuild the dataset with 'regioindeling data build'") from None
    if meta.get("schema_version") != schema.SCHEMA_VERSION:
        raise InputError(meta_file, f"schema version {meta.get('schema_version')!r}, expected {schema.SCHEMA_VERSION}",
                         "rebuild the dataset with this version of regioindeling", field="schema_version")
    tables: dict[str, pd.DataFrame] = {}
    for table in schema.TABLES:
        df = _read_table(path, table)
        if validate:
            file = path / table.file
            _check_types(file, df, table)
            _check_keys(file, df, table)
            if table.geometry:
                _check_geometry(file, df, table)
        tables[table.name] = df
    if validate:
        _check_refs(path, tables)
    return Dataset(path=path, meta=meta, **tables)

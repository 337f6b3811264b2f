"""The dataset's tables: their files, columns and types, how they are written, and the metadata beside them.

Format: GeoParquet (one file per table) plus ``dataset.json``. Parquet keeps column types (codes stay strings,
pupils stay numbers), compresses well (the national set is a few MB) and loads in milliseconds; GeoJSON would
lose the types and GeoPackage rewrites timestamps on every build, which breaks byte-for-byte determinism.
All geometry is WGS84 (EPSG:4326); distances are computed in RD New from the stored ``x``/``y`` columns.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

META_FILE = "dataset.json"
SCHEMA_VERSION = 1
AGE_BANDS = ("age_0_4", "age_5_9", "age_10_14", "age_15_19")

# str, int, float, geometry
Kind = str


@dataclass(frozen=True)
class Table:
    name: str
    columns: dict[str, Kind]
    key: tuple[str, ...]
    geometry: str | None = None  # "polygon" or "point"

    @property
    def file(self) -> str:
        return f"{self.name}.parquet"


GEMEENTEN = Table("gemeenten", {
    "gemeente": "str", "name": "str", "jeugdregio": "str", "jeugdregio_name": "str", "jeugdregio_share": "float",
    "pupils_po": "float", "pupils_vo": "float", "population": "int", "n_pc4": "int", "x": "float", "y": "float",
    "swv_po": "str", "swv_vo": "str", "swv_po_shares": "str", "swv_vo_shares": "str", "geometry": "geometry",
}, key=("gemeente",), geometry="polygon")

JEUGDREGIOS = Table("jeugdregios", {"jeugdregio": "str", "name": "str", "geometry": "geometry"},
                    key=("jeugdregio",), geometry="polygon")

PC4 = Table("pc4", {
    "pc4": "str", "gemeente": "str", "jeugdregio": "str", "gemeente_share": "float", "swv_po": "str",
    "swv_vo": "str", "swv_source": "str", "population": "float", "age_0_4": "float", "age_5_9": "float",
    "age_10_14": "float", "age_15_19": "float", "n_age_cells_missing": "int", "pupils_po": "float",
    "pupils_vo": "float", "scale_po": "float", "scale_vo": "float", "n_sbo": "int", "n_so": "int", "n_vso": "int",
    "n_pro": "int", "x": "float", "y": "float", "area_km2": "float", "geometry": "geometry",
}, key=("pc4",), geometry="polygon")

SCHOOLS = Table("schools", {
    "vestigingscode": "str", "brin": "str", "name": "str", "sector": "str", "type_duo": "str", "pupils": "int",
    "pupils_source": "str", "pc4": "str", "gemeente": "str", "jeugdregio": "str", "swv_po": "str", "swv_vo": "str",
    "x": "float", "y": "float", "geometry": "geometry",
}, key=("vestigingscode",), geometry="point")

SWV_CURRENT = Table("swv_current", {
    "swv": "str", "sector": "str", "pupils": "float", "pupils_po": "float", "pupils_vo": "float", "n_pc4": "int",
    "gemeenten": "str", "jeugdregios": "str", "main_jeugdregio": "str", "share_outside_main": "float",
    "geometry": "geometry",
}, key=("swv",), geometry="polygon")

ADJ_PC4 = Table("adjacency_pc4", {"a": "str", "b": "str", "kind": "str", "shared_m": "int", "note": "str"},
                key=("a", "b"))
ADJ_GEMEENTE = Table("adjacency_gemeente", {"a": "str", "b": "str", "kind": "str", "shared_m": "int", "note": "str"},
                     key=("a", "b"))

TABLES: tuple[Table, ...] = (GEMEENTEN, JEUGDREGIOS, PC4, SCHOOLS, SWV_CURRENT, ADJ_PC4, ADJ_GEMEENTE)

_SECTOR_BY_TYPE = {"basisschool": "bao", "SBAO": "sbo", "SO": "so", "VSO": "vso", "(V)SO": "so/vso"}
_SECTOR_BY_SOORT = {"BO": "bao", "SBO": "sbo", "SO": "so", "VSO": "vso", "SO/VSO": "so/vso"}


def sector_of(type_duo: str, soort_duo: str | None = None) -> str:
    """Sector of a school site from DUO's type (and, for special education, DUO's SOORT_VESTIGING).

    Any vo structure that includes PRO counts as a praktijkonderwijs site (principle 2 asks for the facility,
    not a stand-alone school).
    """
    t = (type_duo or "").strip()
    if t in ("SO", "VSO", "(V)SO", "SBAO") and soort_duo in _SECTOR_BY_SOORT and soort_duo != "BO":
        return _SECTOR_BY_SOORT[soort_duo]
    if t in _SECTOR_BY_TYPE:
        return _SECTOR_BY_TYPE[t]
    if "PRO" in t.split("/"):
        return "pro"
    return "vo"


def _coerce(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    df = df[list(table.columns)].copy()
    for col, kind in table.columns.items():
        if kind == "str":
            df[col] = df[col].fillna("").astype(str).astype(object)
        elif kind == "int":
            df[col] = df[col].astype("int64")
        elif kind == "float":
            df[col] = df[col].astype("float64")
    return df.sort_values(list(table.key), kind="stable").reset_index(drop=True)


def write_tables(out_dir: Path, tables: dict[str, pd.DataFrame]) -> None:
    for table in TABLES:
        df = _coerce(tables[table.name], table)
        path = out_dir / table.file
        if table.geometry:
            gpd.GeoDataFrame(df, geometry="geometry", crs="EPSG:4326").to_parquet(
                path, compression="zstd", index=False, write_covering_bbox=False, schema_version="1.0.0")
        else:
            df.to_parquet(path, compression="zstd", index=False)


def content_hash(out_dir: Path) -> str:
    h = hashlib.sha256()
    for table in TABLES:
        h.update(table.file.encode())
        h.update((out_dir / table.file).read_bytes())
    return h.hexdigest()


ATTRIBUTION = [
    "Bron: CBS / PDOK - CBS gebiedsindelingen (gemeenten, jeugdregio's 2025) and Kerncijfers per postcode "
    "(PC4 2020, population 1 Jan 2021), CBS open data, CC BY 4.0.",
    "DUO (Dienst Uitvoering Onderwijs), open onderwijsdata: school sites and pupils per vestiging "
    "(licence CC0 or CC BY 4.0, to be verified on duo.nl). School sites geocoded to BAG by edugis "
    "(data-nl-scholen, 2024-11-22).",
    "Regeling regio-indeling samenwerkingsverbanden passend onderwijs PO en VO (BWBR0032324), version "
    "2015-04-23, via an unofficial mirror of wetten.overheid.nl; later amendments are not included.",
]


def attribution(src: dict) -> list[str]:
    """The attribution lines; for fetched sources, the reference copy's mirror and geocoder notes are replaced."""
    if not any(s.fetched_at for s in src.values()):
        return list(ATTRIBUTION)
    regeling = src["swv_pc4"]
    return [
        "Bron: CBS / PDOK - CBS gebiedsindelingen (gemeenten, jeugdregio's) and CBS postcode-4 statistics "
        f"(population {src['pc4_population'].reference_date}), CBS open data, CC BY 4.0.",
        "DUO (Dienst Uitvoering Onderwijs), open onderwijsdata: school sites and pupils per vestiging; school sites "
        "geocoded with the PDOK Locatieserver (BAG).",
        "Regeling regio-indeling samenwerkingsverbanden passend onderwijs PO en VO (BWBR0032324), "
        f"version {regeling.reference_date or 'current'}, wetten.overheid.nl.",
    ]


def metadata(out_dir: Path, src: dict, raw_dir: Path, report, pupil_method: str) -> dict:
    from regioindeling.data.raw import sha256_of

    digest = content_hash(out_dir)
    years = {role: s.reference_date for role, s in sorted(src.items())}
    return {
        "schema_version": SCHEMA_VERSION,
        "data_version": f"nl-gm{years['gemeenten'][:4]}-swv{years['swv_pc4'][:4]}-{digest[:10]}",
        "content_sha256": digest,
        "crs": "EPSG:4326 (geometry); x/y columns in EPSG:28992 RD New metres",
        "sources": [
            {"role": role, "description": s.description, "publisher": s.publisher, "reference_date": s.reference_date,
             "licence": s.licence, "file": Path(s.path).name, "url": s.url, "fetched_at": s.fetched_at,
             "sha256": s.sha256 or sha256_of(Path(raw_dir) / s.path)}
            for role, s in sorted(src.items())
        ],
        "attribution": attribution(src),
        "estimates": {
            "pupils": pupil_method,
            "pc4_centre": "Area centroid of the PC4 (an inside point where the centroid falls outside); no "
                          "population below PC4 level is available, so a PC4's residents are placed at that point. "
                          "Gemeente centres are the residents-weighted mean of their PC4 centres.",
            "pc4_gemeente": "Each PC4 belongs wholly to the 2025 gemeente it overlaps most (column gemeente_share).",
            "swv_inferred": f"PC4 areas missing from the {src['swv_pc4'].reference_date[:4]} Regeling and its "
                            "Europoort rows take the SWV most "
                            "common among their neighbours (column swv_source).",
            "adjacency": "Rook: two PC4 areas are neighbours when they share >= 10 m of border (2 m snapping). "
                         "Ferry links join the Wadden islands to their ports and Vlissingen to Breskens; links "
                         "stand for fixed crossings over water (Zeelandbrug, Oosterscheldekering, "
                         "Westerscheldetunnel), each joining the nearest pair of PC4s of the two gemeenten, and "
                         "join any other piece that would be cut off to the nearest PC4 of its jeugdregio. "
                         "Gemeente adjacency is lifted from PC4 adjacency.",
            "geometry": "PC4 polygons are coverage-simplified (60 m) for display; shared borders stay shared.",
        },
        "reconciliation": report.to_dict(),
        "tables": {t.name: {"file": t.file, "columns": t.columns, "key": list(t.key)} for t in TABLES},
    }


def readme(meta: dict) -> str:
    lines = [
        "# regioindeling embedded dataset",
        "",
        f"Data version `{meta['data_version']}`. Built by `regioindeling data build` from the official sources "
        "below; do not edit by hand. Full provenance, method notes and the reconciliation summary are in "
        "`dataset.json`.",
        "",
        "## Format",
        "",
        "One GeoParquet file per table plus `dataset.json`. Parquet keeps column types (codes stay strings, pupils "
        "numbers), compresses the national set to a few MB and loads in well under a second; GeoJSON would lose "
        "the types and is several times larger, and GeoPackage rewrites timestamps on every build, so two builds "
        "of the same sources would not be byte-identical. QGIS and GDAL >= 3.5 open the files directly. "
        "Geometry is WGS84 (EPSG:4326); `x`/`y` columns are RD New (EPSG:28992) metres for distances.",
        "",
        "## Tables",
        "",
    ]
    counts = meta["reconciliation"]["counts"]
    for name, t in meta["tables"].items():
        n = counts.get(name, counts.get({"swv_current": "swv_po"}.get(name, ""), ""))
        lines.append(f"- `{t['file']}` (key {', '.join(t['key'])}{'; ' + str(n) + ' rows' if n != '' and name != 'swv_current' else ''}): "
                     + ", ".join(t["columns"]))
    lines += ["", "## Estimated figures", ""]
    lines += [f"- **{k}**: {v}" for k, v in meta["estimates"].items()]
    lines += ["", "## Sources", "", "| role | what | publisher | reference date | licence |", "|---|---|---|---|---|"]
    lines += [f"| {s['role']} | {s['description']} | {s['publisher']} | {s['reference_date']} | {s['licence']} |"
              for s in meta["sources"]]
    lines += ["", "## Attribution", ""] + [f"- {a}" for a in meta["attribution"]]
    lines += ["", "## Reconciliation summary (from the build)", ""]
    lines += [f"- {r['check']}: {r['result']}" for r in meta["reconciliation"]["summary"]]
    return "\n".join(lines) + "\n"


def describe(table: Table) -> str:
    return json.dumps(table.columns)

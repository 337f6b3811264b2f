"""The raw official inputs of ``data build``, by role.

A raw directory is either the project's reference copy (``../shared/data``, whose file names are the defaults
below) or the output of ``data fetch``, which writes a ``manifest.json`` naming a file per role together with
its URL, fetch date and checksum. ``data build`` reads only through this module.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from regioindeling.errors import InputError

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class RawSource:
    """One raw input file and where it came from."""

    role: str
    path: str  # relative to the raw directory
    description: str
    publisher: str
    reference_date: str  # the date or year the content describes
    licence: str
    url: str = ""
    fetched_at: str = ""  # ISO timestamp of the download, empty for the reference copy
    sha256: str = ""
    # what 'data fetch' downloaded to make this file: [{"url", "sha256", "bytes"}] (empty for the reference copy)
    downloads: list = field(default_factory=list)


# role -> what build expects in it (columns, format). Kept here so fetch and build read one contract.
ROLE_CONTRACT: dict[str, str] = {
    "gemeenten": "vector file (GeoJSON), CRS declared or WGS84; properties statcode (GMxxxx), statnaam",
    "jeugdregios": "vector file (GeoJSON), CRS declared or WGS84; properties statcode (JZxx), statnaam",
    "pc4_polygons": "vector file (GeoJSON), CRS declared (RD New or WGS84); property pc4 (integer or 4-digit string)",
    "pc4_population": "CSV: pc4, age_0_4, age_5_9, age_10_14, age_15_19, ... (CBS five-year bands), empty = unknown",
    "swv_pc4": "CSV: pc4, gemeente, swv_po, swv_vo (Regeling regio-indeling SWV annex; 'Europoort' allowed)",
    "schools": "GeoJSON points (lon/lat): vestigingscode, brin_nummer, naam, type, postcode, leerlingen",
    "po_pupils": "CSV (';', DUO 'historisch overzicht aantal leerlingen per schoolvestiging'): VESTIGINGSCODE, "
    "SOORT_VESTIGING, LEERLINGEN_<year> columns",
}

_CBS_PDOK = "CBS / PDOK (CBS gebiedsindelingen)"
_CC_BY = "CC BY 4.0 (CBS open data)"
_DUO = "DUO (Dienst Uitvoering Onderwijs), open onderwijsdata"
_DUO_LIC = "DUO open onderwijsdata (CC0 or CC BY 4.0; verify on duo.nl)"

# The reference copy in ../shared/data; dates and publishers from its SOURCES.md files.
REFERENCE_SOURCES: tuple[RawSource, ...] = (
    RawSource("gemeenten", "geo/gemeente_2025_wgs84_DECODED.geojson", "gemeente boundaries 2025 (generalised)",
              _CBS_PDOK, "2025", _CC_BY),
    RawSource("jeugdregios", "geo/jeugdregio_2025_wgs84_DECODED.geojson", "jeugdregio boundaries 2025 (generalised)",
              _CBS_PDOK, "2025", _CC_BY),
    RawSource("pc4_polygons", "geo/pc4_2020_polygons_rd.geojson", "PC4 postcode areas (CBS PC4 2020 v1)",
              "CBS (Kerncijfers per postcode)", "2020", _CC_BY),
    RawSource("pc4_population", "geo/pc4_population_by_age_2021.csv", "population per PC4 in five-year age bands",
              "CBS StatLine 83502NED", "2021-01-01", _CC_BY),
    RawSource("swv_pc4", "onderwijs/swv_pc4.csv", "PC4 -> po and vo SWV (Regeling regio-indeling, BWBR0032324)",
              "Minister van OCW (wetten.overheid.nl, BWBR0032324)", "2015-04-23", "public law (Auteurswet art. 11)"),
    RawSource("schools", "onderwijs/edugis_scholen_20241122.geo.json",
              "DUO school sites (bao, sbo, so, vso, vo, pro), geocoded to BAG; pupils 2023-24",
              _DUO, "2024-11-22", _DUO_LIC),
    RawSource("po_pupils", "onderwijs/duo_06_historisch_overzicht_aantal_leerlingen_per_schoolvestiging.csv",
              "DUO pupils per po vestiging (bo, sbo, so, vso) 1996-2025", _DUO, "2025", _DUO_LIC),
)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(raw_dir: Path) -> dict[str, RawSource]:
    """The sources of ``raw_dir`` by role: its ``manifest.json`` if present, else the reference file names."""
    raw_dir = Path(raw_dir)
    if not raw_dir.is_dir():
        raise InputError(raw_dir, "raw data directory not found",
                         "pass --raw the folder holding the official files (e.g. ../shared/data or a 'data fetch' output)")
    manifest = raw_dir / MANIFEST
    if manifest.is_file():
        try:
            doc = json.loads(manifest.read_text(encoding="utf-8"))
            entries = doc["sources"]
            sources = {role: RawSource(role=role, **{k: v for k, v in e.items() if k != "role"})
                       for role, e in entries.items()}
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(manifest, f"unreadable manifest ({exc})", "re-run 'regioindeling data fetch'") from None
    else:
        sources = {s.role: s for s in REFERENCE_SOURCES}
    for role in ROLE_CONTRACT:
        if role not in sources:
            raise InputError(manifest, f"no source for role '{role}'", "re-run 'regioindeling data fetch'",
                             field=f"sources.{role}")
        if not (raw_dir / sources[role].path).is_file():
            raise InputError(raw_dir / sources[role].path, f"missing raw file for role '{role}'",
                             f"provide it ({ROLE_CONTRACT[role]})")
    return sources


def write_manifest(raw_dir: Path, sources: dict[str, RawSource]) -> Path:
    from regioindeling.atomic import write_text

    doc = {"sources": {role: {k: v for k, v in asdict(s).items() if k != "role"}
                       for role, s in sorted(sources.items())}}
    return write_text(Path(raw_dir) / MANIFEST, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")

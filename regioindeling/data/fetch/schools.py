"""The ``schools`` role: DUO school sites (bao, sbo/so/vso, vo) with coordinates and pupils, as GeoJSON points.

Sites come from DUO's three address files; ``type`` follows DUO (``basisschool`` for bao, SOORT PRIMAIR
ONDERWIJS for special education, ONDERWIJSSTRUCTUUR for vo) so that ``data build`` classifies them as it does
for the reference copy. Coordinates come from the PDOK Locatieserver (see :mod:`.geocode`); a site whose
address and 6-position postcode are both unknown gets the centre of its PC4 area (``geocode = "pc4"``).
Pupils: vo from DUO 'leerlingen vo per vestiging', po from the newest year of the po pupils file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from regioindeling.data.fetch.duo import DuoFile, latest_year_column
from regioindeling.data.fetch.geocode import Address, Located, parse_address
from regioindeling.errors import InputError

ADDRESS_COLUMNS = ["VESTIGINGSCODE", "INSTELLINGSCODE", "VESTIGINGSNAAM", "STRAATNAAM", "HUISNUMMER-TOEVOEGING",
                   "POSTCODE", "PLAATSNAAM", "GEMEENTENAAM"]
BAO_COLUMNS = ADDRESS_COLUMNS
SPECIAL_COLUMNS = ["SOORT PRIMAIR ONDERWIJS", *ADDRESS_COLUMNS]
VO_COLUMNS = ["ONDERWIJSSTRUCTUUR", *ADDRESS_COLUMNS]
VO_PUPIL_COLUMNS = ["VESTIGINGSCODE", "AANTAL LEERLINGEN"]
PO_PUPIL_COLUMNS = ["VESTIGINGSCODE", "SOORT_VESTIGING"]
MAX_UNLOCATED_SHARE = 0.005  # the same tolerance data build allows for dropped pupils


@dataclass(frozen=True)
class Site:
    vestigingscode: str
    brin: str
    naam: str
    type: str
    straat: str
    huisnummer: str
    postcode: str
    plaats: str
    gemeente: str
    address: Address | None


@dataclass
class SchoolsReport:
    sites: int = 0
    by_precision: dict[str, int] = field(default_factory=dict)
    not_located: list[str] = field(default_factory=list)
    duplicates: int = 0


def _count(value: str) -> int | None:
    v = (value or "").strip()
    if v == "<5":
        return 2  # DUO suppresses 1-4; counted as 2 like the reference copy (edugis) does
    return int(v) if v.isdigit() else None


def sites_from(bao: DuoFile, special: DuoFile, vo: DuoFile) -> tuple[list[Site], int]:
    """All sites, first occurrence of a vestigingscode kept (bao, then special, then vo)."""
    out: dict[str, Site] = {}
    dup = 0
    for f, kind in ((bao, "bao"), (special, "special"), (vo, "vo")):
        for r in f.rows:
            code = r["VESTIGINGSCODE"].replace(" ", "")
            if not code:
                continue
            if code in out:
                dup += 1
                continue
            typ = {"bao": "basisschool", "special": r.get("SOORT PRIMAIR ONDERWIJS", ""),
                   "vo": r.get("ONDERWIJSSTRUCTUUR", "")}[kind]
            pc = r["POSTCODE"].replace(" ", "").upper()
            out[code] = Site(code, r["INSTELLINGSCODE"], r["VESTIGINGSNAAM"], typ, r["STRAATNAAM"],
                             r["HUISNUMMER-TOEVOEGING"], pc, r["PLAATSNAAM"], r["GEMEENTENAAM"],
                             parse_address(pc, r["HUISNUMMER-TOEVOEGING"]))
    return [out[k] for k in sorted(out)], dup


def pupils_from(po: DuoFile, vo: DuoFile) -> dict[str, int]:
    counts: dict[str, int] = {}
    col = latest_year_column(po.header)
    if col:
        for r in po.rows:
            n = _count(r.get(col, ""))
            if n is not None:
                counts.setdefault(r["VESTIGINGSCODE"], n)
    for r in vo.rows:
        n = _count(r.get("AANTAL LEERLINGEN", ""))
        if n is not None:
            counts[r["VESTIGINGSCODE"]] = n
    return counts


def build_geojson(sites: list[Site], pupils: dict[str, int], located: dict[str, Located | None],
                  pc4_centres: dict[str, tuple[float, float]], rep: SchoolsReport) -> dict:
    feats = []
    for s in sites:
        loc = located.get(s.address.key) if s.address else None
        if loc is None and s.postcode[:4] in pc4_centres:
            lon, lat = pc4_centres[s.postcode[:4]]
            loc = Located(round(lon, 6), round(lat, 6), "pc4")
        if loc is None:
            rep.not_located.append(f"{s.vestigingscode} {s.naam} ({s.postcode} {s.huisnummer})")
            continue
        rep.by_precision[loc.precision] = rep.by_precision.get(loc.precision, 0) + 1
        feats.append({"type": "Feature", "properties": {
            "vestigingscode": s.vestigingscode, "brin_nummer": s.brin, "naam": s.naam, "type": s.type,
            "straat": s.straat, "huisnummer": s.huisnummer, "postcode": s.postcode, "plaats": s.plaats,
            "gemeente": s.gemeente, "leerlingen": pupils.get(s.vestigingscode), "geocode": loc.precision},
            "geometry": {"type": "Point", "coordinates": [loc.lon, loc.lat]}})
    rep.sites = len(feats)
    return {"type": "FeatureCollection", "features": feats}


def check_located(rep: SchoolsReport, where: str) -> None:
    """A few sites without any usable address are left out (and listed); more means a source problem."""
    total = rep.sites + len(rep.not_located)
    if rep.not_located and len(rep.not_located) > MAX_UNLOCATED_SHARE * total:
        raise InputError(where, f"{len(rep.not_located)} of {total} school sites could not be located "
                         f"(first: {rep.not_located[0]})",
                         "check the DUO address files and the Locatieserver address (--source locatieserver=URL)")


def previous_locations(path: Path) -> dict[str, Located]:
    """Address -> coordinates from an earlier fetch (only exact address matches are reused)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for f in doc.get("features", []) if isinstance(doc, dict) else []:
        p = f.get("properties") or {}
        a = parse_address(str(p.get("postcode", "")), str(p.get("huisnummer", "")))
        coords = (f.get("geometry") or {}).get("coordinates")
        if a and p.get("geocode") == "adres" and isinstance(coords, list) and len(coords) == 2:
            out[a.key] = Located(float(coords[0]), float(coords[1]), "adres")
    return out

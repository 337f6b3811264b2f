"""Proposals in: our own GeoJSON, a ``unit,swv_id`` CSV, or polygons drawn in another tool (QGIS, Districtr).

Every problem with the file raises one :class:`InputError` line naming the file, the field and the fix; the
file is judged before anything is built from it. Polygon-only GeoJSON is mapped onto the dataset's PC4 areas:
each PC4 goes to the polygon that covers most of its area (areas measured in RD New), and a gemeente whose PC4
areas all land in the same polygon is kept whole (its GM code). The :class:`ImportReport` says how it went.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from regioindeling.errors import InputError
from regioindeling.export import FORMAT
from regioindeling.geometry import RD
from regioindeling.model import Proposal, is_gemeente_code, is_pc4_code

MAX_BYTES = 50 * 1024 * 1024
NAME_KEYS = ("swv_id", "swv", "id", "name", "naam", "district", "DISTRICT", "Name", "NAME")
LOW_COVER = 0.5  # a unit less than half covered by its polygon is listed in the report
NL_ENVELOPE = (0.0, 48.0, 12.0, 56.0)  # lon/lat box a drawn proposal may reach into (sea, neighbours); RD New holds
REFUSED_TYPES = (".xlsx", ".xls", ".ods", ".shp", ".gpkg", ".zip", ".kml", ".kmz", ".gml", ".parquet", ".pdf")


@dataclass
class ImportReport:
    source: str
    format: str  # "geojson" (ours) | "csv" | "polygons"
    n_units: int = 0
    n_swvs: int = 0
    data_version: str | None = None
    warnings: list[str] = field(default_factory=list)
    unassigned: list[str] = field(default_factory=list)  # polygons: PC4 areas no polygon touches
    low_cover: list[dict] = field(default_factory=list)  # polygons: units less than half covered (unit, swv_id, share)
    polygons: list[dict] = field(default_factory=list)  # polygons: swv_id, feature index, n_units, pupils

    def lines(self) -> list[str]:
        out = [f"{self.source}: read {self.format} with {self.n_units} units in {self.n_swvs} SWVs"]
        if self.format == "polygons":
            for p in self.polygons:
                out.append(f"  polygon {p['feature']} -> SWV {p['swv_id']}: {p['n_units']} units")
            if self.unassigned:
                out.append(f"  {len(self.unassigned)} PC4 areas lie outside every polygon and stay unassigned: "
                           + ", ".join(self.unassigned[:10]) + (" ..." if len(self.unassigned) > 10 else ""))
            if self.low_cover:
                out.append(f"  {len(self.low_cover)} units are less than {LOW_COVER:.0%} covered by their polygon")
        out += [f"  warning: {w}" for w in self.warnings]
        return out

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("source", "format", "n_units", "n_swvs", "data_version", "warnings",
                                               "unassigned", "low_cover", "polygons")}


# ---------------------------------------------------------------------------------------------- entry


def read_proposal(path: str | Path, ds) -> tuple[Proposal, ImportReport]:
    """Read a proposal file (GeoJSON of ours, CSV ``unit,swv_id`` or polygon-only GeoJSON)."""
    path = Path(path)
    text = _read_text(path)
    kind = _sniff(path, text)
    if kind == "csv":
        return _from_csv(path, text, ds)
    doc = _parse_json(path, text)
    return _from_geojson(path, doc, ds)


def read_proposal_bytes(name: str, data: bytes, ds) -> tuple[Proposal, ImportReport]:
    """Same as :func:`read_proposal` for an uploaded file (the app)."""
    if len(data) > MAX_BYTES:
        raise InputError(name, f"file is {len(data) / 2**20:.0f} MB, above the {MAX_BYTES // 2**20} MB limit",
                         "simplify the polygons or upload the unit,swv_id CSV instead")
    _check_type(name, Path(name).suffix)
    text = _decode(name, data)
    path = Path(name)
    if _sniff(path, text) == "csv":
        return _from_csv(path, text, ds)
    return _from_geojson(path, _parse_json(path, text), ds)


def _check_type(where, suffix: str) -> None:
    if suffix.lower() in REFUSED_TYPES:
        raise InputError(where, f"file type {suffix.lower()} is not a proposal format",
                         "export it as GeoJSON (.geojson, WGS84) or as a unit,swv_id CSV (.csv)")


def _read_text(path: Path) -> str:
    if not path.is_file():
        raise InputError(path, "file not found", "give the path of an existing .geojson or .csv proposal")
    _check_type(path, path.suffix)
    size = path.stat().st_size
    if size > MAX_BYTES:  # refused before reading a byte of it
        raise InputError(path, f"file is {size / 2**20:.0f} MB, above the {MAX_BYTES // 2**20} MB limit",
                         "simplify the polygons or use the unit,swv_id CSV instead")
    return _decode(path, path.read_bytes())


def _decode(where, data: bytes) -> str:
    if not data.strip():
        raise InputError(where, "file is empty", "export the proposal again (GeoJSON or unit,swv_id CSV)")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError(where, "UTF-16 encoding, not UTF-8", "save the file as UTF-8 (in Excel: CSV UTF-8)")
    if b"\x00" in data[:8192]:
        raise InputError(where, "binary file, not GeoJSON or CSV text",
                         "give a .geojson or .csv file (a shapefile or GeoPackage must be exported as GeoJSON)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(where, "not UTF-8 text", "save the file as UTF-8 (GeoJSON or CSV)") from None


def _sniff(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return "csv"
    if suffix in (".geojson", ".json"):
        return "json"
    return "json" if text.lstrip()[:1] in ("{", "[") else "csv"


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _parse_json(path: Path, text: str):
    head = text.lstrip()[:100].lower()
    if head.startswith("<"):
        kind = "KML/XML" if ("<?xml" in head or "<kml" in head) else "HTML"
        raise InputError(path, f"not valid JSON: the file is {kind}",
                         "export the proposal as GeoJSON (or check the download: an error page is not a proposal)")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                         "repair the file or export it again as GeoJSON") from None
    except ValueError as exc:  # NaN / Infinity
        raise InputError(path, f"not valid JSON: {exc} (coordinates must be numbers)",
                         "remove NaN/Infinity values and export again") from None
    except RecursionError:
        raise InputError(path, "not valid JSON for a proposal: nested too deeply",
                         "give a GeoJSON FeatureCollection of polygons") from None


# ---------------------------------------------------------------------------------------------- validation


def _check_codes(path: Path, rows: list[tuple[str, str, str]], ds) -> dict[str, str]:
    """rows: (unit, swv_id, where) -> assignment; refuses unknown codes, duplicates and overlapping units."""
    gm_of = dict(zip(ds.pc4.pc4, ds.pc4.gemeente))
    known_gm = set(ds.gemeenten.gemeente)
    seen: dict[str, tuple[str, str]] = {}
    for unit, swv, where in rows:
        if not swv:
            raise InputError(path, f"unit {unit} ({where}) has an empty SWV id", "give every unit an swv_id",
                             field="swv_id")
        if not ((is_pc4_code(unit) and unit in gm_of) or (is_gemeente_code(unit) and unit in known_gm)):
            raise InputError(path, f"unknown unit code '{unit}' ({where})",
                             "use GM codes (e.g. GM0363) or 4-digit PC4 codes of the dataset", field="unit")
        if unit in seen:
            other_swv, other_where = seen[unit]
            if other_swv != swv:
                raise InputError(path, f"unit {unit} is in two SWVs: {other_swv} ({other_where}) and {swv} ({where})",
                                 "assign every unit to exactly one SWV", field="unit")
            raise InputError(path, f"unit {unit} appears twice ({other_where} and {where})",
                             "keep one row per unit", field="unit")
        seen[unit] = (swv, where)
    split = {gm_of[u] for u in seen if is_pc4_code(u)}
    both = sorted(u for u in seen if u in split)
    if both:
        pcs = sorted(u for u in seen if is_pc4_code(u) and gm_of[u] == both[0])
        raise InputError(path, f"gemeente {both[0]} is assigned whole ({seen[both[0]][0]}) and its PC4 areas too "
                         f"(e.g. {pcs[0]} to {seen[pcs[0]][0]}), so those PC4s are in two SWVs",
                         "assign either the GM code or its PC4 codes", field="unit")
    if not seen:
        raise InputError(path, "no units in the file", "add unit,swv_id rows (or features)")
    return dict(sorted((u, s) for u, (s, _) in seen.items()))


# ---------------------------------------------------------------------------------------------- CSV


def _from_csv(path: Path, text: str, ds) -> tuple[Proposal, ImportReport]:
    first = text.splitlines()[0] if text.splitlines() else ""
    delim = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise InputError(path, f"unreadable CSV ({exc})", "write a header line 'unit,swv_id'") from None
    if "unit" not in header or "swv_id" not in header:
        raise InputError(path, f"CSV header is '{delim.join(header)}'", "start the file with the header 'unit,swv_id'",
                         field="header")
    iu, isw = header.index("unit"), header.index("swv_id")
    rows = []
    try:
        for n, rec in enumerate(reader, start=2):
            if not rec or all(not c.strip() for c in rec):
                continue
            if len(rec) != len(header):
                raise InputError(path, f"line {n} has {len(rec)} fields, the header has {len(header)}",
                                 "give every row exactly the header's columns (unit,swv_id)", field=f"line {n}")
            rows.append((rec[iu].strip(), rec[isw].strip(), f"line {n}"))
    except csv.Error as exc:
        raise InputError(path, f"unreadable CSV ({exc})", "save it as plain comma-separated text") from None
    assignment = _check_codes(path, rows, ds)
    prop = Proposal(assignment=assignment, name=path.stem, data_version=ds.version)
    return prop, ImportReport(str(path), "csv", len(assignment), len(set(assignment.values())), ds.version)


# ---------------------------------------------------------------------------------------------- GeoJSON


def _features(path: Path, doc) -> list[dict]:
    if not isinstance(doc, dict) or "type" not in doc:
        raise InputError(path, "not a GeoJSON object (no 'type')", "give a GeoJSON FeatureCollection", field="type")
    if doc["type"] != "FeatureCollection":
        raise InputError(path, f"GeoJSON type '{doc['type']}', expected FeatureCollection",
                         "save the layer as a GeoJSON FeatureCollection (one Feature per SWV)", field="type")
    crs = doc.get("crs")
    if crs is not None:
        props = crs.get("properties") if isinstance(crs, dict) else None
        name = str(props.get("name", "")) if isinstance(props, dict) else json.dumps(crs)[:80]
        if not any(k in name.upper() for k in ("CRS84", "4326")):
            raise InputError(path, f"coordinates in a projected CRS ({name})",
                             "export as WGS84 lon/lat (EPSG:4326), as RFC 7946 requires", field="crs")
    feats = doc.get("features")
    if not isinstance(feats, list) or not feats:
        raise InputError(path, "no features", "add one Feature per SWV", field="features")
    for i, f in enumerate(feats):
        if not isinstance(f, dict) or f.get("type") != "Feature":
            raise InputError(path, f"features[{i}] is not a Feature", "give one Feature per SWV", field="features")
    return feats


def _from_geojson(path: Path, doc, ds) -> tuple[Proposal, ImportReport]:
    feats = _features(path, doc)
    props = [f.get("properties") or {} for f in feats]
    for i, p in enumerate(props):
        if not isinstance(p, dict):
            raise InputError(path, f"features[{i}].properties is a {type(p).__name__}, not an object",
                             'give every feature a properties object, e.g. {"swv_id": "A", "units": ["GM0363"]}',
                             field=f"features[{i}].properties")
    for i, p in enumerate(props):
        if "units" in p and not isinstance(p["units"], list):
            raise InputError(path, f"features[{i}].properties.units is a {type(p['units']).__name__}, not a list",
                             'write units as a list of codes, e.g. "units": ["GM0363"]', field="units")
    if all(isinstance(p.get("units"), list) and p.get("swv_id") not in (None, "") for p in props):
        return _from_ours(path, doc, feats, props, ds)
    return _from_polygons(path, feats, props, ds)


def _from_ours(path: Path, doc: dict, feats, props, ds) -> tuple[Proposal, ImportReport]:
    rows = []
    hubs = {}
    for i, p in enumerate(props):
        swv = str(p["swv_id"])
        for u in p["units"]:
            rows.append((str(u), swv, f"features[{i}]"))
        if p.get("hub"):
            hubs[swv] = str(p["hub"])
    assignment = _check_codes(path, rows, ds)
    for swv, hub in sorted(hubs.items()):
        if assignment.get(hub) != swv:
            raise InputError(path, f"hub {hub} of SWV {swv} is not one of its units",
                             "set 'hub' to a unit listed in the feature's 'units'", field="hub")
    meta = doc.get("regioindeling") if isinstance(doc.get("regioindeling"), dict) else {}
    rep = ImportReport(str(path), "geojson", len(assignment), len(set(assignment.values())), meta.get("data_version"))
    if meta and meta.get("format") not in (None, FORMAT):
        rep.warnings.append(f"unknown format '{meta.get('format')}' in the 'regioindeling' member")
    if rep.data_version and rep.data_version != ds.version:
        rep.warnings.append(f"made with data version {rep.data_version}, evaluated on {ds.version}")
    scen = meta.get("scenario")
    solver = meta.get("solver")
    prop = Proposal(assignment=assignment, hubs=dict(sorted(hubs.items())), name=str(meta.get("name") or path.stem),
                    scenario=scen if isinstance(scen, dict) else None, solver=solver if isinstance(solver, dict) else None,
                    data_version=rep.data_version or ds.version)
    return prop, rep


def _swv_name(p: dict, i: int) -> str:
    for k in NAME_KEYS:
        v = p.get(k)
        if v not in (None, "") and not isinstance(v, (dict, list)):
            return str(v)
    return f"D{i + 1}"


def _check_lonlat(path: Path, geoms) -> None:
    b = shapely.total_bounds(geoms)
    if not np.all(np.isfinite(b)):
        raise InputError(path, "no usable coordinates", "draw polygons over the Netherlands", field="geometry")
    if abs(b[0]) > 180 or abs(b[2]) > 180 or abs(b[1]) > 90 or abs(b[3]) > 90:
        raise InputError(path, f"coordinates look projected (bounds {np.round(b).tolist()}), not lon/lat",
                         "export as WGS84 lon/lat (EPSG:4326), as RFC 7946 requires", field="geometry")
    if 50 <= b[0] and b[2] <= 54.5 and 2 <= b[1] and b[3] <= 8:
        raise InputError(path, "latitude and longitude are swapped (x looks like latitude)",
                         "write coordinates as [longitude, latitude]", field="geometry")
    if b[2] < 2.5 or b[0] > 7.6 or b[3] < 50.5 or b[1] > 53.8:
        raise InputError(path, f"polygons lie outside the Netherlands (bounds {np.round(b, 3).tolist()})",
                         "draw the polygons over the Netherlands in WGS84 lon/lat", field="geometry")
    if b[0] < NL_ENVELOPE[0] or b[1] < NL_ENVELOPE[1] or b[2] > NL_ENVELOPE[2] or b[3] > NL_ENVELOPE[3]:
        # a stray vertex far away (a typo, a lost digit) would not project into RD New
        raise InputError(path, f"polygons reach far outside the Netherlands (bounds {np.round(b, 3).tolist()}, "
                         f"allowed {list(NL_ENVELOPE)})", "remove the stray vertices (check for typos in the "
                         "coordinates) and export again", field="geometry")


_RD_PC4: dict[int, np.ndarray] = {}


def _pc4_rd(ds) -> np.ndarray:
    key = id(ds.pc4)
    if key not in _RD_PC4:
        _RD_PC4.clear()
        _RD_PC4[key] = shapely.make_valid(np.asarray(ds.pc4.geometry.to_crs(RD).values))
    return _RD_PC4[key]


def _from_polygons(path: Path, feats, props, ds) -> tuple[Proposal, ImportReport]:
    geoms, names = [], []
    for i, (f, p) in enumerate(zip(feats, props)):
        g = f.get("geometry")
        if not isinstance(g, dict) or g.get("type") not in ("Polygon", "MultiPolygon"):
            kind = g.get("type") if isinstance(g, dict) else g
            raise InputError(path, f"features[{i}] has geometry {kind!r}; a proposal without 'units' needs polygons",
                             "give every feature a Polygon or MultiPolygon (or 'swv_id' and 'units' properties)",
                             field=f"features[{i}].geometry")
        try:
            shp = shapely.force_2d(shapely.from_geojson(json.dumps(g)))  # an altitude (3rd number) is ignored
        except Exception as exc:
            raise InputError(path, f"features[{i}] has a broken polygon ({exc})", "repair the geometry",
                             field=f"features[{i}].geometry") from None
        if not shp.is_valid:
            reason = shapely.is_valid_reason(shp)
            raise InputError(path, f"features[{i}] has an invalid polygon ({reason})",
                             "repair it in your GIS (QGIS: Vector > Geometry Tools > Fix Geometries) and export again",
                             field=f"features[{i}].geometry")
        geoms.append(shp)
        names.append(_swv_name(p, i))
    _check_lonlat(path, geoms)
    seen: dict[str, int] = {}
    for i, n in enumerate(names):  # two polygons with one name are one SWV
        seen.setdefault(n, i)
    pc_rd = _pc4_rd(ds)
    pc_area = shapely.area(pc_rd)
    try:
        polys = np.asarray(shapely.make_valid(np.asarray(gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(RD).values)))
        ip, ig = shapely.STRtree(polys).query(pc_rd, predicate="intersects")
        inter = shapely.area(shapely.intersection(pc_rd[ip], polys[ig], grid_size=0.5))  # snap-rounded: robust
    except shapely.errors.GEOSException as exc:  # checked above; a geometry GEOS still cannot handle is bad input
        raise InputError(path, f"polygons GEOS cannot process ({exc})", "repair the geometries in your GIS "
                         "(QGIS: Fix Geometries) and export again", field="geometry") from None
    # per PC4 and SWV name: covered area (two polygons with one name add up)
    cover: dict[int, dict[str, float]] = {}
    for a, g, ar in zip(ip, ig, inter):
        if ar > 0:
            d = cover.setdefault(int(a), {})
            d[names[g]] = d.get(names[g], 0.0) + float(ar)
    codes = ds.pc4.pc4.to_numpy()
    pc_swv: dict[str, str] = {}
    pc_share: dict[str, float] = {}
    for a, d in cover.items():
        best = sorted(d, key=lambda n: (-d[n], n))[0]
        pc_swv[codes[a]] = best
        pc_share[codes[a]] = d[best] / pc_area[a] if pc_area[a] > 0 else 1.0
    unassigned = sorted(c for c in codes if c not in pc_swv)
    # whole gemeenten where every PC4 went to the same polygon
    assignment: dict[str, str] = {}
    by_gm: dict[str, list[str]] = {}
    for p, g in zip(codes, ds.pc4.gemeente):
        by_gm.setdefault(g, []).append(p)
    pos = {p: i for i, p in enumerate(codes)}
    low = []
    for g, pcs in sorted(by_gm.items()):
        got = {pc_swv.get(p) for p in pcs}
        if len(got) == 1 and None not in got:
            swv = got.pop()
            assignment[g] = swv
            area = sum(pc_area[pos[p]] for p in pcs)
            share = sum(pc_share[p] * pc_area[pos[p]] for p in pcs) / area if area > 0 else 1.0
            if share < LOW_COVER:
                low.append({"unit": g, "swv_id": swv, "share": round(share, 3)})
        else:
            for p in pcs:
                if p in pc_swv:
                    assignment[p] = pc_swv[p]
                    if pc_share[p] < LOW_COVER:
                        low.append({"unit": p, "swv_id": pc_swv[p], "share": round(pc_share[p], 3)})
    if not assignment:
        raise InputError(path, "no PC4 area overlaps any polygon", "draw the polygons over the Netherlands",
                         field="geometry")
    rep = ImportReport(str(path), "polygons", len(assignment), len(set(assignment.values())), ds.version,
                       unassigned=unassigned, low_cover=low)
    counts: dict[str, int] = {}
    for s in assignment.values():
        counts[s] = counts.get(s, 0) + 1
    rep.polygons = [{"feature": i, "swv_id": n, "n_units": counts.get(n, 0)} for n, i in sorted(seen.items(), key=lambda kv: kv[1])]
    empty = [r["swv_id"] for r in rep.polygons if r["n_units"] == 0]
    if empty:
        rep.warnings.append(f"polygons {', '.join(empty)} got no unit (each unit went to a polygon covering more of it)")
    if unassigned:
        rep.warnings.append(f"{len(unassigned)} PC4 areas are outside every polygon and stay unassigned")
    prop = Proposal(assignment=dict(sorted(assignment.items())), name=path.stem, data_version=ds.version)
    return prop, rep


__all__ = ["ImportReport", "read_proposal", "read_proposal_bytes", "MAX_BYTES"]

"""Map layers as light GeoJSON: simplified, rounded geometry plus the figures the tooltips show.

National layers use jeugdregio, gemeente and SWV polygons (PC4 polygons nationally are too heavy for a browser);
PC4 detail is drawn only for one jeugdregio. Every function here is pure and deterministic, so the app can
cache the result per dataset and share it read-only between sessions.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from regioindeling.geometry import dissolve



def safe_dissolve(geoms):
    """Union of a unit group's polygons (see ``geometry.dissolve`` for why the coverage union is checked)."""
    return dissolve(geoms)


# Dropping slivers and pinholes (left by dissolving PC4 areas) shrinks the SWV layers five-fold; at 1e-5 deg²
# (~0.07 km²) nothing a planner can see on a national map is lost.
MIN_AREA_DEG2 = 1e-5
NATIONAL_TOLERANCE = 0.002  # degrees, ~150 m
DETAIL_TOLERANCE = 0.0005
GRID = 1e-4  # ~10 m: four decimals of a degree

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f", "#393b79", "#ad494a")
SECTOR_COLOURS = {"sbo": "#e6194b", "so": "#3cb44b", "vso": "#4363d8", "so/vso": "#911eb4", "pro": "#f58231",
                  "bao": "#9e9e9e", "vo": "#6d4c41"}
FACILITY_SECTORS = ("sbo", "so", "vso", "so/vso", "pro")


@dataclass(frozen=True)
class Layer:
    """A FeatureCollection (dict, treat as read-only) and how to label it."""

    name: str
    geojson: dict
    tooltip_fields: tuple[str, ...]
    tooltip_aliases: tuple[str, ...]


def _clean(geom, min_area: float = MIN_AREA_DEG2):
    """Drop parts and holes smaller than ``min_area`` (keeps the largest part of a tiny area)."""
    if geom is None or geom.is_empty:
        return geom
    parts = list(shapely.get_parts(geom))
    keep = [p for p in parts if p.area >= min_area] or [max(parts, key=lambda p: p.area)]
    out = [shapely.Polygon(p.exterior, [r for r in p.interiors if shapely.Polygon(r).area >= min_area])
           for p in keep if p.geom_type == "Polygon"]
    return out[0] if len(out) == 1 else shapely.MultiPolygon(out)


def simplify(geoms, tolerance: float, coverage: bool = True) -> np.ndarray:
    """Clean, simplify (shared borders stay shared when ``coverage``) and round to :data:`GRID`."""
    arr = np.array([_clean(g) for g in geoms], dtype=object)
    if coverage:
        try:
            arr = shapely.coverage_simplify(arr, tolerance)
        except shapely.errors.GEOSException:
            arr = shapely.simplify(arr, tolerance, preserve_topology=True)
    else:
        arr = shapely.simplify(arr, tolerance, preserve_topology=True)
    arr = shapely.make_valid(shapely.set_precision(arr, GRID))
    return arr


def _round(v):
    # Tooltips are HTML: escape every string (an uploaded proposal's SWV ids must not inject markup).
    if isinstance(v, str):
        return html.escape(v)
    if isinstance(v, (float, np.floating)):
        return round(float(v), 1)
    if isinstance(v, (np.integer,)):
        return int(v)
    return v


def feature_collection(geoms, props: list[dict]) -> dict:
    feats = []
    for g, p in zip(geoms, props):
        if g is None or g.is_empty:
            continue
        feats.append({"type": "Feature", "properties": {k: _round(v) for k, v in p.items()},
                      "geometry": json.loads(shapely.to_geojson(g))})
    return {"type": "FeatureCollection", "features": feats}


def colour_index(geoms) -> list[int]:
    """Greedy colouring so that touching polygons get different palette colours (deterministic order)."""
    tree = shapely.STRtree(geoms)
    colours: list[int] = []
    for i, g in enumerate(geoms):
        near = tree.query(g, predicate="intersects")
        used = {colours[j] for j in near if j < i}
        colours.append(next((c for c in range(len(PALETTE)) if c not in used), i % len(PALETTE)))
    return colours


def jeugdregio_layer(ds) -> Layer:
    jz = ds.jeugdregios
    pupils = ds.pc4.groupby("jeugdregio")[["pupils_po", "pupils_vo"]].sum()
    n_gm = ds.gemeenten.groupby("jeugdregio").size()
    props = [{"code": c, "name": n, "gemeenten": int(n_gm.get(c, 0)), "pupils_po": pupils.pupils_po.get(c, 0.0),
              "pupils_vo": pupils.pupils_vo.get(c, 0.0)} for c, n in zip(jz.jeugdregio, jz.name)]
    geoms = simplify(jz.geometry.values, NATIONAL_TOLERANCE)
    return Layer("Jeugdregio borders", feature_collection(geoms, props), ("code", "name", "gemeenten", "pupils_po", "pupils_vo"),
                 ("Jeugdregio", "Name", "Gemeenten", "Pupils po", "Pupils vo"))


def gemeente_layer(ds) -> Layer:
    gm = ds.gemeenten
    props = [{"code": r.gemeente, "name": r.name, "jeugdregio": r.jeugdregio, "swv_po": r.swv_po, "swv_vo": r.swv_vo,
              "pupils_po": r.pupils_po, "pupils_vo": r.pupils_vo} for r in gm.itertuples()]
    geoms = simplify(gm.geometry.values, NATIONAL_TOLERANCE)
    return Layer("Gemeente borders", feature_collection(geoms, props),
                 ("code", "name", "jeugdregio", "swv_po", "swv_vo", "pupils_po", "pupils_vo"),
                 ("Gemeente", "Name", "Jeugdregio", "SWV po today", "SWV vo today", "Pupils po", "Pupils vo"))


def current_swv_layer(ds, sector: str, crossing_only: bool = False) -> Layer:
    """Today's po or vo SWVs; ``crossing`` marks those that cross a jeugdregio border."""
    cur = ds.swv_current[ds.swv_current.sector == sector].reset_index(drop=True)
    geoms = simplify(cur.geometry.values, NATIONAL_TOLERANCE)
    colours = colour_index(geoms)
    props = [{"code": r.swv, "pupils": r.pupils, "jeugdregios": r.jeugdregios, "main_jeugdregio": r.main_jeugdregio,
              "share_outside_main": round(100 * r.share_outside_main, 1),
              "crossing": bool("," in r.jeugdregios), "colour": PALETTE[c]}
             for r, c in zip(cur.itertuples(), colours)]
    if crossing_only:
        keep = [i for i, p in enumerate(props) if p["crossing"]]
        geoms, props = geoms[keep], [props[i] for i in keep]
    label = f"Today's {sector} SWVs" + (" crossing a jeugdregio border" if crossing_only else "")
    return Layer(label, feature_collection(geoms, props),
                 ("code", "pupils", "jeugdregios", "share_outside_main"),
                 ("SWV", "Pupils", "Jeugdregios", "% outside main jeugdregio"))


def pc4_layer(ds, jeugdregio: str) -> Layer:
    pc = ds.pc4[ds.pc4.jeugdregio == jeugdregio].reset_index(drop=True)
    geoms = simplify(pc.geometry.values, DETAIL_TOLERANCE)
    props = [{"code": r.pc4, "gemeente": ds.gemeente_names.get(r.gemeente, r.gemeente), "swv_po": r.swv_po,
              "swv_vo": r.swv_vo, "pupils_po": r.pupils_po, "pupils_vo": r.pupils_vo} for r in pc.itertuples()]
    return Layer(f"PC4 in {jeugdregio}", feature_collection(geoms, props),
                 ("code", "gemeente", "swv_po", "swv_vo", "pupils_po", "pupils_vo"),
                 ("PC4", "Gemeente", "SWV po today", "SWV vo today", "Pupils po", "Pupils vo"))


def school_points(ds, jeugdregio: str | None = None) -> pd.DataFrame:
    """School sites (lat, lon rounded to 5 decimals) with name, sector, pupils; optionally one jeugdregio."""
    sc = ds.schools if jeugdregio is None else ds.schools[ds.schools.jeugdregio == jeugdregio]
    return pd.DataFrame({
        "lat": np.round(sc.geometry.y.to_numpy(), 5), "lon": np.round(sc.geometry.x.to_numpy(), 5),
        "name": sc.name.to_numpy(), "sector": sc.sector.to_numpy(), "pupils": sc.pupils.to_numpy(),
        "code": sc.vestigingscode.to_numpy(),
    })


@lru_cache(maxsize=1)
def _to_wgs84() -> Transformer:
    return Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)


def rd_to_wgs84(x, y) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _to_wgs84().transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.round(lat, 5), np.round(lon, 5)


def assignment_key(assignment: dict[str, str]) -> str:
    """A stable hash of a proposal's assignment, used as cache key for its layers."""
    h = hashlib.sha256()
    for unit, swv in sorted(assignment.items()):
        h.update(f"{unit}\t{swv}\n".encode())
    return h.hexdigest()[:16]


def pc4_assignment(ds, assignment: dict[str, str]) -> pd.Series:
    """PC4 -> new SWV id (units may be GM codes or PC4 codes; unassigned PC4s are left out)."""
    pc, gm = ds.pc4.pc4.to_numpy(), ds.pc4.gemeente.to_numpy()
    swv = [assignment.get(p, assignment.get(g)) for p, g in zip(pc, gm)]
    s = pd.Series(swv, index=pc, dtype=object)
    return s[s.notna()]


def unit_geometries(ds, codes) -> dict:
    """Geometry of each unit code: the gemeente polygon for GM codes, the PC4 polygon for PC4 codes."""
    gm = dict(zip(ds.gemeenten.gemeente, ds.gemeenten.geometry.values))
    pc = dict(zip(ds.pc4.pc4, ds.pc4.geometry.values))
    return {c: gm.get(c, pc.get(c)) for c in codes}


def proposal_layer(ds, assignment: dict[str, str], swv_rows: list[dict] | None = None,
                   name: str = "Proposal") -> Layer:
    """One polygon per proposed SWV (dissolved from its units), coloured so neighbours differ.

    ``swv_rows`` (the evaluator's per-SWV table) adds its figures to the tooltips.
    """
    members: dict[str, list[str]] = {}
    for unit, swv in sorted(assignment.items()):
        members.setdefault(swv, []).append(unit)
    geo_of = unit_geometries(ds, assignment)
    ids = sorted(members)
    shapes = [safe_dissolve([geo_of[u] for u in members[s] if geo_of.get(u) is not None]) for s in ids]
    geoms = simplify(shapes, NATIONAL_TOLERANCE if len(ids) > 60 else DETAIL_TOLERANCE, coverage=False)
    colours = colour_index(geoms)
    rows = {r.get("swv_id"): r for r in (swv_rows or [])}
    props = []
    for s, c in zip(ids, colours):
        r = rows.get(s, {})
        props.append({"swv_id": s, "name": r.get("name", s), "jeugdregio": r.get("jeugdregio", ""),
                      "units": len(members[s]), "pupils_po": r.get("pupils_po", ""), "pupils_vo": r.get("pupils_vo", ""),
                      "hub": r.get("hub", ""), "colour": PALETTE[c]})
    return Layer(name, feature_collection(geoms, props),
                 ("swv_id", "name", "jeugdregio", "units", "pupils_po", "pupils_vo", "hub"),
                 ("New SWV", "Name", "Jeugdregio", "Units", "Pupils po", "Pupils vo", "Hub"))


def differing_pc4(ds, a: dict[str, str], b: dict[str, str]) -> list[str]:
    """PC4 areas whose SWV differs between proposals ``a`` and ``b``.

    SWV ids are labels, so each SWV of ``a`` is matched to the SWV of ``b`` it shares most pupils with; a PC4
    differs when its SWV in ``b`` is not the match of its SWV in ``a`` (or it is missing from one of them).
    """
    pa, pb = pc4_assignment(ds, a), pc4_assignment(ds, b)
    pupils = pd.Series((ds.pc4.pupils_po + ds.pc4.pupils_vo).to_numpy(), index=ds.pc4.pc4.to_numpy())
    both = pd.DataFrame({"a": pa, "b": pb}).dropna()
    both["w"] = pupils.reindex(both.index).to_numpy() + 1e-9
    overlap = both.groupby(["a", "b"]).w.sum().reset_index().sort_values(["a", "w", "b"], ascending=[True, False, True])
    match = dict(overlap.drop_duplicates("a")[["a", "b"]].itertuples(index=False, name=None))
    diff = set(pa.index).symmetric_difference(pb.index)
    diff |= {p for p, x, y in zip(both.index, both.a, both.b) if match.get(x) != y}
    return sorted(diff)


def pc4_set_layer(ds, pc4s: list[str], name: str, extra: dict[str, dict] | None = None) -> Layer:
    pc = ds.pc4[ds.pc4.pc4.isin(set(pc4s))].reset_index(drop=True)
    geoms = simplify(pc.geometry.values, DETAIL_TOLERANCE)
    extra = extra or {}
    props = [{"code": r.pc4, "gemeente": ds.gemeente_names.get(r.gemeente, r.gemeente), **extra.get(r.pc4, {})}
             for r in pc.itertuples()]
    fields = ("code", "gemeente") + tuple(next(iter(extra.values()), {}).keys())
    return Layer(name, feature_collection(geoms, props), fields, fields)

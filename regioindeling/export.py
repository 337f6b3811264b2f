"""Proposals out: RFC 7946 GeoJSON (one Feature per proposed SWV) and a ``unit,swv_id`` CSV.

The GeoJSON is WGS84 lon/lat with counter-clockwise exterior rings and no ``crs`` member. Each Feature's
geometry is the dissolved area of its PC4 polygons; its properties are the evaluator's per-SWV row. The
top-level foreign member ``regioindeling`` carries what is needed to reproduce and judge the proposal: the
scenario, the solver report, the data version, the hubs and the national KPIs. Output is deterministic
(features sorted by swv_id, no timestamps), so the same proposal writes the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import shapely

from regioindeling.atomic import write_text
from regioindeling.evaluate import Evaluation
from regioindeling.geometry import dissolve, rfc7946
from regioindeling.model import Proposal

FORMAT = "regioindeling-proposal"
FORMAT_VERSION = 1
COORD_DECIMALS = 6  # ~0.1 m; the PC4 polygons are simplified at 60 m anyway
# The simplified PC4 polygons leave thin gaps between neighbours; holes smaller than this (deg², ~0.007 km²,
# below the smallest PC4) are such slivers, not enclaves, and are dropped from the dissolved outline.
SLIVER_DEG2 = 1e-6


def _drop_slivers(geom):
    polys = [p for p in getattr(geom, "geoms", [geom]) if p.geom_type == "Polygon" and not p.is_empty]
    out = [shapely.Polygon(p.exterior, [r for r in p.interiors if shapely.Polygon(r).area >= SLIVER_DEG2])
           for p in polys]
    return out[0] if len(out) == 1 else shapely.MultiPolygon(out)


def swv_geometries(ds, proposal: Proposal) -> dict[str, object]:
    """swv_id -> dissolved WGS84 (Multi)Polygon of its units' PC4 areas, oriented per RFC 7946."""
    pc4_geom = dict(zip(ds.pc4.pc4, ds.pc4.geometry.values))
    gm_pc4: dict[str, list[str]] = {}
    for p, g in zip(ds.pc4.pc4, ds.pc4.gemeente):
        gm_pc4.setdefault(g, []).append(p)
    out = {}
    for swv, units in proposal.members().items():
        pcs = [p for u in units for p in (gm_pc4.get(u, []) if u.startswith("GM") else [u])]
        # grid_size=None: exact union of the (valid) PC4 polygons; a degree grid would be meaningless here
        geom = dissolve([pc4_geom[p] for p in pcs if p in pc4_geom], grid_size=None)
        geom = shapely.transform(_drop_slivers(geom), lambda c: np.round(c, COORD_DECIMALS))
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
            geom = shapely.MultiPolygon([g for part in getattr(geom, "geoms", [geom])
                                         for g in getattr(part, "geoms", [part]) if g.geom_type == "Polygon"])
        out[swv] = rfc7946(geom)
    return out


def proposal_to_geojson(ds, proposal: Proposal, evaluation: Evaluation) -> dict:
    """The proposal as an RFC 7946 FeatureCollection with the foreign member ``regioindeling``."""
    geoms = swv_geometries(ds, proposal)
    features = []
    for row in sorted(evaluation.swvs, key=lambda r: r["swv_id"]):
        geom = geoms.get(row["swv_id"])
        features.append({
            "type": "Feature",
            "id": row["swv_id"],
            "properties": dict(row),
            "geometry": json.loads(shapely.to_geojson(geom)) if geom is not None and not geom.is_empty else None,
        })
    return {
        "type": "FeatureCollection",
        "regioindeling": {
            "format": FORMAT, "format_version": FORMAT_VERSION, "name": proposal.name,
            "data_version": proposal.data_version or getattr(ds, "version", None),
            "scenario": proposal.scenario, "solver": proposal.solver,
            "hubs": dict(sorted(evaluation.hubs.items())),
            "ok": evaluation.ok,
            "violations": [{"constraint": v.constraint, "swv": v.swv, "units": list(v.units), "message": v.message}
                           for v in evaluation.violations],
            "kpis": evaluation.kpis,
        },
        "features": features,
    }


def geojson_text(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


def write_geojson(path: str | Path, ds, proposal: Proposal, evaluation: Evaluation) -> Path:
    """Write the proposal GeoJSON atomically."""
    return write_text(path, geojson_text(proposal_to_geojson(ds, proposal, evaluation)))


def csv_text(proposal: Proposal) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["unit", "swv_id"])
    for unit, swv in sorted(proposal.assignment.items()):
        w.writerow([unit, swv])
    return buf.getvalue()


def write_csv(path: str | Path, proposal: Proposal) -> Path:
    """Write ``unit,swv_id`` rows (sorted by unit) atomically."""
    return write_text(path, csv_text(proposal))

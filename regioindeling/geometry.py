"""Geometry helpers shared by the build, the evaluator and the exporters."""

from __future__ import annotations

import numpy as np
import shapely

RD = "EPSG:28992"
WGS84 = "EPSG:4326"


def dissolve(geoms, grid_size: float = 1.0):
    """Union of adjacent polygons; the grid snaps near-coincident borders that are not noded exactly alike."""
    geoms = [g for g in np.asarray(geoms, dtype=object) if g is not None and not g.is_empty]
    if not geoms:
        return shapely.Polygon()
    try:
        return shapely.coverage_union_all(geoms)
    except shapely.errors.GEOSException:
        return shapely.union_all(geoms, grid_size=grid_size)


def rfc7946(geom):
    """Counter-clockwise exteriors and clockwise holes, as RFC 7946 asks (right-hand rule)."""
    return shapely.orient_polygons(geom, exterior_cw=False)

"""Geometry helpers shared by the build, the evaluator and the exporters."""

from __future__ import annotations

import numpy as np
import shapely

RD = "EPSG:28992"
WGS84 = "EPSG:4326"


def dissolve(geoms, grid_size: float | None = None):
    """Union of adjacent polygons.

    The fast coverage union is only right for an exact coverage (shared borders noded alike); on simplified or
    reprojected areas it can return degenerate, zero-area shapes without raising, so its area is checked and a
    plain union (snapped to ``grid_size``, in the geometry's units, when given) is used instead.
    """
    geoms = [g for g in np.asarray(geoms, dtype=object) if g is not None and not g.is_empty]
    if not geoms:
        return shapely.Polygon()
    total = float(shapely.area(np.asarray(geoms, dtype=object)).sum())
    try:
        merged = shapely.coverage_union_all(geoms)
        if abs(merged.area - total) <= 1e-6 * total and merged.is_valid:
            return merged
    except shapely.errors.GEOSException:
        pass
    try:
        return shapely.union_all(geoms, grid_size=grid_size)
    except shapely.errors.GEOSException:
        fixed = shapely.make_valid(np.asarray(geoms, dtype=object))
        return shapely.union_all(fixed, grid_size=grid_size if grid_size is not None else 1e-9 * np.sqrt(total))


def rfc7946(geom):
    """Counter-clockwise exteriors and clockwise holes, as RFC 7946 asks (right-hand rule)."""
    return shapely.orient_polygons(geom, exterior_cw=False)

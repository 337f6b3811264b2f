"""Geometry helpers: dissolving PC4 areas, RFC 7946 orientation."""

from __future__ import annotations

import shapely

from regioindeling.geometry import dissolve, rfc7946


def test_dissolve_exact_coverage():
    a = shapely.box(0, 0, 1, 1)
    b = shapely.box(1, 0, 2, 1)
    assert dissolve([a, b]).equals(shapely.box(0, 0, 2, 1))


def test_dissolve_of_simplified_real_areas_keeps_their_area(ds):
    """Simplified WGS84 PC4s are no exact coverage; the result must still cover what they cover."""
    for swv, sub in ds.pc4.groupby("swv_po"):
        merged = dissolve(sub.geometry.values)
        plain = shapely.union_all(sub.geometry.values)
        assert abs(merged.area - plain.area) <= 1e-6 * plain.area, swv


def test_dissolve_empty_and_overlapping():
    assert dissolve([]).is_empty
    a, b = shapely.box(0, 0, 2, 1), shapely.box(1, 0, 3, 1)  # overlapping: not a coverage
    assert dissolve([a, b]).area == 3


def test_rfc7946_orientation():
    cw = shapely.Polygon([(0, 0), (0, 1), (1, 1), (1, 0)])
    assert not cw.exterior.is_ccw
    assert rfc7946(cw).exterior.is_ccw

"""GeoJSON and CSV export: RFC 7946 shape, properties, foreign member, determinism."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from fixtures_small import small_dataset
from regioindeling.evaluate import evaluate
from regioindeling.export import csv_text, proposal_to_geojson, write_csv, write_geojson
from regioindeling.model import Proposal
from regioindeling.scenario import Scenario

HALVES = {"1001": "A", "1002": "A", "1003": "A", "1004": "B", "1005": "B", "1006": "B"}
REQUIRED = ("swv_id", "name", "jeugdregio", "units", "gemeenten", "pupils_po", "pupils_vo", "hub", "n_sbo", "n_so",
            "n_vso", "n_pro", "travel_mean_km", "travel_max_km", "sbo_mean_km", "pro_max_km")


@pytest.fixture(scope="module")
def ds():
    return small_dataset()


def test_geojson_features_and_foreign_member(ds):
    p = Proposal({"GM0001": "A", "1004": "B", "1005": "B", "1006": "B"}, name="test",
                 scenario=Scenario().to_dict(), solver={"status": "optimal"}, data_version="small-test")
    ev = evaluate(ds, p)
    doc = proposal_to_geojson(ds, p, ev)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert [f["id"] for f in doc["features"]] == ["A", "B"]
    a, b = (f["properties"] for f in doc["features"])
    for key in REQUIRED:
        assert key in a, key
    assert a["units"] == ["GM0001"] and b["units"] == ["1004", "1005", "1006"]
    assert b["gemeenten"] == ["GM0002"] and b["jeugdregio"] == "JZ02" and a["hub"] == "GM0001"
    meta = doc["regioindeling"]
    assert meta["scenario"]["travel"]["max_km"] == Scenario().travel.max_km and meta["solver"] == {"status": "optimal"}
    assert meta["data_version"] == "small-test" and meta["kpis"]["n_swvs"] == 2 and meta["hubs"] == ev.hubs
    for f in doc["features"]:
        g = shapely.geometry.shape(f["geometry"])
        assert g.geom_type == "Polygon" and g.is_valid and g.exterior.is_ccw  # one dissolved, right-hand ring
        lon, lat = g.centroid.x, g.centroid.y
        assert 4 < lon < 6 and 51 < lat < 53  # lon/lat order
    # A is the 30 km x 10 km strip of GM0001: the dissolve leaves no inner borders
    a = shapely.geometry.shape(doc["features"][0]["geometry"])
    assert len(a.interiors) == 0 and len(a.exterior.coords) <= 9


def test_write_is_deterministic_and_atomic(ds, tmp_path):
    p = Proposal(dict(HALVES))
    ev = evaluate(ds, p)
    write_geojson(tmp_path / "a.geojson", ds, p, ev)
    write_geojson(tmp_path / "b.geojson", ds, p, evaluate(ds, p))
    assert (tmp_path / "a.geojson").read_bytes() == (tmp_path / "b.geojson").read_bytes()
    json.loads((tmp_path / "a.geojson").read_text())
    write_csv(tmp_path / "p.csv", p)
    assert (tmp_path / "p.csv").read_text() == "unit,swv_id\n" + "".join(f"{u},{s}\n" for u, s in sorted(HALVES.items()))
    assert csv_text(p).splitlines()[0] == "unit,swv_id"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.geojson", "b.geojson", "p.csv"]  # no temp files left


def test_real_export_is_valid_rfc7946():
    from regioindeling.baselines import naive_merge
    from regioindeling.data import load

    ds = load()
    p = naive_merge(ds)
    doc = proposal_to_geojson(ds, p, evaluate(ds, p))
    assert len(doc["features"]) == len(ds.jeugdregios) and "crs" not in doc
    for f in doc["features"]:
        g = shapely.geometry.shape(f["geometry"])
        assert g.is_valid and g.geom_type in ("Polygon", "MultiPolygon"), f["id"]
        for poly in getattr(g, "geoms", [g]):
            assert poly.exterior.is_ccw and all(not r.is_ccw for r in poly.interiors)
        lon0, lat0, lon1, lat1 = g.bounds
        assert 3.2 < lon0 < lon1 < 7.3 and 50.7 < lat0 < lat1 < 53.6
        assert f["properties"]["name"].startswith(ds.jeugdregio_names[f["id"]])
    # the dissolved areas add up to the country's PC4 area (in RD New), up to the dropped slivers
    areas = gpd.GeoSeries([shapely.geometry.shape(f["geometry"]) for f in doc["features"]], crs=4326).to_crs(28992).area
    assert areas.sum() == pytest.approx(ds.pc4.to_crs(28992).area.sum(), rel=0.002)

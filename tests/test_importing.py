"""Import: our GeoJSON and CSV round trips, polygon-only GeoJSON, and every kind of bad file."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from fixtures_small import X0, Y0, small_dataset
from regioindeling.baselines import naive_merge, status_quo
from regioindeling.errors import InputError
from regioindeling.evaluate import evaluate
from regioindeling.export import proposal_to_geojson, write_csv, write_geojson
from regioindeling.importing import MAX_BYTES, read_proposal
from regioindeling.model import Proposal

HYBRID = {"GM0001": "A", "1004": "A", "1005": "B", "1006": "B"}


@pytest.fixture(scope="module")
def ds():
    return small_dataset()


def write(tmp_path, name, content):
    f = tmp_path / name
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    return f


def test_geojson_round_trip_small(ds, tmp_path):
    p = Proposal(dict(HYBRID), hubs={"A": "GM0001", "B": "1005"}, name="hyb", scenario={"name": "x"},
                 solver={"status": "optimal"}, data_version=ds.version)
    write_geojson(tmp_path / "p.geojson", ds, p, evaluate(ds, p))
    q, rep = read_proposal(tmp_path / "p.geojson", ds)
    assert q == p
    assert rep.format == "geojson" and rep.n_units == 4 and rep.n_swvs == 2 and not rep.warnings


def test_csv_round_trip(ds, tmp_path):
    p = Proposal(dict(HYBRID))
    write_csv(tmp_path / "p.csv", p)
    q, rep = read_proposal(tmp_path / "p.csv", ds)
    assert q.assignment == p.assignment and rep.format == "csv"
    semi = write(tmp_path, "semi.csv", "\ufeffunit;swv_id\r\nGM0001;A\r\n1004;A\r\n\r\n1005;B\r\n1006;B\r\n")
    assert read_proposal(semi, ds)[0].assignment == p.assignment


@pytest.mark.parametrize("make", [lambda ds: status_quo(ds, "vo"), naive_merge])
def test_geojson_round_trip_real(real_ds, make, tmp_path):
    p = make(real_ds)
    ev = evaluate(real_ds, p)
    write_geojson(tmp_path / "p.geojson", real_ds, p, ev)
    q, _ = read_proposal(tmp_path / "p.geojson", real_ds)
    assert q.assignment == p.assignment and q.hubs == ev.hubs


@pytest.fixture(scope="module")
def real_ds():
    from regioindeling.data import load

    return load()


def _polygons(tmp_path, boxes_rd, props=None):
    gs = gpd.GeoSeries([shapely.box(*b) for b in boxes_rd], crs="EPSG:28992").to_crs(4326)
    feats = [{"type": "Feature", "properties": (props[i] if props else {}),
              "geometry": json.loads(shapely.to_geojson(g))} for i, g in enumerate(gs)]
    return write(tmp_path, "drawn.geojson", json.dumps({"type": "FeatureCollection", "features": feats}))


def test_polygon_only_geojson_units_go_to_largest_cover(ds, tmp_path):
    # west polygon covers 1001-1003 and 60 % of 1004; east the rest; both a bit oversized
    f = _polygons(tmp_path, [(X0 - 500, Y0 - 500, X0 + 36_000, Y0 + 10_500), (X0 + 36_000, Y0 - 500, X0 + 60_500, Y0 + 10_500)],
                  [{"name": "West"}, {"naam": "Oost"}])
    p, rep = read_proposal(f, ds)
    assert p.assignment == {"GM0001": "West", "1004": "West", "1005": "Oost", "1006": "Oost"}
    assert rep.format == "polygons" and rep.unassigned == [] and rep.low_cover == []
    assert [(x["swv_id"], x["n_units"]) for x in rep.polygons] == [("West", 2), ("Oost", 2)]
    assert any("West" in line for line in rep.lines())


def test_polygon_only_reports_uncovered_and_weak_units(ds, tmp_path):
    # nothing covers 1006; 1005 is only 30 % covered
    f = _polygons(tmp_path, [(X0, Y0, X0 + 43_000, Y0 + 10_000)])
    p, rep = read_proposal(f, ds)
    assert p.assignment == {"GM0001": "D1", "1004": "D1", "1005": "D1"}
    assert rep.unassigned == ["1006"] and rep.low_cover == [{"unit": "1005", "swv_id": "D1", "share": 0.3}]
    ev = evaluate(ds, p)
    assert [v.units for v in ev.violations if v.constraint == "assignment"] == [("1006",)]


BAD = {
    "broken.geojson": ('{"type": "FeatureCollection", "features": [', "not valid JSON"),
    "feature.geojson": ('{"type": "Feature", "properties": {}, "geometry": null}', "expected FeatureCollection"),
    "list.json": ("[1, 2]", "not a GeoJSON object"),
    "crs.geojson": ('{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": '
                    '"urn:ogc:def:crs:EPSG::28992"}}, "features": [{"type": "Feature", "properties": {}, '
                    '"geometry": {"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}}]}', "projected CRS"),
    "rd.geojson": ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": '
                   '{"type": "Polygon", "coordinates": [[[100000,450000],[110000,450000],[110000,460000],'
                   '[100000,450000]]]}}]}', "look projected"),
    "swapped.geojson": ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": '
                        '{"type": "Polygon", "coordinates": [[[52.0,5.0],[52.1,5.0],[52.1,5.1],[52.0,5.0]]]}}]}',
                        "swapped"),
    "points.geojson": ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": '
                       '{"type": "Point", "coordinates": [5.0, 52.0]}}]}', "needs polygons"),
    "nofeat.geojson": ('{"type": "FeatureCollection", "features": []}', "no features"),
    "unknown.csv": ("unit,swv_id\nGM0001,A\n9999,B\n", "unknown unit code '9999' (line 3)"),
    "dup.csv": ("unit,swv_id\nGM0001,A\nGM0001,A\n", "appears twice (line 2 and line 3)"),
    "two.csv": ("unit,swv_id\nGM0001,A\nGM0001,B\n", "is in two SWVs: A (line 2) and B (line 3)"),
    "overlap.csv": ("unit,swv_id\nGM0001,A\n1001,B\n", "assigned whole (A) and its PC4 areas too"),
    "header.csv": ("code,swv\nGM0001,A\n", "CSV header"),
    "blank.csv": ("unit,swv_id\nGM0001,\n", "empty SWV id"),
    "empty.geojson": ("", "file is empty"),
    "spaces.csv": ("  \n\n", "file is empty"),
    "binary.geojson": (b"PK\x03\x04\x00\x00\x00binary", "binary file"),
    "latin1.csv": ("unit,swv_id\nGM0001,Caf\xe9\n".encode("latin-1"), "not UTF-8"),
    "two.geojson": (json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"swv_id": "A", "units": ["GM0001"]}, "geometry": None},
        {"type": "Feature", "properties": {"swv_id": "B", "units": ["GM0001", "GM0002"]}, "geometry": None}]}),
        "GM0001 is in two SWVs: A (features[0]) and B (features[1])"),
    "hub.geojson": (json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"swv_id": "A", "units": ["GM0001"], "hub": "GM0002"}, "geometry": None},
        {"type": "Feature", "properties": {"swv_id": "B", "units": ["GM0002"]}, "geometry": None}]}),
        "hub GM0002 of SWV A is not one of its units"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_raise_one_line_input_error(ds, tmp_path, name):
    content, expected = BAD[name]
    f = write(tmp_path, name, content)
    with pytest.raises(InputError) as exc:
        read_proposal(f, ds)
    line = exc.value.line()
    assert expected in line and name in line and "fix:" in line and "\n" not in line


def test_huge_file_refused_by_size_before_parsing(ds, tmp_path):
    f = tmp_path / "huge.geojson"
    with open(f, "wb") as fh:  # sparse: the size is there, the content is not even valid JSON
        fh.truncate(MAX_BYTES + 1)
    with pytest.raises(InputError, match="above the 50 MB limit"):
        read_proposal(f, ds)


def test_missing_file(ds, tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_proposal(tmp_path / "nope.geojson", ds)


def test_export_of_other_dataset_warns(ds, tmp_path):
    p = Proposal(dict(HYBRID), data_version="other-version")
    doc = proposal_to_geojson(ds, p, evaluate(ds, p))
    f = write(tmp_path, "old.geojson", json.dumps(doc))
    _, rep = read_proposal(f, ds)
    assert rep.data_version == "other-version" and "other-version" in rep.warnings[0]


def _manifest():
    import tomllib
    from pathlib import Path

    root = Path(__file__).parent / "bad_inputs"
    return root, tomllib.loads((root / "MANIFEST.toml").read_text())["proposals"]


@pytest.mark.parametrize("name", sorted(_manifest()[1]))
def test_bad_input_corpus(real_ds, name):
    import re

    root, expect = _manifest()
    with pytest.raises(InputError) as exc:
        read_proposal(root / name, real_ds)
    line = exc.value.line()
    assert re.search(expect[name], line, re.I) and name in line and "fix:" in line and "\n" not in line


def test_invalid_polygon_refused(ds, tmp_path):
    bow = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
        "type": "Polygon", "coordinates": [[[5.0, 52.0], [5.2, 52.1], [5.2, 52.0], [5.0, 52.1], [5.0, 52.0]]]}}]}
    with pytest.raises(InputError, match="invalid polygon .*Self-intersection"):
        read_proposal(write(tmp_path, "bow.geojson", json.dumps(bow)), ds)


def test_polygon_only_real_export_maps_back_to_the_same_pc4s(real_ds, tmp_path):
    """Strip our export down to bare polygons (as QGIS would save it): every PC4 lands in its own SWV again."""
    p = naive_merge(real_ds)
    doc = proposal_to_geojson(real_ds, p, evaluate(real_ds, p))
    bare = {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {"name": f["id"]}, "geometry": f["geometry"]}
                         for f in doc["features"]]}
    q, rep = read_proposal(write(tmp_path, "bare.geojson", json.dumps(bare)), real_ds)
    assert rep.format == "polygons" and rep.unassigned == [] and q.assignment == p.assignment


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["A", "B", "C", "zuid-1", "Noord West"]), min_size=6, max_size=6),
       st.booleans())
def test_round_trip_any_assignment(tmp_path_factory, labels, whole_first):
    ds = small_dataset()
    codes = ["1001", "1002", "1003", "1004", "1005", "1006"]
    a = dict(zip(codes, labels))
    if whole_first:  # mix a whole gemeente with PC4 units
        a = {"GM0001": labels[0]} | {c: s for c, s in a.items() if c > "1003"}
    p = Proposal(a, data_version=ds.version)
    ev = evaluate(ds, p)
    d = tmp_path_factory.mktemp("rt")
    write_geojson(d / "p.geojson", ds, p, ev)
    write_csv(d / "p.csv", p)
    g, _ = read_proposal(d / "p.geojson", ds)
    c, _ = read_proposal(d / "p.csv", ds)
    assert g.assignment == a and c.assignment == a and g.hubs == ev.hubs

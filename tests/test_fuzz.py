"""Bounded fuzzing of everything a user can hand us: proposal files (bytes, JSON, GeoJSON, CSV) and scenarios
(TOML text, dicts). The only exception allowed out is :class:`InputError`, whose line is one short line naming the
file and carrying a fix. Each example is seeded from real exports where that helps the fuzzer get deep.

Whatever this finds becomes a file in tests/bad_inputs/ (with its MANIFEST entry) and a fix.
"""

from __future__ import annotations

import functools
import json
import math
import os
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from regioindeling.errors import InputError
from regioindeling.model import Proposal

MAX_LINE = 1200  # a message is one readable line: file + problem + fix
# REGIOINDELING_FUZZ_EXAMPLES raises the budget for a longer hunt; CI runs the default (under a minute).
FUZZ = settings(max_examples=int(os.environ.get("REGIOINDELING_FUZZ_EXAMPLES", "120")), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                         HealthCheck.data_too_large])
PROPOSAL_NAMES = st.sampled_from(["p.geojson", "p.csv", "p.json", "p.txt", "p"])


def check_error(exc: InputError, name: str) -> None:
    line = exc.line()
    assert "\n" not in line and "\r" not in line, repr(line)
    assert line.isprintable(), repr(line)
    assert "; fix: " in line and len(line) <= MAX_LINE, line[:2000]
    assert line.startswith(name), line


DS = None  # the embedded dataset, set by a fixture (not a test argument: hypothesis would print all of it)


@pytest.fixture(autouse=True, scope="module")
def _dataset(ds):
    global DS
    DS = ds


def read(name: str, data: bytes):
    """read_proposal_bytes and the app's upload parser: a proposal or an InputError, nothing else."""
    from regioindeling.app.files import read_proposal_upload
    from regioindeling.importing import read_proposal_bytes

    out = []
    for reader in (read_proposal_bytes, read_proposal_upload):
        try:
            prop, rep = reader(name, data, DS)
        except InputError as exc:
            check_error(exc, name)
            out.append(None)
            continue
        assert isinstance(prop, Proposal) and prop.assignment
        assert all(isinstance(u, str) and isinstance(s, str) and s for u, s in prop.assignment.items())
        assert rep.n_units == len(prop.assignment)
        out.append(prop.assignment)
    return out


# ---------------------------------------------------------------------------------------------- seeds


@functools.cache
def seeds():
    """Real exports: naive merge of two jeugdregio's split in SWVs (ours), the same as bare polygons, and a CSV."""
    from regioindeling.evaluate import evaluate
    from regioindeling.export import csv_text, geojson_text, proposal_to_geojson
    from regioindeling.scenario import Scenario

    ds = DS
    gm = ds.gemeenten[ds.gemeenten.jeugdregio.isin(["JZ01", "JZ02"])].sort_values("gemeente")
    assignment = {g: f"{jz}-{i % 2}" for i, (g, jz) in enumerate(zip(gm.gemeente, gm.jeugdregio))}
    prop = Proposal(assignment=assignment, name="seed", data_version=ds.version)
    ev = evaluate(ds, prop, Scenario(jeugdregios=["JZ01", "JZ02"]))
    doc = proposal_to_geojson(ds, prop, ev)
    polygons = {"type": "FeatureCollection",
                "features": [{"type": "Feature", "properties": {"name": f["id"]}, "geometry": f["geometry"]}
                             for f in doc["features"]]}
    return {"ours": geojson_text(doc), "polygons": geojson_text(polygons), "csv": csv_text(prop),
            "codes": sorted(assignment) + sorted(ds.pc4.pc4[:50])}


# ---------------------------------------------------------------------------------------------- proposals


@FUZZ
@given(name=PROPOSAL_NAMES, data=st.binary(max_size=3000))
def test_random_bytes(name, data):
    read(name, data)


JSON_SCALARS = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=30)
JSON = st.recursive(JSON_SCALARS, lambda kids: st.lists(kids, max_size=5) | st.dictionaries(
    st.sampled_from(["type", "features", "properties", "geometry", "coordinates", "units", "swv_id", "hub", "crs",
                     "name", "regioindeling", "scenario"]) | st.text(max_size=8), kids, max_size=5), max_leaves=40)


@FUZZ
@given(name=st.sampled_from(["p.geojson", "p"]), doc=JSON)
def test_random_json(name, doc):
    read(name, json.dumps(doc).encode())


def _ring(draw, lon: float, lat: float):
    n = draw(st.integers(0, 6))
    pts = [[lon + draw(st.floats(-0.3, 0.3)), lat + draw(st.floats(-0.3, 0.3))] for _ in range(n)]
    return pts + pts[:1] if pts and draw(st.booleans()) else pts


@st.composite
def geojsonish(draw, codes):
    """FeatureCollections that look like proposals: polygons over the Netherlands or lists of real unit codes."""
    feats = []
    for i in range(draw(st.integers(0, 4))):
        lon, lat = draw(st.floats(3.3, 7.2)), draw(st.floats(50.8, 53.4))
        kind = draw(st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString", "GeometryCollection", None]))
        if draw(st.booleans()):
            coords = [[[lon, lat], [lon + 0.2, lat], [lon + 0.2, lat + 0.2], [lon, lat + 0.2], [lon, lat]]]
        else:
            coords = [_ring(draw, lon, lat) for _ in range(draw(st.integers(0, 2)))]
        geom = None if kind is None else {"type": kind, "coordinates": [coords] if kind == "MultiPolygon" else coords}
        if draw(st.booleans()):
            geom = draw(JSON)
        props = draw(st.fixed_dictionaries({}, optional={
            "swv_id": st.text(max_size=5) | JSON_SCALARS, "name": JSON_SCALARS,
            "units": st.lists(st.sampled_from(codes) | st.text(max_size=6), max_size=6) | JSON,
            "hub": st.sampled_from(codes) | JSON_SCALARS}))
        feats.append({"type": draw(st.sampled_from(["Feature", "Feature", "feature", "X"])), "id": i,
                      "properties": props if draw(st.integers(0, 5)) else draw(JSON), "geometry": geom})
    doc = {"type": draw(st.sampled_from(["FeatureCollection", "FeatureCollection", "Feature", "Topology"])),
           "features": feats}
    if draw(st.integers(0, 4)) == 0:
        doc["crs"] = draw(JSON | st.just({"type": "name", "properties": {"name": "EPSG:28992"}}))
    return doc


@FUZZ
@given(data=st.data())
def test_geojson_like(data):
    doc = data.draw(geojsonish(seeds()["codes"]))
    read("p.geojson", json.dumps(doc).encode())


def _mutate_bytes(draw, text: str) -> bytes:
    b = bytearray(text.encode())
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(b)))
        op = draw(st.sampled_from(["delete", "insert", "replace", "truncate"]))
        if op == "delete":
            del b[i:i + draw(st.integers(1, 50))]
        elif op == "insert":
            b[i:i] = draw(st.binary(min_size=1, max_size=8) | st.sampled_from([b",", b"\n", b'"', b"{", b"]", b";"]))
        elif op == "replace" and i < len(b):
            b[i] = draw(st.integers(0, 255))
        else:
            del b[i:]
    return bytes(b)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:3]):  # the first few items are enough to reach every kind of node
            yield from _paths(v, prefix + (i,))


def _mutate_json(draw, text: str) -> bytes:
    doc = json.loads(text)
    paths = [p for p in _paths(doc) if p]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        parent = doc
        try:
            for p in path[:-1]:
                parent = parent[p]
            op = draw(st.sampled_from(["replace", "delete", "swap"]))
            if op == "delete":
                del parent[path[-1]]
            elif op == "swap" and isinstance(parent[path[-1]], list) and len(parent[path[-1]]) == 2:
                parent[path[-1]].reverse()  # [lon, lat] -> [lat, lon]
            else:
                parent[path[-1]] = draw(JSON)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed the path
    return json.dumps(doc).encode()


@FUZZ
@given(data=st.data())
def test_mutated_real_geojson(data):
    text = seeds()[data.draw(st.sampled_from(["ours", "polygons"]))]
    raw = _mutate_bytes(data.draw, text) if data.draw(st.booleans()) else _mutate_json(data.draw, text)
    read(data.draw(st.sampled_from(["p.geojson", "p"])), raw)


@FUZZ
@given(data=st.data())
def test_mutated_real_csv(data):
    lines = seeds()["csv"].splitlines()
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(lines) - 1))
        op = data.draw(st.sampled_from(["dup", "drop", "edit", "insert", "delim", "quote", "bytes"]))
        if op == "dup":
            lines.insert(i, lines[i])
        elif op == "drop" and len(lines) > 1:
            del lines[i]
        elif op == "edit":
            lines[i] = ",".join(data.draw(st.lists(st.text(max_size=8) | st.sampled_from(seeds()["codes"]), max_size=4)))
        elif op == "insert":
            lines.insert(i, data.draw(st.text(max_size=40)))
        elif op == "delim":
            lines = [ln.replace(",", data.draw(st.sampled_from([";", "\t", "|", ", "]))) for ln in lines]
        elif op == "quote":
            lines[i] = '"' + lines[i]
        else:
            raw = _mutate_bytes(data.draw, "\n".join(lines))
            read("p.csv", raw)
            return
    read(data.draw(st.sampled_from(["p.csv", "p"])), ("\n".join(lines) + "\n").encode())


# ---------------------------------------------------------------------------------------------- scenarios

SECTIONS = {
    "units": ["level", "keep_whole"], "travel": ["max_km", "detour_factor", "facility_max_km"],
    "facilities": ["required", "exempt_absent"], "size": ["min_pupils", "max_pupils"],
    "contiguity": ["enabled", "ferry_links"], "locks": ["pin", "together", "apart", "keep_current_whole"],
    "objective": ["travel", "disruption", "swv_count", "target_swvs_national", "target_swvs_per_jeugdregio"],
    "solver": ["backend", "time_limit_s", "gap", "threads", "seed", "processes"],
}
TOP = ["name", "description", "jeugdregios"]
CODES = st.sampled_from(["GM0014", "GM0037", "GM0363", "1011", "9999", "JZ01", "JZ13", "JZ99", "PO2001", "sbo", "so"])
TEXT = st.text(max_size=12)
VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=True) | TEXT | CODES
    | st.sampled_from(["gemeente", "pc4", "hybrid", "highs", "cbc"]),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(CODES | TEXT, kids, max_size=4), max_leaves=12)


@st.composite
def scenario_dicts(draw):
    out = {}
    for key in draw(st.lists(st.sampled_from(TOP + list(SECTIONS) + ["bogus"]), max_size=6, unique=True)):
        if key in SECTIONS and draw(st.integers(0, 5)):
            fields = draw(st.lists(st.sampled_from(SECTIONS[key] + ["x"]), max_size=4, unique=True))
            out[key] = {f: draw(VALUE) for f in fields}
        else:
            out[key] = draw(VALUE)
    return out


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}" for k, x in v.items() if x is not None) + "}"
    return json.dumps(str(v))


@st.composite
def tomlish(draw):
    """Mostly-valid TOML built from scenario dicts, with a chance of garbage lines and broken syntax."""
    lines = []
    for key, val in draw(scenario_dicts()).items():
        if isinstance(val, dict):
            lines.append(f"[{key}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in val.items() if v is not None]
        elif val is not None:
            lines.insert(0, f"{key} = {_toml_value(val)}")
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(lines)))
        lines.insert(i, draw(st.text(max_size=30) | st.sampled_from(["[", "[[x]]", "a = ", "= 1", "x = 1\nx = 2"])))
    return "\n".join(lines)


def _load_all(text: bytes):
    """load_scenario from a file and the app's upload: the same scenario or the same kind of error."""
    from regioindeling.app.files import read_scenario_upload
    from regioindeling.scenario import load_scenario

    got = []
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "s.toml"
        path.write_bytes(text)
        for load, name in ((lambda: load_scenario(path), str(path)), (lambda: read_scenario_upload("s.toml", text), "s.toml")):
            try:
                got.append(load())
            except InputError as exc:
                check_error(exc, name)
                got.append(None)
    if text.strip():  # the app refuses an empty upload; an empty file is the default scenario
        assert (got[0] is None) == (got[1] is None)
    return got[0]


def _round_trips(sc) -> None:
    """A valid scenario survives the store's TOML writer: what is saved can be opened again, unchanged."""
    from regioindeling.scenario import scenario_from_dict, scenario_to_toml

    text = scenario_to_toml(sc)
    assert scenario_from_dict(tomllib.loads(text)) == sc, text


@FUZZ
@given(text=tomlish())
def test_tomlish_scenarios(text):
    sc = _load_all(text.encode("utf-8"))
    if sc is not None:
        _round_trips(sc)


@FUZZ
@given(raw=st.binary(max_size=400))
def test_random_bytes_as_scenario(raw):
    _load_all(raw)


@FUZZ
@given(data=scenario_dicts())
def test_random_scenario_dicts(data):
    from regioindeling.scenario import scenario_from_dict

    try:
        sc = scenario_from_dict(data, "fuzz.toml")
    except InputError as exc:
        check_error(exc, "fuzz.toml")
        return
    _round_trips(sc)


@FUZZ
@given(description=st.text(max_size=40), pins=st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8),
                                                              max_size=4))
def test_any_valid_text_round_trips(description, pins):
    """Free text the app's form accepts (names, descriptions, pin names) is written as valid TOML."""
    from regioindeling.scenario import scenario_from_dict

    try:
        sc = scenario_from_dict({"description": description, "locks": {"pin": pins}}, "form")
    except InputError as exc:
        check_error(exc, "form")
        return
    assume(sc is not None)
    _round_trips(sc)


# ---------------------------------------------------------------------------------------------- found by fuzzing
# (the refused inputs live in tests/bad_inputs/; these were wrongly refused or crashed and must keep working)


def test_altitude_on_some_vertices_is_ignored():
    """A lost comma made one vertex [lon, lat, z]; GEOS then gave the other vertices z = NaN and reprojection
    failed. Positions may carry an altitude (RFC 7946 3.1.1): it is dropped."""
    ring = [[4.8, 52.3], [5.0, 52.3, 12.5], [5.0, 52.4], [4.8, 52.4], [4.8, 52.3]]
    doc = {"type": "FeatureCollection",
           "features": [{"type": "Feature", "properties": {"name": "A"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}
    ours, app = read("p.geojson", json.dumps(doc).encode())
    assert ours == app and ours and set(ours.values()) == {"A"}


@pytest.mark.parametrize("text", ["a\x1fb", "tab\there", "cr\rlf\n", 'quote " and \\ backslash', "\x7f", "é ü ✓"])
def test_control_characters_in_free_text_round_trip(text):
    """The store once wrote a description with U+001F unescaped: valid on save, unreadable on open."""
    from regioindeling.scenario import scenario_from_dict

    _round_trips(scenario_from_dict({"name": text, "description": text, "locks": {"pin": {text: text}}}))

"""The loader: the embedded dataset's contents, and one clear error per schema problem."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from regioindeling.data import load, schema
from regioindeling.errors import InputError
from regioindeling.paths import DEFAULT_DATA_DIR


def test_embedded_dataset_counts(ds):
    info = ds.info()
    c = info["counts"]
    assert c["gemeenten"] == 342
    assert c["jeugdregios"] == 42
    assert c["pc4"] >= 4000
    assert c["schools"] >= 8500
    assert (c["swv_po"], c["swv_vo"]) == (76, 74)
    assert info["data_version"].startswith("nl-gm2025-swv2015-")


def test_embedded_dataset_is_consistent(ds):
    # every PC4's pupils add up to the gemeente table, and estimated pupils match the pupils counted at sites
    by_gm = ds.pc4.groupby("gemeente")[["pupils_po", "pupils_vo"]].sum()
    gm = ds.gemeenten.set_index("gemeente")
    assert (by_gm.pupils_po - gm.pupils_po).abs().max() < 1.0
    total_est = ds.pc4.pupils_po.sum() + ds.pc4.pupils_vo.sum()
    assert abs(total_est - ds.schools.pupils.sum()) / ds.schools.pupils.sum() < 0.005
    assert ds.schools.vestigingscode.is_unique
    assert set(ds.schools.sector) <= {"bao", "sbo", "so", "vso", "so/vso", "vo", "pro"}
    # Amsterdam, Rotterdam, Den Haag: three to four times the median current SWV area (the premise)
    med = ds.swv_current.pupils.median()
    for code in ("GM0363", "GM0599", "GM0518"):
        assert gm.loc[code].pupils_po + gm.loc[code].pupils_vo > 2.5 * med


def test_every_jeugdregio_graph_is_connected(ds):
    adj = ds.adjacency_pc4
    jz_of = dict(zip(ds.pc4.pc4, ds.pc4.jeugdregio))
    for jz, sub in ds.pc4.groupby("jeugdregio"):
        nodes = set(sub.pc4)
        nbr = {n: set() for n in nodes}
        for a, b in zip(adj.a, adj.b):
            if jz_of[a] == jz_of[b] == jz:
                nbr[a].add(b)
                nbr[b].add(a)
        seen, todo = set(), [min(nodes)]
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(nbr[n] - seen)
        assert seen == nodes, f"{jz}: {len(nodes - seen)} PC4s unreachable"


def test_wadden_islands_have_ferry_links(ds):
    ferries = ds.adjacency_gemeente[ds.adjacency_gemeente.kind == "ferry"]
    islands = {"GM0448", "GM0096", "GM0093", "GM0060", "GM0088"}
    assert islands <= set(ferries.a) | set(ferries.b)


def test_load_path_equals_default(ds):
    other = load(DEFAULT_DATA_DIR)
    assert other.version == ds.version
    assert len(other.pc4) == len(ds.pc4)


# ---------------------------------------------------------------- validation: one line per problem


@pytest.fixture()
def copy(tmp_path):
    dst = tmp_path / "geo"
    shutil.copytree(DEFAULT_DATA_DIR, dst)
    return dst


def _rewrite(path, table: str, change):
    file = path / f"{table}.parquet"
    spec = next(t for t in schema.TABLES if t.name == table)
    df = gpd.read_parquet(file) if spec.geometry else pd.read_parquet(file)
    df = change(df)
    df.to_parquet(file, index=False)


def _error(path) -> InputError:
    with pytest.raises(InputError) as exc:
        load(path)
    line = exc.value.line()
    assert "\n" not in line and "fix:" in line
    return exc.value


def test_missing_directory(tmp_path):
    err = _error(tmp_path / "nope")
    assert "not found" in err.problem


def test_missing_metadata(copy):
    (copy / "dataset.json").unlink()
    assert "dataset.json" in _error(copy).where


def test_metadata_not_json(copy):
    (copy / "dataset.json").write_text("{broken")
    err = _error(copy)
    assert "not valid JSON" in err.problem and err.where.endswith("dataset.json")


def test_wrong_schema_version(copy):
    meta = json.loads((copy / "dataset.json").read_text())
    meta["schema_version"] = 99
    (copy / "dataset.json").write_text(json.dumps(meta))
    assert _error(copy).field == "schema_version"


def test_missing_file(copy):
    (copy / "schools.parquet").unlink()
    err = _error(copy)
    assert err.where.endswith("schools.parquet") and "missing" in err.problem


def test_corrupted_file(copy):
    data = (copy / "pc4.parquet").read_bytes()
    (copy / "pc4.parquet").write_bytes(data[: len(data) // 2])
    err = _error(copy)
    assert err.where.endswith("pc4.parquet") and "corrupted" in err.problem


def test_missing_column(copy):
    _rewrite(copy, "gemeenten", lambda df: df.drop(columns=["jeugdregio"]))
    err = _error(copy)
    assert err.where.endswith("gemeenten.parquet") and err.field == "jeugdregio"


def test_wrong_type(copy):
    _rewrite(copy, "pc4", lambda df: df.assign(pupils_po=df.pupils_po.astype(str)))
    err = _error(copy)
    assert err.field == "pupils_po" and "wrong type" in err.problem


def test_empty_numbers(copy):
    _rewrite(copy, "schools", lambda df: df.assign(x=df.x.where(df.index > 0)))
    assert _error(copy).field == "x"


def test_duplicate_code(copy):
    _rewrite(copy, "gemeenten", lambda df: pd.concat([df, df.iloc[[0]]]))
    err = _error(copy)
    assert "duplicate code GM" in err.problem and err.field == "gemeente"


def test_wrong_crs(copy):
    _rewrite(copy, "jeugdregios", lambda df: df.to_crs(28992))
    err = _error(copy)
    assert "EPSG:4326" in err.problem and err.field == "geometry"


def test_swapped_lat_lon(copy):
    swap = lambda df: df.set_geometry(shapely.transform(df.geometry.values, lambda c: c[:, ::-1]))  # noqa: E731
    _rewrite(copy, "schools", swap)
    err = _error(copy)
    assert "swapped" in err.problem


def test_invalid_geometry(copy):
    bowtie = shapely.Polygon([(5.0, 52.0), (5.1, 52.1), (5.1, 52.0), (5.0, 52.1)])
    _rewrite(copy, "jeugdregios", lambda df: df.set_geometry([bowtie] + list(df.geometry.values[1:]), crs=4326))
    err = _error(copy)
    assert "invalid geometry for JZ" in err.problem


def test_empty_geometry(copy):
    _rewrite(copy, "jeugdregios", lambda df: df.set_geometry([shapely.Polygon()] + list(df.geometry.values[1:]), crs=4326))
    assert "empty geometry" in _error(copy).problem


def test_wrong_geometry_type(copy):
    _rewrite(copy, "gemeenten", lambda df: df.set_geometry(df.geometry.representative_point()))
    assert "expected Polygon" in _error(copy).problem


def test_unit_without_jeugdregio(copy):
    _rewrite(copy, "gemeenten", lambda df: df.assign(jeugdregio=["JZ99"] + list(df.jeugdregio[1:])))
    err = _error(copy)
    assert "unknown jeugdregio" in err.problem and "JZ99" in err.problem


def test_pc4_in_other_jeugdregio_than_its_gemeente(copy):
    def move(df):
        other = "JZ01" if df.jeugdregio.iloc[0] != "JZ01" else "JZ02"
        return df.assign(jeugdregio=[other] + list(df.jeugdregio[1:]))

    _rewrite(copy, "pc4", move)
    assert "another jeugdregio" in _error(copy).problem


def test_pc4_without_current_swv(copy):
    _rewrite(copy, "pc4", lambda df: df.assign(swv_vo=[""] + list(df.swv_vo[1:])))
    assert _error(copy).field == "swv_vo"


def test_school_in_unknown_pc4(copy):
    _rewrite(copy, "schools", lambda df: df.assign(pc4=["0000"] + list(df.pc4[1:])))
    assert "unknown PC4" in _error(copy).problem

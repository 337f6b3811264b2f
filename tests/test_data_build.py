"""``data build`` on the real official files in ../shared/data (CI has them)."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from regioindeling.data import load, schema
from regioindeling.data.build import build_dataset
from regioindeling.data.raw import REFERENCE_SOURCES, read_manifest
from regioindeling.errors import InputError
from regioindeling.paths import DEFAULT_DATA_DIR

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(raw_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("build") / "geo"
    rep = build_dataset(raw_dir, out)
    return out, rep


def test_build_counts_and_reconciliation(built):
    out, rep = built
    assert rep.counts["gemeenten"] == 342 and rep.counts["jeugdregios"] == 42
    assert rep.counts["pc4"] >= 4000 and rep.counts["schools"] >= 8500
    assert (rep.counts["swv_po"], rep.counts["swv_vo"]) == (76, 74)
    checks = {k for k, _ in rep.lines}
    for key in ("SWV rows without PC4 area", "PC4 areas not in the Regeling", "Europoort rows",
                "schools placed in a PC4", "pupils dropped", "PC4 adjacency"):
        assert key in checks
    assert rep.dropped_share <= 0.005
    ds = load(out)
    assert ds.info()["counts"]["gemeenten"] == 342


def test_embedded_dataset_is_what_the_build_makes(built):
    """data/geo is reproducible from the raw sources: every table equals a fresh build's."""
    out, _ = built
    for table in schema.TABLES:
        a = (gpd.read_parquet if table.geometry else pd.read_parquet)(out / table.file)
        b = (gpd.read_parquet if table.geometry else pd.read_parquet)(DEFAULT_DATA_DIR / table.file)
        cols = [c for c in table.columns if c != "geometry"]
        pd.testing.assert_frame_equal(a[cols], b[cols], check_exact=False, rtol=1e-9)
        if table.geometry:
            assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-7).all(), table.name
    meta_a = json.loads((out / "dataset.json").read_text())
    meta_b = json.loads((DEFAULT_DATA_DIR / "dataset.json").read_text())
    assert meta_a["reconciliation"] == meta_b["reconciliation"]


def test_membership_matches_the_published_derived_table(built, raw_dir):
    out, _ = built
    gm = gpd.read_parquet(out / "gemeenten.parquet")
    ref = pd.read_csv(raw_dir / "geo" / "gemeente_jeugdregio_2025_DERIVED.csv", dtype=str)
    ours = dict(zip(gm.gemeente, gm.jeugdregio))
    theirs = dict(zip(ref.gemeentecode, ref.jeugdregiocode))
    assert ours == theirs


def test_pc4_swv_follows_the_regeling(built, raw_dir):
    out, _ = built
    pc = pd.read_parquet(out / "pc4.parquet", columns=["pc4", "swv_po", "swv_vo", "swv_source"])
    reg = pd.read_csv(raw_dir / "onderwijs" / "swv_pc4.csv", dtype=str).set_index("pc4")
    listed = pc[pc.swv_source == "regeling"].set_index("pc4")
    assert len(listed) > 4000
    assert (listed.swv_po == reg.swv_po.reindex(listed.index)).all()
    assert (listed.swv_vo == reg.swv_vo.reindex(listed.index)).all()
    europoort = set(reg.index[reg.swv_po == "Europoort"])
    assert europoort and set(pc.pc4[pc.swv_source == "neighbours (Europoort row)"]) == europoort
    assert not pc.swv_po.eq("Europoort").any()


def test_schools_deduplicated_on_vestigingscode(built, raw_dir):
    out, _ = built
    raw = json.loads((raw_dir / "onderwijs" / "edugis_scholen_20241122.geo.json").read_text(encoding="utf-8"))
    codes = {f["properties"]["vestigingscode"] for f in raw["features"]}
    sc = pd.read_parquet(out / "schools.parquet", columns=["vestigingscode"])
    assert len(raw["features"]) > len(codes)  # the raw file does repeat sites
    assert set(sc.vestigingscode) == codes


def _raw_copy(raw_dir, tmp_path, replace: dict[str, bytes]):
    """A raw directory of symlinks to the reference files, with some roles' files replaced."""
    dst = tmp_path / "raw"
    for src in REFERENCE_SOURCES:
        target = dst / src.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.role in replace:
            target.write_bytes(replace[src.role])
        else:
            target.symlink_to(raw_dir / src.path)
    return dst


def test_build_refuses_to_drop_more_than_half_a_percent(raw_dir, tmp_path):
    doc = json.loads((raw_dir / "onderwijs" / "edugis_scholen_20241122.geo.json").read_text(encoding="utf-8"))
    feats = sorted(doc["features"], key=lambda f: -int(f["properties"].get("leerlingen") or 0))
    moved = 0
    for f in feats:
        if f["properties"].get("type", "").startswith(("VO", "HAVO", "VWO", "VMBO")) or moved < 12_000:
            f["properties"]["postcode"] = "0000XX"
            f["geometry"] = {"type": "Point", "coordinates": [3.0, 53.7]}  # the North Sea
            moved += int(f["properties"].get("leerlingen") or 0)
        if moved > 20_000:
            break
    raw = _raw_copy(raw_dir, tmp_path, {"schools": json.dumps(doc).encode()})
    out = tmp_path / "out"
    with pytest.raises(InputError) as exc:
        build_dataset(raw, out)
    assert "would be dropped, above the 0.5 % limit" in exc.value.problem
    assert not out.exists()  # nothing half-written


def test_missing_raw_file_is_named(raw_dir, tmp_path):
    raw = _raw_copy(raw_dir, tmp_path, {})
    (raw / "onderwijs" / "swv_pc4.csv").unlink()
    with pytest.raises(InputError) as exc:
        read_manifest(raw)
    assert "swv_pc4.csv" in exc.value.where and "swv_pc4" in exc.value.problem


def test_broken_raw_csv_is_named(raw_dir, tmp_path):
    raw = _raw_copy(raw_dir, tmp_path, {"swv_pc4": b"postcode;something\n1011;x\n"})
    with pytest.raises(InputError) as exc:
        build_dataset(raw, tmp_path / "out")
    assert exc.value.where.endswith("swv_pc4.csv") and exc.value.field
    assert not (tmp_path / "out").exists()

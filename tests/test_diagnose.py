"""``diagnose``: figures checked against values computed independently (plain loops, and the raw Regeling)."""

from __future__ import annotations

import csv
import json
from collections import defaultdict

import pytest

from regioindeling.cli import main
from regioindeling.diagnose import diagnose


@pytest.fixture(scope="module")
def doc(ds):
    return diagnose(ds)


def _raw_touches(raw_dir):
    """SWV code -> jeugdregio's, and gemeente -> SWV codes, straight from the raw Regeling table."""
    jz_of, gm_of = {}, {}
    with open(raw_dir / "geo" / "pc4_points_DERIVED.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            jz_of[row["pc4"]] = row["jeugdregiocode_2025"]
            gm_of[row["pc4"]] = row["gemeentecode_2025"]
    touches, partners = defaultdict(set), defaultdict(set)
    with open(raw_dir / "onderwijs" / "swv_pc4.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            pc = row["pc4"].zfill(4)
            if pc not in jz_of or row["swv_po"] == "Europoort":
                continue
            for code in (row["swv_po"], row["swv_vo"]):
                touches[code].add(jz_of[pc])
                partners[gm_of[pc]].add(code)
    return touches, partners


def test_jeugdregios_touched_match_the_raw_regeling(doc, raw_dir):
    touches, _ = _raw_touches(raw_dir)
    ours = {r["swv"]: set(r["jeugdregios"]) for r in doc["swvs"]}
    assert set(ours) == set(touches)
    for code, jzs in touches.items():
        assert ours[code] == jzs, code
    # "about a third of them cut across the jeugdzorgregio's"
    crossing = sum(len(j) > 1 for j in ours.values())
    assert 0.25 < crossing / len(ours) < 0.5


def test_share_outside_main_by_plain_loop(doc, ds):
    pupils = defaultdict(lambda: defaultdict(float))
    for pc in ds.pc4.itertuples():
        pupils[pc.swv_po][pc.jeugdregio] += pc.pupils_po
        pupils[pc.swv_vo][pc.jeugdregio] += pc.pupils_vo
    for r in doc["swvs"]:
        by_jz = pupils[r["swv"]]
        total = sum(by_jz.values())
        main_jz = max(by_jz, key=lambda j: (by_jz[j], -int(j[2:])))
        assert r["main_jeugdregio"] == main_jz
        assert r["share_outside_main"] == pytest.approx(1 - by_jz[main_jz] / total, abs=1e-4)
        assert r["pupils"] == pytest.approx(total, abs=1)


def test_swvs_per_jeugdregio_and_partners_per_gemeente(doc, raw_dir, ds):
    touches, partners = _raw_touches(raw_dir)
    for r in doc["jeugdregios"]:
        po = {c for c, jzs in touches.items() if r["jeugdregio"] in jzs and c.startswith("PO")}
        vo = {c for c, jzs in touches.items() if r["jeugdregio"] in jzs and c.startswith("VO")}
        assert (r["n_swv_po"], r["n_swv_vo"]) == (len(po), len(vo)), r["jeugdregio"]
    ours = {r["gemeente"]: r["partners"] for r in doc["gemeenten"]}
    assert len(ours) == 342
    for gm, codes in partners.items():
        assert ours[gm] == len(codes), gm
    assert ours["GM0599"] == max(ours.values())  # Rotterdam deals with the most SWVs


def test_summary_lines_first(doc):
    assert len(doc["summary"]) >= 4
    assert doc["summary"][0].startswith("po: ") and "cross a jeugdregio border" in doc["summary"][0]


def test_cli_diagnose_json_and_out(tmp_path, capsys):
    out = tmp_path / "diag.json"
    assert main(["diagnose", "--json", "--out", str(out)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    assert len(printed["swvs"]) == 150


def test_cli_diagnose_text(capsys):
    assert main(["diagnose", "--top", "3"]) == 0
    text = capsys.readouterr().out
    assert "cross a jeugdregio border" in text and "Rijnmond" in text

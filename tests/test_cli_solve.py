"""``regioindeling solve`` end to end on the embedded data (gemeente level, a few jeugdregio's)."""

from __future__ import annotations

import json
from pathlib import Path

from regioindeling.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _scenario(tmp_path: Path, body: str = "") -> Path:
    p = tmp_path / "s.toml"
    p.write_text('[units]\nlevel = "gemeente"\n[solver]\nprocesses = 1\n' + body)
    return p


def test_solve_writes_geojson_and_csv_deterministically(tmp_path, capsys):
    sc = _scenario(tmp_path)
    outs = []
    for k in range(2):
        out, csv = tmp_path / f"p{k}.geojson", tmp_path / f"p{k}.csv"
        code = main(["solve", "--scenario", str(sc), "--out", str(out), "--csv", str(csv),
                     "--jeugdregio", "JZ04", "--jeugdregio", "JZ38"])
        assert code == 0, capsys.readouterr()
        outs.append((out.read_bytes(), csv.read_bytes()))
    assert outs[0] == outs[1]
    doc = json.loads(outs[0][0])
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    rows = outs[0][1].decode().splitlines()
    assert rows[0] == "unit,swv_id" and all(r.split(",")[1][:4] in ("JZ04", "JZ38") for r in rows[1:])


def test_solve_json_report(tmp_path, capsys):
    code = main(["solve", "--scenario", str(_scenario(tmp_path)), "--out", str(tmp_path / "p.geojson"),
                 "--jeugdregio", "JZ43", "--json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["national"]["status"] == "optimal" and doc["evaluation_ok"] is True
    assert [r["jeugdregio"] for r in doc["reports"]] == ["JZ43"]


def test_partly_infeasible_exits_1_and_names_the_cause(tmp_path, capsys):
    sc = _scenario(tmp_path, "[size]\nmax_pupils = 60000\n")
    code = main(["solve", "--scenario", str(sc), "--out", str(tmp_path / "p.geojson"),
                 "--jeugdregio", "JZ13", "--jeugdregio", "JZ15"])
    assert code == 1
    out = capsys.readouterr().out
    assert "GM0363" in out and "max_pupils" in out
    assert (tmp_path / "p.geojson").exists()


def test_all_infeasible_is_one_line_exit_2_nothing_written(tmp_path, capsys):
    bad = ROOT / "tests" / "bad_inputs" / "scenario_infeasible_size.toml"
    out = tmp_path / "p.geojson"
    code = main(["solve", "--scenario", str(bad), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and not out.exists()
    assert len(err) == 1 and err[0].startswith(f"error: {bad}") and "max_pupils" in err[0] and "fix:" in err[0]


def test_contradicting_locks_exit_2(tmp_path, capsys):
    bad = ROOT / "tests" / "bad_inputs" / "scenario_contradicting_locks.toml"
    code = main(["solve", "--scenario", str(bad), "--out", str(tmp_path / "p.geojson")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "GM0014" in err[0] and "GM0037" in err[0]


def test_unknown_jeugdregio_exit_2(tmp_path, capsys):
    code = main(["solve", "--scenario", str(_scenario(tmp_path)), "--out", str(tmp_path / "p.geojson"),
                 "--jeugdregio", "JZ99"])
    assert code == 2 and "JZ99" in capsys.readouterr().err


NATIONAL = '[units]\nlevel = "gemeente"\n[size]\nmax_pupils = 150000\n[objective]\nswv_count = 100000.0\n'


def test_national_target_writes_exactly_that_many_swvs(tmp_path, capsys):
    sc = tmp_path / "t.toml"
    sc.write_text(NATIONAL + "target_swvs_national = 90\n")
    out = tmp_path / "p.geojson"
    code = main(["solve", "--scenario", str(sc), "--out", str(out), "--json"])
    assert code == 0, capsys.readouterr().err
    doc = json.loads(capsys.readouterr().out)
    target = doc["national"]["target"]
    assert target["swvs"] == 90 and target["n_swvs"] == 90 and target["exact"] is True
    assert doc["evaluation_ok"] is True and doc["national"]["n_swvs"] == 90
    assert all("count_note" in r and r["free_swvs"] is not None for r in doc["reports"])
    geo = json.loads(out.read_bytes())
    assert len(geo["features"]) == 90
    assert geo["regioindeling"]["solver"]["national_target"]["met"] is True


def test_national_target_out_of_range_exit_2_one_line(tmp_path, capsys):
    sc = tmp_path / "t.toml"
    sc.write_text(NATIONAL + "target_swvs_national = 400\n")
    out = tmp_path / "p.geojson"
    code = main(["solve", "--scenario", str(sc), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and not out.exists() and len(err) == 1
    assert err[0].startswith(f"error: {sc}, field 'objective.target_swvs_national': no indeling has exactly 400")
    assert "fix: set objective.target_swvs_national between" in err[0]
    code = main(["solve", "--scenario", str(sc), "--out", str(out), "--jeugdregio", "JZ01"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "needs all 42 jeugdregio's" in err[0]


def test_time_budget_is_announced_and_reported(tmp_path, capsys):
    sc = _scenario(tmp_path, "total_time_s = 30.0\n")
    code = main(["solve", "--scenario", str(sc), "--out", str(tmp_path / "p.geojson"), "--jeugdregio", "JZ43"])
    assert code == 0
    assert "time budget 30 s for the whole run" in capsys.readouterr().out
    code = main(["solve", "--scenario", str(sc), "--out", str(tmp_path / "p.geojson"), "--jeugdregio", "JZ43",
                 "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["national"]["time_budget_s"] == 30.0


def test_time_budget_with_a_national_count_exit_2_one_line(tmp_path, capsys):
    sc = tmp_path / "t.toml"
    sc.write_text(NATIONAL + "target_swvs_national = 90\n" + "[solver]\ntotal_time_s = 60.0\n")
    out = tmp_path / "p.geojson"
    code = main(["solve", "--scenario", str(sc), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and not out.exists() and len(err) == 1
    assert err[0].startswith(f"error: {sc}, field 'solver.total_time_s': ") and "fix: set solver.total_time_s = 0" in err[0]

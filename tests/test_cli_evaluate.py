"""``evaluate`` / ``compare`` exit codes and output, on the small dataset and on the real baselines."""

from __future__ import annotations

import json

import pytest

from fixtures_small import save, small_dataset
from regioindeling.cli import main


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return save(small_dataset(), tmp_path_factory.mktemp("small") / "geo")


def csv(tmp_path, name, rows):
    f = tmp_path / name
    f.write_text("unit,swv_id\n" + "".join(f"{u},{s}\n" for u, s in rows.items()))
    return f


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_exit_0_when_all_constraints_hold(data_dir, tmp_path, capsys):
    f = csv(tmp_path, "ok.csv", {"GM0001": "A", "GM0002": "B"})
    code, out, _ = run(capsys, "evaluate", f, "--data", data_dir)
    assert code == 0 and "all hard constraints hold" in out and "SWVs" in out


def test_exit_1_with_violations_named(data_dir, tmp_path, capsys):
    f = csv(tmp_path, "bad.csv", {"GM0001": "A", "GM0002": "A"})
    code, out, _ = run(capsys, "evaluate", f, "--data", data_dir)
    assert code == 1 and "jeugdregio" in out and "SWV A spans 2 jeugdregio's" in out


def test_json_output(data_dir, tmp_path, capsys):
    f = csv(tmp_path, "ok.csv", {"GM0001": "A", "1004": "B", "1005": "B", "1006": "B"})
    code, out, _ = run(capsys, "evaluate", f, "--json", "--data", data_dir)
    doc = json.loads(out)
    assert code == 0 and doc["ok"] is True and doc["kpis"]["n_swvs"] == 2 and doc["import"]["format"] == "csv"
    assert doc["hubs"] == {"A": "GM0001", "B": "1005"}


def test_scenario_option(data_dir, tmp_path, capsys):
    f = csv(tmp_path, "ok.csv", {"GM0001": "A", "GM0002": "B"})
    sc = tmp_path / "tight.toml"
    sc.write_text("[travel]\nmax_km = 12\n")
    code, out, _ = run(capsys, "evaluate", f, "--scenario", sc, "--data", data_dir)
    assert code == 1 and "farther than 12 km" in out


@pytest.mark.parametrize("content,expected", [
    ('{"type": "FeatureCollection", "features": [', "not valid JSON"),
    ("unit,swv_id\nGM0009,A\n", "unknown unit code 'GM0009'"),
])
def test_exit_2_for_bad_input(data_dir, tmp_path, capsys, content, expected):
    f = tmp_path / ("p.geojson" if content.startswith("{") else "p.csv")
    f.write_text(content)
    code, out, err = run(capsys, "evaluate", f, "--data", data_dir)
    assert code == 2 and expected in err and err.count("\n") == 1 and "Traceback" not in err


def test_exit_2_for_bad_scenario_and_missing_file(data_dir, tmp_path, capsys):
    f = csv(tmp_path, "ok.csv", {"GM0001": "A", "GM0002": "B"})
    sc = tmp_path / "typo.toml"
    sc.write_text("[travel]\nmax_kms = 12\n")
    assert run(capsys, "evaluate", f, "--scenario", sc, "--data", data_dir)[0] == 2
    code, _, err = run(capsys, "evaluate", tmp_path / "nope.csv", "--data", data_dir)
    assert code == 2 and "file not found" in err


def test_compare_lists_moved_units(data_dir, tmp_path, capsys):
    a = csv(tmp_path, "a.csv", {"GM0001": "A", "GM0002": "B"})
    b = csv(tmp_path, "b.csv", {"GM0001": "X", "1004": "X", "1005": "Y", "1006": "Y"})
    code, out, _ = run(capsys, "compare", a, b, "--json", "--data", data_dir)
    doc = json.loads(out)
    assert code == 0 and doc["moved"] == [{"unit": "1004", "from": "B", "to": "X", "pupils": 150.0}]
    code, out, _ = run(capsys, "compare", a, b, "--data", data_dir)
    assert code == 0 and "1 units moved" in out and "1004" in out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["status-quo-po", "status-quo-vo", "naive-merge"])
def test_real_baselines_print_kpis_and_violations(name, capsys):
    code, out, _ = run(capsys, "evaluate", name)
    assert code == 1  # every baseline breaks some hard constraint on the real data
    assert "National KPIs" in out and "pupils further than today" in out and "violations" in out
    if name.startswith("status-quo"):
        assert "spans 2 jeugdregio's" in out
    else:
        assert "spans" not in out and "separate pieces" not in out  # no jeugdregio or contiguity violation


def test_report_command(data_dir, tmp_path, capsys):
    f = csv(tmp_path, "ok.csv", {"GM0001": "A", "GM0002": "B"})
    out = tmp_path / "r" / "report.html"
    code, _, _ = run(capsys, "report", "--gemeente", "GM0001", "--proposal", f, "--out", out, "--data", data_dir)
    assert code == 0 and "Eerstedorp" in out.read_text(encoding="utf-8")
    code, _, err = run(capsys, "report", "--gemeente", "GM0999", "--proposal", f, "--out", tmp_path / "x.html",
                       "--data", data_dir)
    assert code == 2 and "unknown gemeente 'GM0999'" in err and not (tmp_path / "x.html").exists()

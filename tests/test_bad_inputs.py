"""The bad-input corpus (tests/bad_inputs/MANIFEST.toml) through the CLI and through the app's parsers.

Every bad input must give exit code 2 and exactly one line on stderr ("error: <file>...; fix: ..."), matching the
manifest's regular expression, with no traceback and nothing written. Generated cases (too big or too bulky to
commit) are made here: a 200 MB proposal and dataset directories with a missing, a truncated or a re-projected file.
A well-formed proposal that leaves units unassigned is not bad input: exit code 1 with the units named.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from regioindeling.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "bad_inputs"
MANIFEST = tomllib.loads((CORPUS / "MANIFEST.toml").read_text("utf-8"))
PROPOSALS = sorted(MANIFEST["proposals"].items())
SCENARIOS = sorted(MANIFEST["scenarios"].items())
# Scenario files that are valid on their own and wrong only against the dataset (codes it lacks, limits no
# indeling can meet): refused by the solve step, not by the schema.
NEEDS_DATA = {"scenario_unknown_jeugdregio.toml", "scenario_pin_unknown_unit.toml", "scenario_infeasible_size.toml"}
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\s+File \"", re.M)


def cli(*args, timeout: float = 300, **env) -> subprocess.CompletedProcess:
    """``python -m regioindeling ARGS`` from the project root, as a user would run it."""
    return subprocess.run([sys.executable, "-m", "regioindeling", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=dict(os.environ, COLUMNS="250", **env))


def assert_one_line_error(proc: subprocess.CompletedProcess, names: str | Path, pattern: str) -> str:
    """Exit 2, no traceback anywhere, one ``error:`` line on stderr naming ``names`` with a fix matching ``pattern``."""
    assert not TRACEBACK.search(proc.stdout + proc.stderr), proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("error:"), line
    assert str(names) in line, f"{names} not named in: {line}"
    assert "fix:" in line, line
    assert re.search(pattern, line, re.I), f"/{pattern}/ does not match: {line}"
    return line


def assert_input_error(exc: InputError, name: str, pattern: str) -> None:
    line = exc.line()
    assert "\n" not in line and "\r" not in line, line
    assert name in line and "fix:" in line, line
    assert re.search(pattern, line, re.I), f"/{pattern}/ does not match: {line}"


def test_manifest_and_corpus_agree():
    listed = {name for name, _ in PROPOSALS + SCENARIOS}
    on_disk = {p.name for p in CORPUS.iterdir() if p.name != "MANIFEST.toml"}
    assert listed == on_disk
    assert len(listed) >= 40
    assert NEEDS_DATA <= set(MANIFEST["scenarios"])
    for _, pattern in PROPOSALS + SCENARIOS:
        re.compile(pattern)


# ---------------------------------------------------------------------------------------------- proposals


@pytest.mark.parametrize("name, pattern", PROPOSALS, ids=[n for n, _ in PROPOSALS])
def test_proposal_cli(name, pattern):
    rel = (CORPUS / name).relative_to(ROOT)
    proc = cli("evaluate", rel)
    assert_one_line_error(proc, rel, pattern)
    assert proc.stdout.strip() == ""


@pytest.mark.parametrize("name, pattern", PROPOSALS, ids=[n for n, _ in PROPOSALS])
def test_proposal_app_upload(ds, name, pattern):
    from regioindeling.app.files import read_proposal_upload

    with pytest.raises(InputError) as exc:
        read_proposal_upload(name, (CORPUS / name).read_bytes(), ds)
    assert_input_error(exc.value, name, pattern)


@pytest.fixture(scope="module")
def huge_proposal(tmp_path_factory) -> Path:
    """A 200 MB GeoJSON file (sparse: it takes no disk space)."""
    path = tmp_path_factory.mktemp("huge") / "huge.geojson"
    with open(path, "wb") as fh:
        fh.write(b'{"type": "FeatureCollection", "features": [')
        fh.truncate(200 * 2**20)
    return path


def test_huge_proposal_cli(huge_proposal):
    assert_one_line_error(cli("evaluate", huge_proposal), huge_proposal, r"200 MB.*limit")


def test_huge_proposal_refused_before_reading(ds, huge_proposal, monkeypatch):
    """The size is judged from the file's metadata: not one byte is read or decoded."""
    import regioindeling.importing as imp

    def no_reading(*_a, **_k):
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    monkeypatch.setattr(imp, "_decode", no_reading)
    with pytest.raises(InputError) as exc:
        imp.read_proposal(huge_proposal, ds)
    assert_input_error(exc.value, "huge.geojson", r"200 MB.*limit")


def test_huge_proposal_app_upload(ds, monkeypatch):
    import regioindeling.importing as imp
    from regioindeling.app.files import read_proposal_upload

    monkeypatch.setattr(imp, "_decode", lambda *a: pytest.fail("an oversized upload was decoded"))
    with pytest.raises(InputError) as exc:
        read_proposal_upload("huge.geojson", bytes(200 * 2**20), ds)
    assert_input_error(exc.value, "huge.geojson", r"MB.*limit")


def test_unassigned_units_are_violations_not_bad_input(ds, tmp_path):
    """A well-formed proposal with gaps: exit 1, the missing units named (stdout and --json), no error line."""
    from regioindeling.baselines import naive_merge
    from regioindeling.export import csv_text

    lines = csv_text(naive_merge(ds)).splitlines()
    dropped = ["GM0014", "GM0363", "GM0599"]  # Groningen, Amsterdam, Rotterdam
    kept = [ln for ln in lines if ln.split(",")[0] not in dropped]
    assert len(kept) == len(lines) - len(dropped)
    f = tmp_path / "gaps.csv"
    f.write_text("\n".join(kept) + "\n")

    proc = cli("evaluate", f)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == "" and not TRACEBACK.search(proc.stdout)
    assert "not assigned to any SWV" in proc.stdout and all(g in proc.stdout for g in dropped)

    proc = cli("evaluate", f, "--json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    missing = [v for v in doc["violations"] if v["constraint"] == "assignment"]
    assert len(missing) == 1 and missing[0]["units"] == dropped and missing[0]["swv"] is None
    assert all(g in missing[0]["message"] for g in dropped)


# ---------------------------------------------------------------------------------------------- scenarios


@pytest.mark.parametrize("name, pattern", SCENARIOS, ids=[n for n, _ in SCENARIOS])
def test_scenario_cli_solve(name, pattern, tmp_path):
    pytest.importorskip("regioindeling.solve")
    rel = (CORPUS / name).relative_to(ROOT)
    outdir = tmp_path / "out"
    outdir.mkdir()
    proc = cli("solve", "--scenario", rel, "--out", outdir / "p.geojson", "--csv", outdir / "p.csv")
    assert_one_line_error(proc, rel, pattern)
    assert list(outdir.iterdir()) == [], "a refused scenario wrote output"


@pytest.mark.parametrize("name, pattern", SCENARIOS, ids=[n for n, _ in SCENARIOS])
def test_scenario_schema(name, pattern):
    """Everything that is wrong without looking at the data is refused by ``load_scenario``."""
    from regioindeling.scenario import load_scenario

    path = CORPUS / name
    if name in NEEDS_DATA:
        load_scenario(path)  # valid on its own; the solve step refuses it
        return
    with pytest.raises(InputError) as exc:
        load_scenario(path)
    assert_input_error(exc.value, name, pattern)


@pytest.mark.parametrize("name, pattern", SCENARIOS, ids=[n for n, _ in SCENARIOS])
def test_scenario_app(ds, name, pattern):
    """The app's scenario upload refuses schema errors; a run of a data-level bad scenario ends in one line."""
    from regioindeling.app.files import read_scenario_upload
    from regioindeling.app.jobs import plain_error

    data = (CORPUS / name).read_bytes()
    if name not in NEEDS_DATA:
        with pytest.raises(InputError) as exc:
            read_scenario_upload(name, data)
        assert_input_error(exc.value, name, pattern)
        return
    scenario = read_scenario_upload(name, data)
    solve = pytest.importorskip("regioindeling.solve")
    try:  # what the app's background job does with the form's scenario
        res = solve.solve(ds, scenario)
    except InputError as exc:
        line = plain_error(exc)
    else:
        assert not res.proposal.assignment, "a bad scenario produced a proposal"
        assert res.infeasibilities
        line = res.infeasibilities[0]
    assert "\n" not in line and re.search(pattern, line, re.I), line


def test_app_scenario_upload_limits():
    from regioindeling.app.files import read_scenario_upload

    with pytest.raises(InputError, match="file type"):
        read_scenario_upload("scenario.py", b"import os")
    with pytest.raises(InputError, match="limit"):
        read_scenario_upload("big.toml", b"#" * (51 * 2**20))
    with pytest.raises(InputError, match="empty"):
        read_scenario_upload("blank.toml", b"  \n")


# ---------------------------------------------------------------------------------------------- datasets


def _reproject(path: Path) -> None:
    import geopandas as gpd

    gpd.read_parquet(path).to_crs("EPSG:28992").to_parquet(path)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _remove(path: Path) -> None:
    path.unlink()


def _garble_json(path: Path) -> None:
    path.write_text(path.read_text()[:200])


DATASET_DAMAGE = {
    "missing_pc4": ("pc4.parquet", _remove, r"missing"),
    "truncated_schools": ("schools.parquet", _truncate, r"Parquet|corrupt|truncated"),
    "reprojected_gemeenten": ("gemeenten.parquet", _reproject, r"CRS|28992|WGS84"),
    "missing_dataset_json": ("dataset.json", _remove, r"missing|metadata"),
    "garbled_dataset_json": ("dataset.json", _garble_json, r"JSON"),
    "missing_adjacency": ("adjacency_pc4.parquet", _remove, r"missing"),
}


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    """Copies of data/geo, each with one file damaged: name -> (directory, damaged file)."""
    out = {}
    for case, (fname, damage, _) in DATASET_DAMAGE.items():
        d = tmp_path_factory.mktemp(case) / "geo"
        shutil.copytree(ROOT / "data" / "geo", d)
        damage(d / fname)
        out[case] = (d, d / fname)
    return out


@pytest.mark.parametrize("case", sorted(DATASET_DAMAGE))
@pytest.mark.parametrize("command", [("evaluate", "naive-merge"), ("data", "info")], ids=["evaluate", "data-info"])
def test_damaged_dataset(damaged, case, command):
    d, f = damaged[case]
    proc = cli(*command, "--data", d)
    assert_one_line_error(proc, f.name, DATASET_DAMAGE[case][2])
    assert proc.stdout.strip() == ""


def test_missing_dataset_directory(tmp_path):
    assert_one_line_error(cli("data", "info", "--data", tmp_path / "nope"), "nope", r"not found")

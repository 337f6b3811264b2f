"""``data info`` and the CLI's handling of bad input (one line, exit code 2, no traceback)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from regioindeling.cli import main
from regioindeling.paths import DEFAULT_DATA_DIR, PROJECT_ROOT


def test_data_info_json(capsys):
    assert main(["data", "info", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    c = doc["counts"]
    assert c["gemeenten"] == 342 and c["jeugdregios"] == 42 and c["pc4"] >= 4000 and c["schools"] >= 8500
    assert (c["swv_po"], c["swv_vo"]) == (76, 74)
    assert {s["role"] for s in doc["sources"]} >= {"gemeenten", "schools", "swv_pc4"}


def test_data_info_text(capsys):
    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert "nl-gm2025" in out and "342" in out


def test_bad_dataset_directory_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "geo"
    shutil.copytree(DEFAULT_DATA_DIR, bad)
    (bad / "pc4.parquet").write_bytes(b"not parquet")
    proc = subprocess.run([sys.executable, "-m", "regioindeling", "data", "info", "--data", str(bad)],
                          capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "pc4.parquet" in lines[0] and "fix:" in lines[0]
    assert "Traceback" not in proc.stderr


def test_unknown_command_is_exit_2():
    proc = subprocess.run([sys.executable, "-m", "regioindeling", "frobnicate"], capture_output=True, text=True,
                          cwd=PROJECT_ROOT)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_build_bad_raw_dir_exit_2(tmp_path, capsys):
    assert main(["data", "build", "--raw", str(tmp_path / "none"), "--out", str(tmp_path / "out")]) == 2
    assert "raw data directory not found" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()

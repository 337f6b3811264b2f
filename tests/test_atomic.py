"""Atomic writes: the new content or the old, never half; files get the usual permissions."""

from __future__ import annotations

import os

import pytest

from regioindeling.atomic import write_bytes, write_text, write_with


def test_write_replaces_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "a" / "f.txt"
    write_text(target, "one")
    write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["f.txt"]


def test_mode_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_bytes(tmp_path / "g.bin", b"x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_failed_writer_keeps_the_old_file(tmp_path):
    target = tmp_path / "t.parquet"
    write_text(target, "old")

    def broken(tmp):
        tmp.write_text("half")
        raise RuntimeError("writer died")

    with pytest.raises(RuntimeError):
        write_with(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]

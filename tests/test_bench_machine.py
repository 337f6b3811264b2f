"""bench/machine.py: the line every solver benchmark starts with."""

import os
import re

from bench import machine  # the project root is on the path (pyproject: pythonpath)


def test_describe_names_the_cpus_the_load_and_the_reference_loop(monkeypatch):
    monkeypatch.setattr(machine, "LOOP_ADDS", 1000)
    monkeypatch.setattr(machine, "loop_seconds", lambda n=1000: 1.25)
    line = machine.describe()
    assert f"{os.cpu_count()} cpus" in line
    assert re.search(r"load \d+\.\d\d, \d+\.\d\d, \d+\.\d\d", line)
    assert "reference loop 1.25 s (1,000 additions" in line


def test_the_reference_loop_takes_longer_for_more_work():
    assert 0 < machine.loop_seconds(10_000) < machine.loop_seconds(2_000_000)

"""One line on the machine a benchmark ran on, so figures from different machines can be compared.

The same 2-core budget can be twice as fast on one machine as on another (session 12: the national hybrid solve
took 16.6 s where it had taken 6.9 s, with no code change), so every solver benchmark prints the CPU model, its
clock, the load and the time of a fixed pure-Python workload (the separation and heuristics are pure Python;
HiGHS scales about the same way).
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

# Additions in the reference loop: about 1-2 s on the machines seen so far.
LOOP_ADDS = 20_000_000


def _cpuinfo(field: str) -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def loop_seconds(n: int = LOOP_ADDS) -> float:
    """Seconds for ``n`` integer additions in a Python loop (lower is faster)."""
    t = time.perf_counter()
    total = 0
    for i in range(n):
        total += i
    return time.perf_counter() - t


def describe() -> str:
    """CPU model and clock, cpu count, Python version, load (1/5/15 min) and the reference loop's seconds."""
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (f"machine: {_cpuinfo('model name')} at {_cpuinfo('cpu MHz')} MHz, {os.cpu_count()} cpus, python "
            f"{platform.python_version()}, load {load}, reference loop {loop_seconds():.2f} s "
            f"({LOOP_ADDS:,} additions; lower is faster)")

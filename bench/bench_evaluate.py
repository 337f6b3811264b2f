"""Evaluator speed on the real embedded data (the app re-evaluates after every edit).

Run: /work/main/.venv/bin/python bench/bench_evaluate.py   (prints one line per case: best of 5, seconds)
"""

from __future__ import annotations

import os
import platform
import time

from regioindeling.baselines import naive_merge, status_quo
from regioindeling.data import load
from regioindeling.evaluate import evaluate
from regioindeling.export import proposal_to_geojson
from regioindeling.units import UnitSet


def best(fn, n: int = 5) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ds = load()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, python {platform.python_version()}")
    for name, p in (("status quo po (PC4 level, 4067 units)", status_quo(ds, "po")),
                    ("naive merge (gemeente level, 342 units)", naive_merge(ds))):
        evaluate(ds, p)  # warm the per-dataset cache of today's facility distances
        us = UnitSet.for_codes(ds, p.assignment)
        print(f"{name}: evaluate incl. unit set {best(lambda: evaluate(ds, p)):.3f} s; "
              f"with a prebuilt unit set {best(lambda: evaluate(ds, p, units=us)):.3f} s")
        ev = evaluate(ds, p)
        print(f"{name}: GeoJSON export (dissolve) {best(lambda: proposal_to_geojson(ds, p, ev), 2):.3f} s")


if __name__ == "__main__":
    main()

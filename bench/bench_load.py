"""Benchmark: loading the embedded dataset (target <= 1 s, validation included).

Run: .venv/bin/python bench/bench_load.py [--repeat N]
Each repeat runs in a fresh interpreter so imports and file caches are counted as a user meets them
(the page cache stays warm after the first run, as it does on a planner's laptop).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

CHILD = r"""
import json, time, resource
t0 = time.perf_counter()
import regioindeling.data as d
t1 = time.perf_counter()
ds = d.load()
t2 = time.perf_counter()
d.load(validate=False)
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "load_novalidate_s": t3 - t2,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "pc4": len(ds.pc4)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    runs = [json.loads(subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True,
                                      cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))).stdout)
            for _ in range(args.repeat)]
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    for key in ("import_s", "load_s", "load_novalidate_s", "peak_rss_mb"):
        vals = [r[key] for r in runs]
        print(f"{key:>18}: median {statistics.median(vals):.3f}  min {min(vals):.3f}  max {max(vals):.3f}")
    med = statistics.median(r["load_s"] for r in runs)
    print(f"load() with validation: {med:.3f} s median of {len(runs)} -> target <= 1 s: "
          f"{'met' if med <= 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()

"""Peak resident memory of a process tree, sampled from /proc (Linux).

``getrusage(RUSAGE_CHILDREN)`` misses the solver's worker processes: they are started by multiprocessing's
forkserver, so they are its children, not ours, and they are still alive when a run ends. This sampler sums the
proportional set size (PSS) over the root process and all its descendants every ``interval`` seconds and keeps
the largest sum (the figure the 2 GB target is about: what the machine must hold at once), with the per-process
split at that moment.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the fields after the last ')' are fixed
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        out.setdefault(ppid, []).append(int(d.name))
    return out


def _rss_kb(pid: int) -> int:
    """Proportional set size (shared pages split over the processes sharing them: the workers share the
    forkserver's libraries, which plain RSS would count once per process); VmRSS where smaps_rollup is missing."""
    for path, key in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            for line in Path(path).read_text().splitlines():
                if line.startswith(key):
                    return int(line.split()[1])
        except OSError:
            continue
    return 0


def tree_mb(root: int | None = None) -> dict[int, float]:
    """MB per process of ``root`` (default: this process) and its descendants."""
    root = os.getpid() if root is None else root
    kids = _children()
    todo, seen = [root], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        todo += kids.get(pid, [])
    return {p: _rss_kb(p) / 1024 for p in seen}


class TreeMemory:
    """Context manager: ``peak_mb`` is the largest summed PSS of the tree seen while it was open."""

    def __init__(self, root: int | None = None, interval: float = 0.2):
        self.root = root
        self.interval = interval
        self.peak_mb = 0.0
        self.peak_procs = 0
        self.peak_split: list[float] = []  # MB per process at the peak, largest first
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            per = tree_mb(self.root)
            mb = sum(per.values())
            if mb > self.peak_mb:
                self.peak_mb, self.peak_procs = mb, len(per)
                self.peak_split = sorted(per.values(), reverse=True)
            self._stop.wait(self.interval)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

"""Background runs (solve, sweep) so the page never freezes; progress is polled by a fragment.

A :class:`Job` belongs to one session (kept in ``st.session_state``); only its own worker thread writes to it,
under its lock. Nothing here is shared between sessions.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from regioindeling.errors import InputError


@dataclass
class Job:
    kind: str  # "solve" | "sweep"
    label: str
    total: int  # steps expected (jeugdregios, or jeugdregios x sweep points)
    started: float = field(default_factory=time.time)
    reports: list = field(default_factory=list)  # progress items (JzReport or dicts)
    result: Any = None
    error: str | None = None
    done: bool = False
    finished: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    thread: threading.Thread | None = field(default=None, repr=False)

    def add_report(self, report) -> None:
        with self.lock:
            self.reports.append(report)

    def snapshot(self) -> tuple[list, bool, str | None]:
        with self.lock:
            return list(self.reports), self.done, self.error

    @property
    def fraction(self) -> float:
        return min(1.0, len(self.reports) / self.total) if self.total else (1.0 if self.done else 0.0)

    def elapsed(self) -> float:
        return (self.finished or time.time()) - self.started


def plain_error(exc: BaseException) -> str:
    """One line for the user: an InputError's own line, else the exception's message (no traceback)."""
    if isinstance(exc, InputError):
        return exc.line()
    if isinstance(exc, MemoryError):
        return "out of memory; fix: choose fewer jeugdregios or the gemeente unit level"
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"this step failed ({type(exc).__name__}: {msg}); fix: check the input, or report this with the scenario file"


def start(kind: str, label: str, total: int, work: Callable[[Job], Any]) -> Job:
    """Run ``work(job)`` in a daemon thread; its return value becomes ``job.result``."""
    job = Job(kind=kind, label=label, total=total)

    def run() -> None:
        try:
            result = work(job)
            with job.lock:
                job.result = result
        except BaseException as exc:  # the page shows one line; the server log keeps the traceback
            traceback.print_exc()
            with job.lock:
                job.error = plain_error(exc)
        finally:
            with job.lock:
                job.done = True
                job.finished = time.time()

    job.thread = threading.Thread(target=run, name=f"regioindeling-{kind}", daemon=True)
    job.thread.start()
    return job

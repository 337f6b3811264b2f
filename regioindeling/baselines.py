"""Baseline proposals, judged by the same :func:`~regioindeling.evaluate.evaluate` as any other.

- ``status_quo(ds, "po"|"vo")``: today's po or vo SWVs as a PC4-level proposal (swv id = current code).
- ``naive_merge(ds)``: one SWV per jeugdregio, at gemeente level (swv id = JZ code).
"""

from __future__ import annotations

from regioindeling.errors import InputError
from regioindeling.model import Proposal

BASELINES = ("status-quo-po", "status-quo-vo", "naive-merge")


def status_quo(ds, sector: str) -> Proposal:
    """Today's ``sector`` ("po" or "vo") SWVs: every PC4 to its current SWV code."""
    if sector not in ("po", "vo"):
        raise InputError("baseline", f"unknown sector '{sector}'", "use po or vo", field="sector")
    col = ds.pc4[f"swv_{sector}"]
    return Proposal(assignment=dict(sorted(zip(ds.pc4.pc4, col))), name=f"status quo {sector}",
                    data_version=ds.version)


def naive_merge(ds) -> Proposal:
    """One SWV per jeugdregio, made of its whole gemeenten."""
    return Proposal(assignment=dict(sorted(zip(ds.gemeenten.gemeente, ds.gemeenten.jeugdregio))),
                    name="naive merge", data_version=ds.version)


def baseline(ds, name: str) -> Proposal:
    """A baseline by its CLI name: status-quo-po, status-quo-vo or naive-merge."""
    if name == "status-quo-po":
        return status_quo(ds, "po")
    if name == "status-quo-vo":
        return status_quo(ds, "vo")
    if name == "naive-merge":
        return naive_merge(ds)
    raise InputError("baseline", f"unknown baseline '{name}'", f"use one of {', '.join(BASELINES)}")

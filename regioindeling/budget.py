"""A wall-clock budget for a whole run (``solver.total_time_s``), shared over its jeugdregio's as they start.

Each jeugdregio's solve still stops at ``solver.time_limit_s`` or its gap; the budget only decides how much of the
run's time a jeugdregio may take. It is handed out when the jeugdregio starts, not up front, so time that a region
does not need (most end proven optimal in a second) passes on to those that start after it:

    capacity = slots * (deadline - now) - (what the regions now running may still take)
    allowance = min(limit, capacity * weight / W),  limit = min(time_limit_s, deadline - now)

where W is chosen so that the allowances of every region not yet started (this one included), worked out the same
way, add up to the capacity ("water filling": a region that cannot use its share, because one process cannot run
past the deadline, leaves the rest to the others).

:func:`regioindeling.solve.solve` gives every jeugdregio the same weight and starts the smallest models first
(unit-hub pairs within the travel limit), so the largest, which can use all the time they get, start last with
what the small ones left. National PC4 at 120 s (bench/RESULTS.md, session 17): equal weights 3.1 %, weights by
units 4.9 %, by unit-hub pairs 4.9 %: a mid-size region cut off short of the point where its bound and start
come together loses far more than a large region gains from the same seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Never less than this per region, even when the budget is spent: a solve needs its start (and, at PC4 level, the
# hybrid-level solve the start comes from) to return an indeling at all.
MIN_ALLOWANCE_S = 1.0
# Held back at the end for what follows the solves (the proposal and its evaluation: 0.4 s after the last region
# of a national PC4 run) and the time a solve runs past its allowance (the step under way finishes: 1-3 s at PC4
# level). National PC4 at 120 s ends after 114-115 s.
END_RESERVE_SHARE = 0.06
END_RESERVE_MIN_S = 2.0


@dataclass
class TimeBudget:
    """``seconds`` of wall time from ``t0`` over ``slots`` parallel solves; ``cap``: the per-region limit."""

    t0: float
    seconds: float
    slots: int
    cap: float
    weights: dict[str, float]  # regions not started yet -> weight
    ends: dict[str, float] = field(default_factory=dict)  # regions running -> when their allowance ends

    @property
    def deadline(self) -> float:
        return self.t0 + self.seconds - max(END_RESERVE_MIN_S, END_RESERVE_SHARE * self.seconds)

    def allowance(self, key: str, now: float) -> float:
        """Seconds for region ``key``, starting at ``now``; it counts as running from here on."""
        left = max(0.0, self.deadline - now)
        committed = sum(max(0.0, end - now) for end in self.ends.values())
        capacity = max(0.0, self.slots * left - committed)
        limit = min(self.cap, left)
        share = _water_fill(self.weights, capacity, limit)[key]
        del self.weights[key]
        out = max(MIN_ALLOWANCE_S, share)
        self.ends[key] = now + out
        return out

    def done(self, key: str) -> None:
        """Region ``key`` has finished: what it did not use is free for the rest."""
        self.ends.pop(key, None)


def _water_fill(weights: dict[str, float], capacity: float, limit: float) -> dict[str, float]:
    """Shares of ``capacity`` in proportion to ``weights``, none above ``limit``, the excess spread over the rest."""
    out: dict[str, float] = {}
    rest = dict(weights)
    while rest:
        total = sum(rest.values())
        if total <= 0:
            each = capacity / len(rest)
            return out | {k: min(limit, each) for k in rest}
        capped = [k for k, w in rest.items() if capacity * (w / total) >= limit]
        if not capped:
            return out | {k: capacity * (w / total) for k, w in rest.items()}
        for k in capped:
            out[k] = limit
            capacity -= limit
            del rest[k]
    return out

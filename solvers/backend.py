"""Run a PuLP problem on HiGHS (in-process, via highspy) or CBC, with a warm start, and read back the bound."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass

import pulp


@dataclass
class RunResult:
    status: str            # "optimal" | "timeout" | "infeasible" | "failed"
    has_solution: bool
    bound: float | None    # best proven lower bound on the model objective (without constant terms)
    seconds: float


_POOL: dict[str, int | None] = {}


@contextlib.contextmanager
def quiet_stdout():
    """HiGHS prints a copyright banner on stdout when the first Highs() is made; keep stdout clean for --json."""
    try:
        sys.stdout.flush()
        fd = os.dup(1)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(fd, 1)
        os.close(fd)


def use_threads(threads: int) -> None:
    """HiGHS keeps one global thread pool per process and refuses a run whose "threads" option differs from it;
    different scenarios in one process (the app, the tests) may ask for different counts."""
    import highspy

    if _POOL.get("threads") != threads:
        highspy.Highs.resetGlobalScheduler(True)
        _POOL["threads"] = threads


def run_highs(h) -> None:
    """``h.run()``; if HiGHS refused the run because its process-wide thread pool has another size, once more on a
    new pool. The record in :func:`use_threads` only knows this module's runs: a HiGHS run made elsewhere in the
    process (a plain ``pulp.HiGHS``, spopt, a test) makes a pool of the machine's size, and every later run asking
    for another size would otherwise fail without a solution (CI: 38 tests after one such run)."""
    import highspy

    if h.run() == highspy.HighsStatus.kError and h.getModelStatus() == highspy.HighsModelStatus.kNotset:
        highspy.Highs.resetGlobalScheduler(True)
        _POOL["threads"] = int(h.getOptionValue("threads")[1])  # (status, value)
        h.run()


class _WarmHiGHS(pulp.HiGHS):
    """pulp.HiGHS plus a warm start: passes the variables' current values to HiGHS before the run."""

    def __init__(self, warm: bool, **kw):
        super().__init__(**kw)
        self._warm = warm

    def createAndConfigureSolver(self, lp):
        with quiet_stdout():
            super().createAndConfigureSolver(lp)

    def callSolver(self, lp):
        use_threads(self.threads)
        if self._warm:
            import highspy

            sol = highspy.HighsSolution()
            sol.col_value = [float(v.varValue or 0.0) for v in lp.variables()]
            sol.value_valid = True
            lp.solverModel.setSolution(sol)
        run_highs(lp.solverModel)


def run(prob: pulp.LpProblem, backend: str, time_limit: float, gap: float, threads: int, seed: int,
        warm: bool = False) -> RunResult:
    t0 = time.perf_counter()
    # HiGHS's own default gap is 1e-4; 0 in the scenario means "as exact as is numerically sensible".
    rel_gap = gap if gap > 0 else 1e-4
    time_limit = max(0.05, float(time_limit))
    if backend == "cbc":
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=rel_gap, threads=threads,
                                   warmStart=warm, options=[f"randomSeed {seed + 1}", f"randomCbcSeed {seed + 1}"])
        code = prob.solve(solver)
        has = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
        if code == pulp.LpStatusInfeasible:
            return RunResult("infeasible", False, None, time.perf_counter() - t0)
        status = "optimal" if prob.sol_status == pulp.LpSolutionOptimal else ("timeout" if has else "failed")
        bound = pulp.value(prob.objective) if status == "optimal" else None
        return RunResult(status, has, bound, time.perf_counter() - t0)

    solver = _WarmHiGHS(warm, msg=False, timeLimit=time_limit, gapRel=rel_gap, threads=threads,
                        random_seed=int(seed), mip_abs_gap=1e-6)
    prob.solve(solver)
    return read_highs(prob.solverModel, time.perf_counter() - t0)


def read_highs(h, seconds: float) -> RunResult:
    """Status, solution flag and proven bound of a finished run of a ``highspy.Highs`` (MIP)."""
    import highspy

    ms = h.getModelStatus()
    info = h.getInfo()
    has = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if ms == highspy.HighsModelStatus.kOptimal:
        status = "optimal"
    elif ms in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        status = "infeasible"
    elif ms in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt,
                highspy.HighsModelStatus.kIterationLimit):
        status = "timeout"
    elif ms == highspy.HighsModelStatus.kModelEmpty:
        status, has = "optimal", True
    else:
        status = "failed"
    bound = float(info.mip_dual_bound) if status in ("optimal", "timeout") else None
    if bound is not None and abs(bound) == float("inf"):
        bound = None
    if status == "optimal" and bound is None:
        bound = float(h.getObjectiveValue())
    return RunResult(status, has, bound, seconds)

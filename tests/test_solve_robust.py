"""The solver when things go wrong: time-outs, an infeasible jeugdregio, a solver that raises, a worker that dies.

A time-out returns the best feasible indeling found, marked not proven optimal; one jeugdregio failing never
breaks the others: the report says which failed and why, and the rest is solved and written.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

import regioindeling.solve as solve_mod
import solvers.districting
from regioindeling import budget
from regioindeling.scenario import scenario_from_dict
from regioindeling.solve import solve

ROOT = Path(__file__).resolve().parent.parent
GM = {"units": {"level": "gemeente"}, "solver": {"time_limit_s": 30, "processes": 1}}


def _sc(**over):
    d = {k: dict(v) for k, v in GM.items()}
    for k, v in over.items():
        d.setdefault(k, {}).update(v)
    return scenario_from_dict(d)


def _gemeenten(ds, jz: str) -> set[str]:
    return set(ds.gemeenten.gemeente[ds.gemeenten.jeugdregio == jz])


def test_time_out_returns_the_best_feasible_indeling_not_proven_optimal(ds):
    """PC4 level Amsterdam-Amstelland (107 units) with one second: far too little to prove anything."""
    sc = scenario_from_dict({"units": {"level": "pc4"}, "solver": {"time_limit_s": 1.0, "processes": 1}})
    res = solve(ds, sc, jeugdregios=["JZ13"])
    (rep,) = res.reports
    assert rep.status == "timeout", rep
    assert rep.objective is not None and rep.objective > 0
    assert "not proven optimal" in rep.message and rep.message.startswith("JZ13 Amsterdam-Amstelland")
    # a bound is always reported: HiGHS's own, or at worst the floor bound (every unit at its nearest hub)
    assert rep.best_bound is not None and rep.best_bound >= 0
    assert 0 < rep.gap <= 1 and f"gap {rep.gap:.2%}" in rep.message
    assert res.national["status"] == "timeout" and res.national["jeugdregios"]["timeout"] == 1
    # the indeling itself is complete and feasible: every PC4 of the jeugdregio, no hard constraint violated
    pc4s = set(ds.pc4.pc4[ds.pc4.jeugdregio == "JZ13"])
    assert set(res.proposal.assignment) == pc4s
    assert res.evaluation.ok, [v.message for v in res.evaluation.violations][:3]
    assert res.proposal.solver["jeugdregios"]["JZ13"]["status"] == "timeout"
    assert res.infeasibilities == []  # a time-out is not a failure


def test_jeugdregio_infeasible_by_its_own_locks_leaves_the_others_solved(ds):
    sc = _sc(locks={"apart": [["GM0014", "GM0037"]]}, objective={"target_swvs_per_jeugdregio": {"JZ01": 1}})
    res = solve(ds, sc, jeugdregios=["JZ01", "JZ02"])
    rep = {r.jeugdregio: r for r in res.reports}
    assert rep["JZ01"].status == "infeasible" and rep["JZ01"].message.startswith("JZ01")
    assert rep["JZ02"].status == "optimal"
    assert res.infeasibilities == [rep["JZ01"].message]
    assert set(res.proposal.assignment) == _gemeenten(ds, "JZ02")
    assert res.national["jeugdregios"]["infeasible"] == 1 and res.national["jeugdregios"]["optimal"] == 1


def test_cli_writes_the_solved_rest_and_names_the_failed_jeugdregio(tmp_path):
    scenario = tmp_path / "lock.toml"
    scenario.write_text('jeugdregios = ["JZ01", "JZ02"]\n[units]\nlevel = "gemeente"\n'
                        '[locks]\napart = [["GM0014", "GM0037"]]\n[objective]\ntarget_swvs_per_jeugdregio = {JZ01 = 1}\n'
                        "[solver]\nprocesses = 1\n")
    out = tmp_path / "p.geojson"
    proc = subprocess.run([sys.executable, "-m", "regioindeling", "solve", "--scenario", scenario, "--out", out],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=dict(os.environ, COLUMNS="250"))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "JZ01 Groningen: infeasible" in proc.stdout and "JZ02 Friesland (Fryslân): optimal" in proc.stdout
    assert out.is_file() and '"JZ02-' in out.read_text() and '"JZ01-' not in out.read_text()


class FailingDistricting(solvers.districting.Districting):
    """A region whose solve raises or kills its process; picklable, so it fails inside the worker processes too."""

    mode = "raise"

    def solve(self, warm_start=None):
        if self.mode == "exit":
            os._exit(3)  # the worker process dies as if OOM-killed
        raise RuntimeError("simulated solver bug")


def _fail_in(monkeypatch, jz: str, mode: str) -> None:
    real = solve_mod.build_tasks

    def build_tasks(*a, **k):
        tasks = real(*a, **k)
        for t in tasks:
            if t.jeugdregio == jz:
                bad = FailingDistricting.__new__(FailingDistricting)
                bad.__dict__.update(t.model.__dict__)
                bad.mode = mode
                t.model = bad
        return tasks

    monkeypatch.setattr(solve_mod, "build_tasks", build_tasks)


def test_pool_workers_start_clean_after_an_in_process_solve(ds):
    """HiGHS used in this process first (as the app server does), then a pool: forked workers would inherit a
    broken HiGHS and fail every region."""
    solve(ds, _sc(), jeugdregios=["JZ19"])
    res = solve(ds, _sc(solver={"processes": 2}), jeugdregios=["JZ02", "JZ19", "JZ39"])
    assert [r.status for r in res.reports] == ["optimal"] * 3, [r.message for r in res.reports]


@pytest.mark.parametrize("processes", [1, 2])
def test_solver_raising_in_one_jeugdregio_never_breaks_the_others(ds, monkeypatch, processes):
    _fail_in(monkeypatch, "JZ01", "raise")
    res = solve(ds, _sc(solver={"processes": processes}), jeugdregios=["JZ01", "JZ02", "JZ19"])
    rep = {r.jeugdregio: r for r in res.reports}
    assert rep["JZ01"].status == "failed"
    assert "JZ01" in rep["JZ01"].message and "RuntimeError: simulated solver bug" in rep["JZ01"].message
    assert rep["JZ02"].status == rep["JZ19"].status == "optimal", [r.message for r in res.reports]
    assert set(res.proposal.assignment) == _gemeenten(ds, "JZ02") | _gemeenten(ds, "JZ19")
    assert res.infeasibilities == [rep["JZ01"].message]
    assert res.national["status"] == "failed"


@pytest.mark.parametrize("total", [0.0, 60.0])
def test_a_dying_worker_process_never_breaks_the_others(ds, monkeypatch, total):
    """A worker killed mid-solve (OOM killer, a crash in native code) breaks its process pool; the other
    jeugdregio's must still be solved, and the report names the one that died. With a budget for the run, the
    re-runs get their part of what is left of it, not the whole time limit."""
    _fail_in(monkeypatch, "JZ01", "exit")
    sent = []
    real_pool = solve_mod._pool

    def pool(procs):
        p = real_pool(procs)
        real_submit = p.submit

        def submit(fn, *args):
            sent.append((procs, args[1] if len(args) > 1 else None))
            return real_submit(fn, *args)

        p.submit = submit
        return p

    monkeypatch.setattr(solve_mod, "_pool", pool)
    res = solve(ds, _sc(solver={"processes": 2, "total_time_s": total}), jeugdregios=["JZ01", "JZ02", "JZ19", "JZ39"])
    reruns = [s for procs, s in sent if procs == 1]
    assert reruns  # the pool broke, and the open tasks were run again one process each
    if total:
        assert all(s is not None and s <= 60.0 for _p, s in sent), sent
    else:
        assert all(s is None for _p, s in sent), sent
    rep = {r.jeugdregio: r for r in res.reports}
    assert rep["JZ01"].status == "failed" and rep["JZ01"].message.startswith("JZ01 Groningen: the solver process")
    assert all(rep[j].status == "optimal" for j in ("JZ02", "JZ19", "JZ39")), {j: r.message for j, r in rep.items()}
    assert set(res.proposal.assignment) == set().union(*(_gemeenten(ds, j) for j in ("JZ02", "JZ19", "JZ39")))


# ------------------------------------------------------------------------------ a budget for the whole run


def _spy_allowances(monkeypatch) -> list[tuple[str, float | None, float]]:
    """Records (jeugdregio, seconds handed to _run, when) for every in-process solve."""
    seen = []
    real = solve_mod._run

    def spy(task, seconds=None):
        seen.append((task.jeugdregio, seconds, time.perf_counter()))
        return real(task, seconds)

    monkeypatch.setattr(solve_mod, "_run", spy)
    return seen


def test_total_time_is_shared_over_the_jeugdregios_smallest_first(ds, monkeypatch):
    """PC4 level, one process, a 12 s budget over three regions: each gets a share of what is left as it starts,
    the largest last, and what a region does not use passes on (JZ22 ends in under a second)."""
    seen = _spy_allowances(monkeypatch)
    t0 = time.perf_counter()
    res = solve(ds, _sc(units={"level": "pc4"}, solver={"total_time_s": 12.0, "time_limit_s": 30.0}),
                jeugdregios=["JZ13", "JZ22", "JZ43"])
    order = [jz for jz, _s, _t in seen]
    assert order == ["JZ43", "JZ22", "JZ13"]  # 28, 47, 107 PC4s
    deadline = t0 + 12.0 - budget.END_RESERVE_MIN_S
    for k, (jz, seconds, at) in enumerate(seen):
        left = deadline - at
        # an equal share of what is left, never past the deadline; the last one gets all that is left
        assert seconds is not None and seconds <= left + 0.05, (jz, seconds, left)
        assert seconds == pytest.approx(left / (len(seen) - k), rel=0.05, abs=0.05), (jz, seconds, left)
    # the first two end well inside their shares, so the last gets more than a third of the budget
    assert seen[2][1] > 12.0 / 3
    assert all(r.objective is not None for r in res.reports) and res.evaluation.ok


def test_without_a_budget_every_region_gets_its_time_limit(ds, monkeypatch):
    seen = _spy_allowances(monkeypatch)
    solve(ds, _sc(), jeugdregios=["JZ19", "JZ22"])
    assert [s for _jz, s, _t in seen] == [None, None]


def test_a_budgeted_pool_run_sends_a_task_only_to_a_free_process(ds, monkeypatch):
    """Two processes, four regions: the allowances are worked out as each region starts, so at most two are out
    at a time, and a region that fails does not break the rest."""
    _fail_in(monkeypatch, "JZ22", "raise")
    shares = []
    real = budget.TimeBudget.allowance

    def allowance(self, key, now):
        out = real(self, key, now)
        shares.append((key, out, len(self.ends)))
        return out

    monkeypatch.setattr(budget.TimeBudget, "allowance", allowance)
    res = solve(ds, _sc(solver={"processes": 2, "total_time_s": 60.0}),
                jeugdregios=["JZ19", "JZ22", "JZ39", "JZ43"])
    rep = {r.jeugdregio: r for r in res.reports}
    assert rep["JZ22"].status == "failed" and "simulated solver bug" in rep["JZ22"].message
    assert all(rep[j].status == "optimal" for j in ("JZ19", "JZ39", "JZ43")), {j: r.message for j, r in rep.items()}
    assert sorted(k for k, _s, _n in shares) == ["JZ19", "JZ22", "JZ39", "JZ43"]
    assert all(n <= 2 for _k, _s, n in shares)  # itself and at most one other running


def test_a_budget_with_a_national_count_is_bad_input(ds):
    from regioindeling.errors import InputError

    sc = _sc(solver={"total_time_s": 60.0}, objective={"target_swvs_national": 100})
    with pytest.raises(InputError) as err:
        solve(ds, sc)
    assert err.value.field == "solver.total_time_s" and "fix: set solver.total_time_s = 0" in err.value.line()


def test_a_pool_found_broken_when_sending_a_task_reruns_the_rest_alone(ds, monkeypatch):
    """A budgeted run sends tasks as processes free up, so a pool can be found broken at a later submit; the task
    it was meant for and those after it are run one process each."""
    real_pool = solve_mod._pool
    calls = []

    def pool(procs):
        p = real_pool(procs)
        real_submit = p.submit

        def submit(fn, *args):
            calls.append(procs)
            if procs == 2 and calls.count(2) == 3:
                raise BrokenProcessPool("simulated: a worker died")
            return real_submit(fn, *args)

        p.submit = submit
        return p

    monkeypatch.setattr(solve_mod, "_pool", pool)
    res = solve(ds, _sc(solver={"processes": 2, "total_time_s": 60.0}), jeugdregios=["JZ19", "JZ22", "JZ39", "JZ43"])
    assert [r.status for r in res.reports] == ["optimal"] * 4, [r.message for r in res.reports]
    assert calls.count(2) == 3 and calls.count(1) == 2  # the third and fourth ran alone

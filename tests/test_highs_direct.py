"""solvers.highs_direct: rows appended to an in-memory HiGHS model."""

import highspy
import numpy as np
import pytest

from solvers import highs_direct


def _model(n: int) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVars(n, np.zeros(n), np.ones(n))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), -np.ones(n))
    return h


def test_add_rows_appends_every_row_and_they_bind():
    h = _model(3)
    highs_direct.add_rows(h, [([0, 1], [1.0, 1.0], -highs_direct.INF, 1.0), ([2], [1.0], 0.0, 0.25)])
    assert h.getNumRow() == 2
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(-1.25)


def test_add_rows_raises_when_highs_refuses_the_batch():
    # HiGHS refuses a row that names a column twice and drops the whole batch: that must not pass silently
    h = _model(2)
    with pytest.raises(RuntimeError, match="refused 2 rows"):
        highs_direct.add_rows(h, [([0], [1.0], 0.0, 1.0), ([1, 1], [1.0, -1.0], 0.0, 0.0)])
    assert h.getNumRow() == 0


def test_add_rows_of_nothing_changes_nothing():
    h = _model(2)
    highs_direct.add_rows(h, [])
    assert h.getNumRow() == 0


def test_a_run_elsewhere_in_the_process_with_another_pool_size_does_not_break_the_solver():
    """A HiGHS run made without solvers.backend (a plain pulp.HiGHS, spopt) sets up the process's thread pool at
    its own size; the solver's later runs must still solve (they were refused: no solution, status not set)."""
    from solvers import backend
    from solvers.districting import _HighsRounds
    from tests.test_separation import random_instance

    inst = random_instance(3, n=7, disruption_weight=3.0).instance  # threads = 1
    backend.use_threads(1)
    # whatever pool earlier tests in this process left (one of size 1 would refuse the plain run below): the plain
    # run makes its own, while backend still records 1
    highspy.Highs.resetGlobalScheduler(True)
    h = _model(2)
    h.setOptionValue("threads", 2)  # bypasses backend.use_threads, as another library would
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    rounds = _HighsRounds(inst)
    assert rounds.lp_solve(float("inf")) and rounds.lp_bound is not None

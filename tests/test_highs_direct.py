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

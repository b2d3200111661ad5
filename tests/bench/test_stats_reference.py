"""The bench's t statistics (from ``scipy.special``) against ``scipy.stats``, the reference."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from actopt.bench import seed_test, t_interval


def _frame(seeds, accs) -> pd.DataFrame:
    return pd.DataFrame({"seed": list(seeds), "test_acc": list(accs)})


@pytest.mark.parametrize("case", range(40))
def test_seed_test_p_values_equal_scipy_stats(case):
    rng = np.random.default_rng(case)
    n, m = int(rng.integers(2, 9)), int(rng.integers(2, 9))
    paired = case % 2 == 0
    a = _frame(range(n), rng.random(n))
    b = _frame(range(n), rng.random(n)) if paired else _frame(range(50, 50 + m), rng.random(m))
    p, delta, test = seed_test(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if paired:
            ref = stats.ttest_rel(a.test_acc, b.test_acc).pvalue
        else:
            ref = stats.ttest_ind(a.test_acc, b.test_acc, equal_var=False).pvalue
    assert test == ("paired t-test" if paired else "Welch t-test")
    assert p == pytest.approx(float(ref), rel=1e-9, abs=1e-12)
    assert delta == pytest.approx(a.test_acc.mean() - b.test_acc.mean())


def test_seed_test_degenerate_variances():
    same = _frame(range(3), [0.5, 0.625, 0.75])  # binary fractions: exact differences
    shifted = _frame(range(3), [0.75, 0.875, 1.0])  # a constant difference: no spread, p = 0
    assert seed_test(same, same)[0] == 1.0
    assert seed_test(shifted, same)[0] == 0.0
    flat = _frame(range(10, 13), [0.5] * 3)  # Welch on two flat sides: equal → 1, else → 0
    assert seed_test(flat, _frame(range(3), [0.5] * 3))[0] == 1.0
    assert seed_test(flat, _frame(range(3), [0.25] * 3))[0] == 0.0


@pytest.mark.parametrize("n", [2, 3, 5, 20])
def test_t_interval_equals_scipy_stats(n):
    values = np.random.default_rng(n).random(n)
    lo, hi = t_interval(values)
    ref = stats.t.interval(0.95, n - 1, loc=values.mean(), scale=stats.sem(values))
    assert (lo, hi) == pytest.approx(ref, rel=1e-12)

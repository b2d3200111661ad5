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


def test_seed_test_without_spread_uses_the_exact_sign_or_rank_test():
    """Equal paired differences (accuracy is quantised: two seeds can both move by exactly
    0.018) give t = ∞, and a t-test's p ≈ 0 called 2 seeds 'better'. The exact sign test gives
    2 / 2^n; both sides flat, the exact rank test 2 / C(n + m, n); nothing moved, 1."""
    same = _frame(range(3), [0.5, 0.625, 0.75])
    shifted = _frame(range(3), [0.75, 0.875, 1.0])
    assert seed_test(same, same)[0] == 1.0
    assert seed_test(shifted, same)[:1] == (0.25,) and "sign test" in seed_test(shifted, same)[2]
    two = seed_test(_frame(range(2), [0.498, 0.477]), _frame(range(2), [0.480, 0.459]))
    assert two[0] == 0.5 and two[1] == pytest.approx(0.018)  # the case a new user met
    twelve = seed_test(_frame(range(12), [0.6] * 12), _frame(range(12), [0.5] * 12))
    assert twelve[0] == pytest.approx(2 / 2**12)
    flat = _frame(range(10, 13), [0.5] * 3)
    assert seed_test(flat, _frame(range(3), [0.5] * 3))[0] == 1.0
    p, _, test = seed_test(flat, _frame(range(3), [0.25] * 3))
    assert p == pytest.approx(2 / 20) and "rank test" in test  # C(6, 3) = 20 orderings


@pytest.mark.parametrize("n", [2, 3, 5, 20])
def test_t_interval_equals_scipy_stats(n):
    values = np.random.default_rng(n).random(n)
    lo, hi = t_interval(values)
    ref = stats.t.interval(0.95, n - 1, loc=values.mean(), scale=stats.sem(values))
    assert (lo, hi) == pytest.approx(ref, rel=1e-12)

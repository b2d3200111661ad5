"""The verdict rules' statistics: intervals against scipy, the three-way decision at its edges,
and how parts combine."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from actopt.claims import VERDICTS, Interval, combine, decide, mean_ci, paired_ci, ratio_ci
from actopt.claims._stats import spearman


def test_mean_ci_is_the_t_interval():
    x = [0.81, 0.84, 0.79, 0.86, 0.83]
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    ci = mean_ci(x)
    assert (ci.mean, ci.low, ci.high, ci.n) == pytest.approx((np.mean(x), lo, hi, 5))
    wider = mean_ci(x, level=0.99)
    assert wider.low < ci.low and wider.high > ci.high


@pytest.mark.parametrize("values, expected", [
    ([], (math.nan, math.nan, math.nan, 0)),
    ([0.5], (0.5, math.nan, math.nan, 1)),                 # one seed: no interval
    ([0.5, 0.5, 0.5], (0.5, 0.5, 0.5, 3)),                # no spread: the point itself
    ([0.5, math.nan, 0.7], (0.6, None, None, 2)),         # NaN (a failed run) is dropped
    ([1.0, math.inf], (math.inf, math.nan, math.nan, 2)),  # an infinite value: no interval
])  # fmt: skip
def test_mean_ci_edge_cases(values, expected):
    ci = mean_ci(values)
    for got, want in zip((ci.mean, ci.low, ci.high, ci.n), expected, strict=True):
        if want is None:
            continue
        assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want)


def test_paired_and_ratio_intervals():
    a, b = [1.0, 2.0, 3.0], [0.5, 1.5, 2.0]
    assert paired_ci(a, b).mean == pytest.approx(np.mean(np.subtract(a, b)))
    r = ratio_ci([2.0, 4.0, 8.0], [1.0, 2.0, 4.0])
    assert (r.mean, r.low, r.high) == pytest.approx((2.0, 2.0, 2.0))
    assert math.isnan(ratio_ci([1.0, 0.0], [1.0, 1.0]).low)  # a zero has no log: dropped
    with pytest.raises(ValueError, match="equal lengths"):
        paired_ci([1.0], [1.0, 2.0])
    assert Interval(0.01, 0.005, 0.02, 5).scaled(100) == Interval(1.0, 0.5, 2.0, 5)
    assert Interval(-1.0, -2.0, -0.5, 5).scaled(-1) == Interval(1.0, 0.5, 2.0, 5)


@pytest.mark.parametrize("ci, kwargs, verdict", [
    (Interval(2, 1, 3, 5), {"above": 0}, "supported"),
    (Interval(-2, -3, -1, 5), {"above": 0}, "not supported"),
    (Interval(0, -1, 1, 5), {"above": 0}, "inconclusive"),
    (Interval(0, 0, 0, 5), {"above": 0}, "inconclusive"),           # exactly 0, no margin
    (Interval(0, 0, 0, 5), {"above": 0, "margin": 0.5}, "not supported"),
    (Interval(0.2, 0.1, 0.3, 5), {"above": 0, "margin": 0.5}, "not supported"),  # too small
    (Interval(0.4, 0.1, 0.7, 5), {"above": 0, "margin": 0.5}, "supported"),
    (Interval(1.0, 0.0, 2.0, 5), {"above": 0}, "inconclusive"),     # low == threshold
    (Interval(0.05, 0.01, 0.09, 5), {"below": 0.1}, "supported"),
    (Interval(0.5, 0.3, 0.7, 5), {"below": 0.1}, "not supported"),
    (Interval(0.09, 0.05, 0.2, 5), {"below": 0.1}, "inconclusive"),
    (Interval(0.09, 0.05, 0.2, 5), {"below": 0.1, "margin": 0.06}, "not supported"),
    (Interval(1.0, math.nan, math.nan, 1), {"above": 0}, "inconclusive"),  # one seed
])  # fmt: skip
def test_decide(ci, kwargs, verdict):
    assert decide(ci, **kwargs) == verdict


def test_decide_refuses_a_malformed_rule():
    ci = Interval(1, 0, 2, 5)
    with pytest.raises(ValueError, match="exactly one"):
        decide(ci)
    with pytest.raises(ValueError, match="exactly one"):
        decide(ci, above=0, below=1)
    with pytest.raises(ValueError, match="margin"):
        decide(ci, above=0, margin=-1)


@pytest.mark.parametrize("parts, verdict", [
    (["supported"], "supported"),
    (["supported", "supported"], "supported"),
    (["not supported", "not supported"], "not supported"),
    (["supported", "not supported"], "mixed"),
    (["supported", "inconclusive"], "inconclusive"),
    (["not supported", "inconclusive"], "inconclusive"),
    (["mixed", "supported"], "mixed"),
    (["inconclusive"] * 3, "inconclusive"),
    ([], "inconclusive"),
])  # fmt: skip
def test_combine(parts, verdict):
    assert combine(parts) == verdict


def test_combine_refuses_an_unknown_verdict():
    with pytest.raises(ValueError, match="unknown verdict 'true'"):
        combine(["supported", "true"])
    assert set(VERDICTS) == {"supported", "not supported", "mixed", "inconclusive"}


def test_spearman():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 2], [1, 2]))
    assert spearman([1, 2, 3, math.nan], [1, 2, 3, 9]) == pytest.approx(1.0)
    assert spearman([1, 1, 1], [1, 2, 3]) == 0.0

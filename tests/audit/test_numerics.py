"""The auditor's numerics: a formula equal to a catalog function gets its check statuses, jumps
in f are found, and no status depends on the machine's speed."""

from __future__ import annotations

import functools

import pytest

from actopt.audit import _cost, audit

# formulas written the naive way: their symbolic f' overflows to inf/inf = nan in float64
TWINS = [
    ("sigmoid", "1/(1+exp(-x))"),
    ("sigmoid", "exp(x)/(1+exp(x))"),
    ("tanh", "(exp(x)-exp(-x))/(exp(x)+exp(-x))"),
    ("tanh", "2/(1+exp(-2*x))-1"),
    ("softplus", "log(1+exp(x))"),
    ("log_sigmoid", "-log(1+exp(-x))"),
    ("swish", "x/(1+exp(-x))"),
    ("mish", "x*tanh(log(1+exp(x)))"),
    ("elu", "piecewise(x > 0, x, exp(x) - 1)"),
]


@functools.cache
def _statuses(target: str) -> tuple[str, dict[str, str]]:
    r = audit(target, timing=False, signal=False)
    return r.verdict, {name: c.status for name, c in r.checks.items()}


@pytest.mark.parametrize("name, formula", TWINS, ids=[f for _, f in TWINS])
def test_a_formula_twin_gets_the_catalog_entrys_statuses(name, formula):
    assert _statuses(formula) == _statuses(name)


@pytest.mark.parametrize("formula, at", [
    ("x + 10*sign(x)", 0.0),
    ("piecewise(sin(x) > x**5 - 1, x, -x)", None),  # where sin(x) = x**5 - 1
    ("piecewise(x > 2, x, 0)", 2.0),
])  # fmt: skip
def test_jumps_in_f_are_found(formula, at):
    r = audit(formula, timing=False, signal=False)
    check = r.checks["continuous"]
    assert check.status == "warn" and r.verdict != "good", check.detail
    jumps = [j["x"] for j in check.evidence["jumps"]]
    assert at is None or min(abs(j - at) for j in jumps) < 1e-9, jumps
    assert "f' finite and continuous" not in r.checks["differentiable"].detail


@pytest.mark.parametrize("formula", ["x*tanh(x)", "1000*tanh(x/1000)", "exp(-x**2)*x"])
def test_steep_but_continuous_is_not_a_jump(formula):
    assert audit(formula, timing=False, signal=False).checks["continuous"].status == "pass"


def test_backprop_cost_status_comes_from_a_count(monkeypatch):
    """A machine so loaded that the formula seems 1000× slower than ReLU changes no status."""
    monkeypatch.setattr(_cost, "timed_ratio", lambda spec, **_: 1000.0)
    check = audit("x*sigmoid(x)", signal=False).checks["backprop_cost"]
    assert check.status == "pass" and check.evidence["time_relative_to_relu"] == 1000.0
    assert check.evidence["relu_passes"] == 2.0 and check.evidence["passes"] > 2

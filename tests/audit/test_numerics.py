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
def _report(target: str):
    return audit(target, timing=False, signal=False)


def _statuses(target: str) -> dict[str, str]:
    return {n: c.status for n, c in _report(target).checks.items() if n != "float32_stable"}


@pytest.mark.parametrize("name, formula", TWINS, ids=[f for _, f in TWINS])
def test_a_formula_twin_gets_the_catalog_entrys_statuses(name, formula):
    """The exact f is judged alike; only the float32 module (exp overflowing) may differ."""
    assert _statuses(formula) == _statuses(name)
    assert _report(name).checks["float32_stable"].status == "pass"
    reasons = [r for r in _report(formula).reasons if "overflows in float32" not in r]
    assert reasons == _report(name).reasons


@pytest.mark.parametrize("formula, where, what", [
    ("log(1+exp(x))", "x > 88.73", "outputs and gradients"),  # inf, then inf/inf
    ("1/(1+exp(-x))", "x < -88.73", "gradients"),  # σ' as exp(-x)/(1+exp(-x))**2
    ("exp(x)/(1+exp(x))", "x > 44.37", "outputs and gradients"),  # f' squares exp(x)
    ("x*tanh(log(1+exp(x)))", "x > 88.73", "gradients"),  # x*tanh(inf) is x
])  # fmt: skip
def test_a_module_that_overflows_in_float32_is_a_caveat(formula, where, what):
    r = _report(formula)
    check = r.checks["float32_stable"]
    assert check.status == "warn" and check.evidence["regions"][0] == where
    assert f"inf/NaN {what} for {where}" in check.detail
    advice = check.detail.split(". ")[-1]  # one short sentence a student reads to the end
    assert advice == "Use softplus(x), sigmoid(x) or tanh(x): exp overflows in float32 past 88.7"
    assert r.verdict != "good" and f"overflows in float32 for {where}" in " ".join(r.reasons)


def test_signal_propagation_reports_overflow_not_exploding_gradients():
    """softplus(x) - log 2 written with exp: a deep net's pre-activations pass 88.7 at init."""
    check = audit("log(1+exp(x))-log(2)", timing=False).checks["signal_propagation"]
    assert check.status == "warn" and check.evidence["overflow_layer"] == 16
    assert "overflowed" in check.detail and "explode" not in check.reason
    assert check.evidence["explode_depth"] is None
    stable = audit("softplus(x)-log(2)", timing=False).checks["signal_propagation"]
    assert stable.evidence["overflow_layer"] is None and "overflow" not in stable.detail


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

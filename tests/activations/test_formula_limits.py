"""Formulas in bounded time and memory: powers bounded before sympy sees them, a time budget on
symbolic steps, kinks scanned when sympy cannot solve, values that are numbers, and exact values
past float64's overflow for the auditor."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import actopt.activations as A
from actopt.activations import FormulaError, _formula, _kinks, from_formula, overflow_safe

HANG_LIMIT = 120  # seconds for a fresh process to import actopt and refuse or build them all


def test_formulas_that_hung_return_in_a_separate_process_under_a_time_limit():
    """Each of these never returned (9**9**9 has 369 million digits; solveset on a degree-99
    polynomial ran > 600 s): now a clear error, or kinks found numerically, in seconds."""
    code = textwrap.dedent("""
        import actopt.activations as A
        for text in ["x**9**9**9", "(10**1000)**1000**1000", "2**x**9**9**9", "x**(9**99)"]:
            try:
                A.from_formula(text)
                print("built", text)
            except A.FormulaError as e:
                print("refused", text, "::", e)
        print("kinks", A.from_formula("abs(x**99 + x**7 + 3*x + 1)").kink_points())
        print("kinks", A.from_formula("max(x**97 + x**3 + 1, x**5)").kink_points())
    """)
    here = str(Path(A.__file__).parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=HANG_LIMIT, check=True)  # fmt: skip
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["refused"] * 4 + ["kinks"] * 2, lines
    assert "too large" in lines[0] and "too large a number" in lines[1]
    root = float(lines[4].split("(")[1].rstrip(",)"))
    assert abs(root**99 + root**7 + 3 * root + 1) < 1e-9  # the real root, to float64
    assert lines[5] == "kinks (-1.0,)"


@pytest.mark.parametrize("text, message", [
    ("x**1001", "exponent 1001 is too large"),
    ("x**-2000", "exponent -2000 is too large"),
    ("exp(x)**(10**5)", "exponent 100000 is too large"),
    ("100**600", "too large a number"),
    ("x**(1/0)", "exponent zoo"),
    ("piecewise(x, 1, 0)", "the condition is one comparison"),
    ("piecewise(x + 1, x, 0)", "the condition is one comparison"),
])  # fmt: skip
def test_bounded_powers_and_conditions_say_what(text, message):
    with pytest.raises(FormulaError, match=message):
        from_formula(text)


def test_powers_within_the_bounds_still_work():
    assert from_formula("x**1000").forward(torch.tensor([1.0])).item() == 1.0
    assert from_formula("2**10*x").forward(torch.tensor([1.0])).item() == 1024.0
    assert from_formula("x**0.5").text == "x**0.5"


def test_a_symbolic_step_past_its_budget_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(_formula, "DERIVE_BUDGET_S", 0.0)
    with pytest.raises(FormulaError, match=r"formula too complex.*within 0 s"):
        from_formula("x*tanh(x)*sin(x)**2 + 1")  # a new text: not in the cache


@pytest.mark.parametrize("text", [
    "abs(x - 1) + abs(x + 2)", "max(x, 0.5*x**3)", "piecewise(x > 2, x, -x)",
    "relu(x - 3) + 0.1*x", "abs(x**2 - 2)",
])  # fmt: skip
def test_kinks_scanned_when_sympy_runs_out_of_time_equal_the_solved_ones(text, monkeypatch):
    solved = from_formula(text).kink_points()
    monkeypatch.setattr(_kinks, "SOLVE_BUDGET_S", 0.0)
    _formula._cached.cache_clear()
    scanned = from_formula(text).kink_points()
    assert solved and scanned == pytest.approx(solved, abs=1e-12)


def test_kinks_sympy_cannot_list_are_scanned():
    """solveset answers with an infinite or implicit set: the scan lists them (nearest 0)."""
    kinks = from_formula("abs(sin(x))").kink_points()
    assert len(kinks) == 637 and abs(kinks[318]) < 1e-15  # kπ on [-1e3, 1e3]
    assert max(abs(k - round(k / torch.pi) * torch.pi) for k in kinks) < 1e-9
    (root,) = from_formula("piecewise(sin(x) > x**5 - 1, x, -x)").kink_points()
    assert abs(torch.sin(torch.tensor(root, dtype=torch.float64)) - (root**5 - 1)) < 1e-12


def test_a_derivative_that_is_a_bare_parameter(tmp_path):
    """x*b has f' = b: audit, train and backward once crashed on it."""
    s = from_formula("x*b", b=2.0)
    x = torch.randn(3, 4, requires_grad=True)
    assert torch.equal(s.derivative(x.detach()), torch.full((3, 4), 2.0))
    for learnable in (False, True):
        m = A.get("x*b", b=2.0, learnable=learnable)
        m(x).sum().backward()
        assert torch.equal(x.grad, torch.full((3, 4), 2.0))
        x.grad = None
    from actopt.audit import audit
    from actopt.train import RunSpec, run

    assert audit("x*b", b=1.0, timing=False, signal=False).verdict == "bad"  # linear
    result = run(RunSpec(data="moons", width=8, epochs=1, act="x*b", act_params={"b": 1.0}))
    assert result.status == "ok", result.error


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 10**400, 1e39, True, "1"])
def test_parameters_are_finite_numbers_a_float32_model_holds(value):
    with pytest.raises(ValueError, match="finite number"):
        from_formula("x*b", b=value)
    with pytest.raises(ValueError, match="must be"):
        A.spec("swish", beta=value)


def test_overflow_safe_gives_the_exact_value_where_float64_overflows_on_the_way():
    x = torch.tensor([-1000.0, -800.0, -1.0, 0.0, 2.0, 800.0, 1000.0], dtype=torch.float64)
    twin, sigmoid = from_formula("1/(1+exp(-x))"), A.spec("sigmoid")
    assert torch.isnan(twin.derivative(x)).any()  # exp(1000)/(1+exp(1000))**2: inf/inf
    safe = overflow_safe(twin)
    assert torch.allclose(safe.derivative(x), sigmoid.derivative(x), rtol=1e-12, atol=0)
    assert torch.allclose(safe.forward(x), sigmoid.forward(x), rtol=1e-12, atol=0)
    tanh = overflow_safe(from_formula("(exp(x)-exp(-x))/(exp(x)+exp(-x))"))
    assert torch.allclose(tanh.forward(x), torch.tanh(x), rtol=1e-12, atol=1e-300)
    softplus = overflow_safe(from_formula("log(1+exp(x))"))
    assert softplus.forward(x)[-1].item() == 1000.0


def test_overflow_safe_keeps_what_is_really_infinite_or_undefined():
    x = torch.tensor([-1.0, 0.0, 800.0], dtype=torch.float64)
    assert overflow_safe(from_formula("exp(x)")).forward(x)[-1].item() == float("inf")
    assert torch.isnan(overflow_safe(from_formula("log(x)")).forward(x)[0])
    relu = A.spec("relu")
    assert overflow_safe(relu) is relu  # the catalog is written stably by hand


@pytest.mark.parametrize("text, finite_below", [
    ("exp(exp(exp(x)))", 1.8),  # mpmath raised OverflowError for e^(e^(e^50))
    ("exp(exp(exp(exp(x))))", 0.6),
    ("10**(10**x)", 2.4),  # and spent minutes on 10^(10^100)
    ("exp(x**9)", 2.0),
])  # fmt: skip
def test_overflow_safe_survives_towers_of_exponentials(text, finite_below):
    x = torch.linspace(-100, 100, 2001, dtype=torch.float64)
    safe = overflow_safe(from_formula(text))
    for values in (safe.forward(x), safe.derivative(x)):
        assert torch.isfinite(values[x < finite_below]).all()
        assert (values[x > 3] == float("inf")).all()  # really infinite, not NaN
    # tanh of an exponential tower: 1 - tanh² is exactly 0 there, not 0·inf = NaN
    d = overflow_safe(from_formula("tanh(exp(exp(x)))")).derivative(x)
    assert torch.isfinite(d).all() and (d[x > 2] < 1e-100).all()


# forms the activation search writes that sympy differentiated into re(...), im(...), ITE(...)
# and Derivative(sign(...)) (it could not tell that σ and softplus of a real are real)
# (σ and softplus are now known real; a piecewise still is not: its re(...) is compiled)
REAL_GAPS = [
    ("max(sign(tanh(x)*sigmoid(x))*log(abs(tanh(x)*sigmoid(x)) + sqrt((tanh(x)*sigmoid(x))**2"
     " + 1)), 0.75)", True),
    ("abs(softplus(x) - 1)*x", True),
    ("exp(-0.75*abs(piecewise(abs(piecewise(abs(x) < 0.0001, 1 - x**2/6, sin(x)/x)*exp(x))"
     " < 0.0001, 1, sin(piecewise(abs(x) < 0.0001, 1 - x**2/6, sin(x)/x)*exp(x))) - sin(x)))",
     False),
]  # fmt: skip


@pytest.mark.parametrize("text, real", REAL_GAPS)
def test_formulas_with_real_parts_and_nested_conditions_compile_and_match_autograd(text, real):
    s = from_formula(text)
    assert "Derivative" not in s.text_grad
    assert real == ("re(" not in s.text_grad)
    x = torch.linspace(-4.97, 5.03, 301, dtype=torch.float64, requires_grad=True)
    (auto,) = torch.autograd.grad(s.forward(x).sum(), x)
    torch.testing.assert_close(s.derivative(x.detach()), auto, rtol=1e-6, atol=1e-8)


def test_re_im_ite_and_logic_compile_to_their_real_values():
    import sympy as sp

    from actopt.activations._compile import compile_expr

    env = {"x": torch.tensor([-2.0, -0.5, 0.5, 2.0], dtype=torch.float64)}
    e = sp.Symbol("x")  # not declared real: sympy keeps re and im
    cases = {
        sp.re(e): env["x"],
        sp.im(sp.sin(e)): torch.zeros(4, dtype=torch.float64),
        sp.ITE(e > 0, e > 1, e < -1): torch.tensor([True, False, False, True]),
        sp.And(e > -1, e < 1): torch.tensor([False, True, True, False]),
        sp.Or(e < -1, e > 1): torch.tensor([True, False, False, True]),
        sp.Not(e > 0): torch.tensor([True, True, False, False]),
    }
    for expr, want in cases.items():
        torch.testing.assert_close(compile_expr(expr)(env), want, msg=str(expr))

"""Formula activations: the whitelist, symbolic derivatives against autograd, and safety."""

from __future__ import annotations

import builtins

import pytest
import torch

import actopt.activations as A
from actopt.activations import FormulaError, from_formula

X = torch.linspace(-4, 4, 801, dtype=torch.float64)
X = X[X.abs() > 1e-3]  # away from kinks at 0

FORMULAS = [
    ("x*sigmoid(beta*x)", {"beta": 1.5}),
    ("x*tanh(softplus(x))", {}),
    ("max(x, 0) + a*min(x, 0)", {"a": 0.1}),
    ("piecewise(x > 0, x, alpha*(exp(x) - 1))", {"alpha": 1.0}),
    ("x*(1 + erf(x/sqrt(2)))/2", {}),
    ("atan(x) + sin(x)/4 - cos(x)/4", {}),
    ("abs(x)**1.5*sign(x)", {}),
    ("log(1 + exp(x)) - log(2)", {}),
]


@pytest.mark.parametrize("text, params", FORMULAS)
def test_symbolic_derivative_equals_autograd(text, params):
    s = from_formula(text, **params)
    x = X.clone().requires_grad_(True)
    (auto,) = torch.autograd.grad(s.forward(x).sum(), x)
    torch.testing.assert_close(s.derivative(X), auto, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("text, params", FORMULAS)
def test_formula_module_gradcheck_and_learnable_parameters(text, params):
    s = from_formula(text, **params)
    x = (X[::40].clone()).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: A.SpecFunction.apply(t, s, ()), (x,))
    if params:
        layer = from_formula(text, **params, learnable=True).module()
        names = [n for n, _ in layer.named_parameters()]
        assert names == list(params)
        layer(torch.randn(16)).sum().backward()
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in layer.parameters())


def test_matches_the_catalog_where_they_agree():
    x = torch.randn(1000, dtype=torch.float64)
    pairs = [("x*sigmoid(x)", "swish"), ("max(x, 0)", "relu"), ("tanh(x)", "tanh"),
             ("x*tanh(softplus(x))", "mish")]  # fmt: skip
    for text, name in pairs:
        torch.testing.assert_close(from_formula(text).forward(x), A.spec(name).forward(x))
        torch.testing.assert_close(from_formula(text).derivative(x), A.spec(name).derivative(x))


def test_fixed_parameters_work_in_every_operation():
    s = from_formula("x/a + sqrt(a)*x - exp(-a)", a=4.0)  # 1/a on a plain float once failed
    x = torch.tensor([-1.0, 2.0], dtype=torch.float64)
    torch.testing.assert_close(s.forward(x), x / 4 + 2 * x - torch.exp(torch.tensor(-4.0)))
    torch.testing.assert_close(s.derivative(x), torch.full_like(x, 2.25))


def test_formulas_work_wherever_names_do():
    assert isinstance(A.get("x*tanh(softplus(x))"), A.Activation)
    s = A.spec("x*sigmoid(beta*x)", beta=2.0)
    assert s.values["beta"] == 2.0 and s.kink_points() == ()
    assert A.spec("max(x, 0)").kink_points() == (0.0,)


@pytest.mark.parametrize("text, message", [
    ("x +", "syntax error at column"),
    ("foo(x)", "unknown function 'foo'.*Allowed: exp, log"),
    ("beta*x", "unknown symbol 'beta'.*declare it"),
    ("y*x", "unknown symbol 'y'"),
    ("exp(x, x)", r"exp\(\) takes 1"),
    ("max(x)", "two or more"),
    ("x > 0", "Compare is not allowed"),
    ("'x'", "only numbers"),
    ("True", "only numbers"),
    ("+".join(["x"] * 120), "too large"),
    ("", "empty"),
])  # fmt: skip
def test_bad_formulas_say_what_and_where(text, message):
    with pytest.raises(FormulaError, match=message):
        from_formula(text)


@pytest.mark.parametrize("attack", [
    "__import__('os').system('touch /tmp/actopt_pwned')",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "(lambda: __import__('os'))()",
    "__builtins__",
    "exp.__globals__",
    "[c for c in ().__class__.__mro__]",
    "open('/etc/passwd').read()",
    "exec('print(1)')",
    "globals()",
    "x if __debug__ else x",
    "f'{x}'",
    "x[0]",
    "x:=1",
])  # fmt: skip
def test_code_injection_is_refused_without_running_anything(monkeypatch, attack):
    """Spy on everything that could run code: only ast-only compilation may happen."""
    import ast
    import os
    from pathlib import Path

    Path("/tmp/actopt_pwned").unlink(missing_ok=True)
    calls = []

    def spy(name, real):
        def wrapper(*args, **kwargs):
            flags = args[3] if len(args) > 3 else kwargs.get("flags", 0)  # compile's 4th
            calls.append((name, flags))
            return real(*args, **kwargs)

        return wrapper

    for name in ("eval", "exec", "compile", "open", "__import__"):
        monkeypatch.setattr(builtins, name, spy(name, getattr(builtins, name)))
    monkeypatch.setattr(os, "system", spy("os.system", os.system))
    with pytest.raises(FormulaError):
        from_formula(attack)
    monkeypatch.undo()
    ran = [c for c in calls if c[0] in ("eval", "exec", "open", "os.system")]
    compiled = [flags for name, flags in calls if name == "compile"]
    assert ran == [], ran
    assert compiled and all(f & ast.PyCF_ONLY_AST for f in compiled)  # a tree, never code
    assert not Path("/tmp/actopt_pwned").exists()


def test_the_package_source_never_evaluates_strings():
    import pathlib
    import re

    src = pathlib.Path(A.__file__).parents[1]
    pattern = re.compile(r"(^|[^_.a-zA-Z])(eval|exec)\(|sympify\(|parse_expr\(|lambdify\(")
    hits = [
        f"{p.name}:{i}"
        for p in src.rglob("*.py")
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line) and not line.strip().startswith("#")
    ]
    assert hits == []

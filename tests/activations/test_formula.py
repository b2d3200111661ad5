"""Formula activations: the whitelist, symbolic derivatives against autograd, and safety."""

from __future__ import annotations

import builtins

import pytest
import torch
import torch.nn.functional as F

import actopt.activations as A
from actopt.activations import FormulaError, from_formula
from actopt.activations._formula import FUNCTIONS

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


# formulas calling catalog activations, each with an independent torch.nn.functional reference
CATALOG_CALLS = [
    ("relu(x) + 0.1*x", {}, lambda x: F.relu(x) + 0.1 * x),
    ("swish(x)", {}, F.silu),
    ("elu(x)", {}, F.elu),
    ("gelu(2*x)", {}, lambda x: F.gelu(2 * x)),
    ("leaky_relu(x, negative_slope=0.2) - tanh(x)/2", {},
     lambda x: F.leaky_relu(x, 0.2) - torch.tanh(x) / 2),
    ("a*mish(x/a) + elu(x, alpha=0.5)", {"a": 2.0}, lambda x: 2 * F.mish(x / 2) + F.elu(x, 0.5)),
    ("gelu(x, approximate='tanh')*sigmoid(x)", {},
     lambda x: F.gelu(x, approximate="tanh") * torch.sigmoid(x)),
    ("hard_swish(3*x - 1) + softsign(x**2)", {},
     lambda x: F.hardswish(3 * x - 1) + F.softsign(x**2)),
]  # fmt: skip
CALL_IDS = [t for t, _, _ in CATALOG_CALLS]


def _away_from_kinks(s, x: torch.Tensor) -> torch.Tensor:
    for k in s.kink_points():
        x = x[(x - k).abs() > 1e-3]
    return x


@pytest.mark.parametrize("text, params, reference", CATALOG_CALLS, ids=CALL_IDS)
def test_catalog_calls_take_the_catalogs_derivative(text, params, reference):
    s = from_formula(text, **params)
    x = _away_from_kinks(s, X)
    torch.testing.assert_close(s.forward(x), reference(x), rtol=1e-7, atol=1e-12)
    xs = x.clone().requires_grad_(True)
    (auto,) = torch.autograd.grad(reference(xs).sum(), xs)  # autograd of the same expression
    torch.testing.assert_close(s.derivative(x), auto, rtol=1e-7, atol=1e-12)
    h = 1e-6
    fd = (s.forward(x + h) - s.forward(x - h)) / (2 * h)
    torch.testing.assert_close(s.derivative(x), fd, rtol=1e-5, atol=1e-6)
    layer = from_formula(text, **params, learnable=bool(params)).module().double()
    xs = x[::20].clone().requires_grad_(True)
    (backward,) = torch.autograd.grad(layer(xs).sum(), xs)  # the module's own backward
    torch.testing.assert_close(backward, auto[::20], rtol=1e-7, atol=1e-12)
    assert torch.autograd.gradcheck(layer, (xs,))  # including ∂f/∂a when a is trained


@pytest.mark.parametrize("name", [n for n in A.names() if not A.spec(n).vector])
def test_every_elementwise_catalog_name_is_a_formula_function(name):
    s, catalog = from_formula(f"{name}(x)"), A.spec(name)
    x = _away_from_kinks(catalog, X)
    torch.testing.assert_close(s.forward(x), catalog.forward(x), rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(s.derivative(x), catalog.derivative(x), rtol=1e-12, atol=1e-14)
    if name not in FUNCTIONS:  # softplus(x) is sympy's exact one, without the linear branch
        assert s.kink_points() == catalog.kink_points()


@pytest.mark.parametrize("name", [n for n in A.names() if not A.spec(n).vector])
@pytest.mark.parametrize("shape", ["{f}**2", "{f}*{f}", "{f}**3/(1 + {f}**2)"])
def test_catalog_calls_inside_powers_and_products(name, shape):
    """sympy's LaTeX printer hands a raised function its exponent: relu(x)**2 crashed there."""
    s, c = from_formula(shape.format(f=f"{name}(x)")), A.spec(name)
    x = _away_from_kinks(c, X)
    f, g = c.forward(x), c.derivative(x)  # the chain rule by hand, over the catalog's f'
    reference = {
        "{f}**2": (f**2, 2 * f * g),
        "{f}*{f}": (f * f, 2 * f * g),
        "{f}**3/(1 + {f}**2)": (f**3 / (1 + f**2), g * f**2 * (3 + f**2) / (1 + f**2) ** 2),
    }[shape]
    torch.testing.assert_close(s.forward(x), reference[0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(s.derivative(x), reference[1], rtol=1e-10, atol=1e-12)
    assert s.module()(x.float()).isfinite().all()  # the module trains it too


@pytest.mark.parametrize("name", [n for n in A.names() if A.spec(n).vector])
def test_vector_valued_catalog_functions_are_refused(name):
    with pytest.raises(FormulaError, match=f"{name} is vector-valued"):
        from_formula(f"1 + {name}(x)")


def test_catalog_calls_print_parse_and_move_kinks():
    s = from_formula("leaky_relu(2*x - 1, negative_slope=0.2) + relu(x) - relu(x)")
    assert s.text == "leaky_relu(2*x - 1, negative_slope=0.2)"  # equal calls cancel
    assert s.text_grad == "2*leaky_relu'(2*x - 1, negative_slope=0.2)"
    assert s.kink_points() == (0.5,)  # the catalog's kink at 0, moved through the argument
    assert from_formula(s.text).text == s.text  # what is printed parses back to the same


@pytest.mark.parametrize("text, message", [
    ("rellu(x)", r"unknown function 'rellu' at column 1 \(did you mean relu"),
    ("relu(x, 2)", r"relu\(\) takes one argument"),
    ("relu()", r"relu\(\) takes one argument"),
    ("leaky_relu(x, negative_slope=x)", "fixed numbers"),
    ("swish(x, learnable=True)", "fixed numbers"),
    ("elu(x, alpha=-1)", r"elu: alpha must be in \[0, ∞\), got -1"),
    ("elu(x, beta=2)", "unknown parameter"),
])  # fmt: skip
def test_bad_catalog_calls_say_what(text, message):
    with pytest.raises(FormulaError, match=message):
        from_formula(text)


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
    ("x^2", r"\^ is not a power .*write x\*\*2"),
    ("x·2", r"the character '·' \(U\+00B7\) in 'x·2' at column 2 is not allowed"),
    # the column is where the fault is: after x* (not at its *), at 2x's x (not its 2)
    ("x*", "syntax error at column 3: invalid syntax: the formula ends too early in 'x\\*'"),
    ("x ** ", "syntax error at column 5: .*ends too early"),
    ("2x", r"syntax error at column 2: invalid decimal literal \(write 2\*x for a product\)"),
    ("3.5x+1", r"column 4: invalid decimal literal \(write 3.5\*x for a product\)"),
    ("x 2", r"column 3: invalid syntax: two terms side by side \(write \* for a product\)"),
    ("relu(x) 3", "column 9: invalid syntax: two terms side by side"),
    ("x + * 2", "syntax error at column 5: invalid syntax in"),
    ("x % 2", "the operator % is not allowed"),
    ("x // 2", "the operator // is not allowed"),
])  # fmt: skip
def test_bad_formulas_say_what_and_where(text, message):
    with pytest.raises(FormulaError, match=message):
        from_formula(text)


@pytest.mark.parametrize("text", ["(" * 300 + "x" + ")" * 300, "exp(" * 300 + "x" + ")" * 300])
def test_a_long_formula_is_cut_in_its_error(text):
    with pytest.raises(FormulaError, match="too many nested parentheses") as e:
        from_formula(text)
    assert len(str(e.value)) < 150 and f"({len(text)} characters)" in str(e.value)


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

"""Activations from formulas: parsed against a whitelist, differentiated symbolically.

``from_formula("x*sigmoid(beta*x)", beta=1.0)`` reads the text with Python's ``ast`` parser
(which only builds a syntax tree; nothing runs), refuses every node that is not a number, the
variable ``x``, a declared parameter, an arithmetic operator or a whitelisted function, then
builds the sympy expression node by node. sympy derives f' (and ∂f/∂p for each parameter);
both expressions are compiled into closures over torch operations by walking their trees. No
string is ever handed to Python's or sympy's own evaluators.
"""

from __future__ import annotations

import ast
import difflib
import functools
import math
from collections.abc import Callable
from typing import Any

import sympy as sp
import torch
import torch.nn.functional as F

from ._calls import CatalogCall, catalog_function, catalog_names, catalog_op, is_catalog_name
from ._spec import ActivationSpec, Param, Properties

__all__ = ["FUNCTIONS", "MAX_NODES", "FormulaError", "from_formula", "looks_like_formula"]

MAX_NODES = 200
X = sp.Symbol("x", real=True)


class FormulaError(ValueError):
    """A formula that is malformed, too large or uses something outside the whitelist."""


# -- sympy functions with numerically stable torch counterparts --------------------------------


class sigmoid(sp.Function):  # lower-case: the name users type
    """σ(a) = 1 / (1 + e^{−a}); kept whole so torch can use its stable kernel."""

    def fdiff(self, argindex: int = 1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sp.exp(-arg))


class softplus(sp.Function):
    """log(1 + e^a), kept whole: the naive form overflows for large a."""

    def fdiff(self, argindex: int = 1):
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return sp.log(1 + sp.exp(arg))


def _piecewise(cond, a, b):
    return sp.Piecewise((a, cond), (b, True))


# name users type → (sympy builder, number of arguments; None = two or more)
FUNCTIONS: dict[str, tuple[Callable[..., sp.Expr], int | None]] = {
    "exp": (sp.exp, 1), "log": (sp.log, 1), "sqrt": (sp.sqrt, 1), "abs": (sp.Abs, 1),
    "sign": (sp.sign, 1), "max": (sp.Max, None), "min": (sp.Min, None), "tanh": (sp.tanh, 1),
    "sigmoid": (sigmoid, 1), "softplus": (softplus, 1), "erf": (sp.erf, 1), "sin": (sp.sin, 1),
    "cos": (sp.cos, 1), "atan": (sp.atan, 1), "Heaviside": (lambda a: sp.Heaviside(a, 1), 1),
    "piecewise": (_piecewise, 3),
}  # fmt: skip
CONSTANTS = {"pi": sp.pi, "e": sp.E}
_BINOPS = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b,
}  # fmt: skip
_COMPARE = {ast.Gt: sp.StrictGreaterThan, ast.GtE: sp.GreaterThan,
            ast.Lt: sp.StrictLessThan, ast.LtE: sp.LessThan}  # fmt: skip


def looks_like_formula(text: str) -> bool:
    """A catalog name is one word; anything else (``x``, operators, calls) is a formula."""
    t = text.strip()
    return t == "x" or not (t[:1].isalpha() and all(c.isalnum() or c == "_" for c in t))


# -- text → sympy ------------------------------------------------------------------------------


def _where(node: ast.AST) -> str:
    col = getattr(node, "col_offset", None)
    return f" at column {col + 1}" if col is not None else ""


def _allowed_names(params: dict[str, Any]) -> str:
    return (
        f"variable x, parameters {', '.join(params) or '(none declared)'}, constants pi, e, "
        f"functions {', '.join(FUNCTIONS)} and the catalog's element-wise activations"
    )


def _build(node: ast.AST, symbols: dict[str, sp.Symbol], params: dict, in_condition=False):
    """One whitelisted AST node → a sympy expression (everything else raises FormulaError)."""
    if isinstance(node, ast.Expression):
        return _build(node.body, symbols, params)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise FormulaError(f"only numbers are allowed as constants, got {node.value!r}"
                               f"{_where(node)}")  # fmt: skip
        return sp.Integer(node.value) if isinstance(node.value, int) else sp.Float(node.value)
    if isinstance(node, ast.Name):
        if node.id.startswith("__"):
            raise FormulaError(f"dunder names are not allowed: {node.id!r}{_where(node)}")
        if node.id == "x":
            return X
        if node.id in symbols:
            return symbols[node.id]
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        hint = f"; declare it as a parameter ({node.id}=…)" if node.id.isidentifier() else ""
        raise FormulaError(f"unknown symbol {node.id!r}{_where(node)}{hint}. Allowed: "
                           f"{_allowed_names(params)}")  # fmt: skip
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left = _build(node.left, symbols, params)
        right = _build(node.right, symbols, params)
        return _BINOPS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _build(node.operand, symbols, params)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise FormulaError(f"only plain function calls are allowed{_where(node)}")
        name = node.func.id
        if name.startswith("__"):
            raise FormulaError(f"dunder names are not allowed: {name!r}{_where(node)}")
        if name not in FUNCTIONS:
            return _call_catalog(node, symbols, params)
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise FormulaError(f"{name}() takes plain positional arguments{_where(node)}")
        builder, arity = FUNCTIONS[name]
        n = len(node.args)
        if (arity is None and n < 2) or (arity is not None and n != arity):
            want = "two or more" if arity is None else str(arity)
            raise FormulaError(f"{name}() takes {want} argument(s), got {n}{_where(node)}")
        if name == "piecewise":
            cond = _build(node.args[0], symbols, params, in_condition=True)
            return builder(cond, *(_build(a, symbols, params) for a in node.args[1:]))
        return builder(*(_build(a, symbols, params) for a in node.args))
    if isinstance(node, ast.Compare) and in_condition:
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
            raise FormulaError(f"a condition is one comparison: <, <=, > or >={_where(node)}")
        left = _build(node.left, symbols, params)
        right = _build(node.comparators[0], symbols, params)
        return _COMPARE[type(node.ops[0])](left, right)
    what = type(node).__name__
    raise FormulaError(f"{what} is not allowed in a formula{_where(node)}; allowed: numbers, "
                       f"+ - * / **, {_allowed_names(params)}")  # fmt: skip


def _literal(node: ast.AST, owner: str) -> Any:
    """A catalog parameter's value: a number, or a choice's name in quotes."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign, node = (-1 if isinstance(node.op, ast.USub) else 1), node.operand
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool):
        if isinstance(node.value, (int, float)):
            return sign * node.value
        if isinstance(node.value, str) and sign == 1:
            return node.value
    raise FormulaError(f"{owner}() parameters are fixed numbers (or a choice in quotes, e.g. "
                       f"gelu(x, approximate='tanh')){_where(node)}")  # fmt: skip


def _call_catalog(node: ast.Call, symbols: dict[str, sp.Symbol], params: dict) -> sp.Expr:
    """``relu(x)``, ``leaky_relu(2*x, negative_slope=0.2)``: a catalog activation of one
    argument, its parameters by keyword; f' comes from the catalog (see ``_calls``)."""
    name = node.func.id  # type: ignore[attr-defined]
    if not is_catalog_name(name):
        close = difflib.get_close_matches(name, [*FUNCTIONS, *catalog_names()], n=3, cutoff=0.6)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise FormulaError(f"unknown function {name!r}{_where(node)}{hint}. Allowed: "
                           f"{', '.join(FUNCTIONS)}, and the element-wise activations of "
                           "actopt.activations.names()")  # fmt: skip
    if (
        len(node.args) != 1
        or isinstance(node.args[0], ast.Starred)
        or None in (k.arg for k in node.keywords)
    ):
        raise FormulaError(f"{name}() takes one argument, an expression in x, and its "
                           f"parameters by keyword{_where(node)}")  # fmt: skip
    values = {k.arg: _literal(k.value, name) for k in node.keywords}
    try:
        function = catalog_function(name, values)
    except ValueError as e:  # a bad parameter value, or a vector-valued activation
        raise FormulaError(f"{e}{_where(node)}") from None
    return function(_build(node.args[0], symbols, params))


def parse(text: str, params: dict[str, Any]) -> tuple[sp.Expr, dict[str, sp.Symbol]]:
    """``text`` → (sympy expression in x and the parameters, the parameter symbols)."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("empty formula")
    if len(text) > 2000:
        raise FormulaError(f"formula too long ({len(text)} characters)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        col = e.offset or len(text.strip())
        raise FormulaError(f"syntax error at column {col}: {e.msg} in {text.strip()!r}") from None
    nodes = sum(1 for _ in ast.walk(tree))
    if nodes > MAX_NODES:
        raise FormulaError(f"formula too large: {nodes} nodes (limit {MAX_NODES})")
    for name in params:
        if not name.isidentifier() or name.startswith("_") or name in ("x", "learnable"):
            raise FormulaError(f"bad parameter name {name!r}")
        if name in FUNCTIONS or name in CONSTANTS:
            raise FormulaError(f"parameter {name!r} shadows a function or constant")
    symbols = {name: sp.Symbol(name, real=True) for name in params}
    expr = _build(tree, symbols, params)
    if not isinstance(expr, sp.Expr):
        raise FormulaError("a formula must be a number-valued expression")
    return expr, symbols


# -- sympy → torch -----------------------------------------------------------------------------

Compiled = Callable[[dict[str, Any]], torch.Tensor]


def _const(v: float) -> Compiled:
    return lambda env: torch.as_tensor(v, dtype=env["x"].dtype, device=env["x"].device)


def _compile(e: sp.Basic) -> Compiled:
    """A closure env → tensor computing ``e`` with torch ops, by walking the sympy tree."""
    if e == X:
        return lambda env: env["x"]
    if isinstance(e, sp.Symbol):  # a parameter: a float when fixed, a tensor when trained
        name = e.name
        return lambda env: torch.as_tensor(env[name], dtype=env["x"].dtype, device=env["x"].device)
    if e.is_Number or e in (sp.pi, sp.E):
        return _const(float(e))
    if isinstance(e, (sp.logic.boolalg.BooleanTrue,)):
        return lambda env: torch.ones_like(env["x"], dtype=torch.bool)
    if isinstance(e, sp.Piecewise):
        pieces = [(_compile(v), _compile(c)) for v, c in e.args]

        def piecewise(env):
            out = _broadcast(pieces[-1][0](env), env)
            for value, cond in reversed(pieces[:-1]):
                out = torch.where(cond(env), value(env), out)
            return out

        return piecewise
    args = [_compile(a) for a in e.args]
    if isinstance(e, sp.Add):
        return lambda env: functools.reduce(torch.add, (a(env) for a in args))
    if isinstance(e, sp.Mul):
        return lambda env: functools.reduce(torch.mul, (a(env) for a in args))
    if isinstance(e, sp.Pow):
        base, power = args
        ex = e.args[1]
        if ex == sp.Rational(1, 2):
            return lambda env: torch.sqrt(base(env))
        if ex == -1:
            return lambda env: torch.reciprocal(base(env))
        if ex.is_Integer:
            k = int(ex)
            return lambda env: torch.pow(base(env), k)
        return lambda env: torch.pow(base(env), power(env))
    if (op := catalog_op(e)) is not None:  # relu(...), relu'(...): the catalog's f and f'
        (a,) = args
        return lambda env: op(a(env))
    unary = {
        sp.exp: torch.exp, sp.log: torch.log, sp.Abs: torch.abs, sp.sign: torch.sign,
        sp.tanh: torch.tanh, sp.erf: torch.erf, sp.sin: torch.sin, sp.cos: torch.cos,
        sp.atan: torch.atan, sigmoid: torch.sigmoid, softplus: F.softplus,
        sp.cosh: torch.cosh, sp.sinh: torch.sinh,
    }  # fmt: skip
    if e.func in unary:
        op, (a,) = unary[e.func], args
        return lambda env: op(a(env))
    if isinstance(e, sp.Heaviside):
        a, h0 = args
        return lambda env: torch.heaviside(a(env), h0(env).to(env["x"].dtype))
    if isinstance(e, sp.DiracDelta):  # the derivative of a step: zero almost everywhere
        a = args[0]
        return lambda env: torch.zeros_like(a(env))
    if isinstance(e, (sp.Max, sp.Min)):
        op = torch.maximum if isinstance(e, sp.Max) else torch.minimum
        return lambda env: functools.reduce(op, (_broadcast(a(env), env) for a in args))
    relations = {sp.StrictGreaterThan: torch.gt, sp.GreaterThan: torch.ge,
                 sp.StrictLessThan: torch.lt, sp.LessThan: torch.le}  # fmt: skip
    if e.func in relations:
        op, (a, b) = relations[e.func], args
        return lambda env: op(a(env), b(env))
    if e in (sp.zoo, sp.nan, sp.oo, -sp.oo):
        return _const(float("nan") if e in (sp.zoo, sp.nan) else float(e))
    raise FormulaError(f"cannot compile {e.func.__name__} to torch")


def _broadcast(t: torch.Tensor, env: dict) -> torch.Tensor:
    x = env["x"]
    return t if t.shape == x.shape else t.expand_as(x) if t.dim() <= x.dim() else t


def _as_fn(e: sp.Expr, names: tuple[str, ...]) -> Callable[..., torch.Tensor]:
    compiled = _compile(e)

    def fn(x: torch.Tensor, **params: Any) -> torch.Tensor:
        env = {"x": x, **{n: params[n] for n in names}}
        out = compiled(env)
        return out if out.shape == x.shape else out.expand_as(x).clone()

    return fn


# -- the spec ----------------------------------------------------------------------------------


def _kinks(expr: sp.Expr, values: dict[str, float]) -> tuple[float, ...]:
    """Real x where a non-smooth piece switches: zeros of abs/sign/step arguments, max/min ties
    and piecewise conditions (with the parameters at their values)."""
    subs = {sp.Symbol(k, real=True): v for k, v in values.items() if not isinstance(v, bool)}
    found: set[float] = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Abs, sp.sign, sp.Heaviside)):
            candidates = [node.args[0]]
        elif isinstance(node, (sp.Max, sp.Min)):
            candidates = [a - b for i, a in enumerate(node.args) for b in node.args[i + 1 :]]
        elif isinstance(node, sp.Piecewise):
            candidates = [c.lhs - c.rhs for _, c in node.args if isinstance(c, sp.Rel)]
        elif isinstance(node, CatalogCall):  # where its argument meets a catalog kink
            candidates = [node.args[0] - k for k in node.spec.kink_points()]
        else:
            continue
        for c in candidates:
            try:
                roots = sp.solveset(sp.Eq(c.subs(subs), 0), X, domain=sp.S.Reals)
            except Exception:  # sympy cannot always solve; kinks are then found numerically
                continue
            if isinstance(roots, sp.FiniteSet):
                found.update(float(r) for r in roots if r.is_real and abs(float(r)) < 1e6)
    return tuple(sorted(found))


@functools.lru_cache(maxsize=256)
def _cached(text: str, items: tuple[tuple[str, Any], ...]) -> ActivationSpec:
    values = dict(items)
    learnable = bool(values.pop("learnable", False))
    for k, v in values.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise FormulaError(f"parameter {k} must be a finite number, got {v!r}")
    expr, symbols = parse(text, values)
    unused = [n for n, s in symbols.items() if s not in expr.free_symbols]
    if unused:
        raise FormulaError(f"parameter(s) {', '.join(unused)} do not appear in {text.strip()!r}")
    names = tuple(symbols)
    deriv = sp.diff(expr, X)
    param_derivs = {n: sp.diff(expr, s) for n, s in symbols.items()}
    fn, grad = _as_fn(expr, names), _as_fn(deriv, names)
    params = tuple(
        Param(n, float(v), f"formula parameter {n}", trainable=True) for n, v in values.items()
    )
    params += (Param("learnable", False, "train the formula's parameters"),)
    kinks = _kinks(expr, values)
    return ActivationSpec(
        name=" ".join(text.split()),
        fn=fn,
        grad=grad,
        latex=sp.latex(expr),
        latex_grad=sp.latex(deriv),
        text=str(expr),
        text_grad=str(deriv),
        # measured, not declared: actopt.audit gives the numbers behind them
        properties=Properties(
            output_range="measured by audit",
            monotonic=False,
            smooth=not kinks,
            zero_centered=False,
            bounded_above=False,
            bounded_below=False,
            saturates="?",
        ),
        summary=f"user formula, f'(x) derived symbolically by sympy: {deriv}",
        params=params,
        values={"learnable": learnable},
        param_grads={n: _as_fn(d, names) for n, d in param_derivs.items()},
        kinks=lambda **_: kinks,
    ).bind(**values)


def from_formula(text: str, **params: Any) -> ActivationSpec:
    """An activation spec from a formula in ``x`` and declared parameters.

    >>> s = from_formula("x*sigmoid(beta*x)", beta=1.0)
    >>> s.text_grad
    'beta*x*(1 - sigmoid(beta*x))*sigmoid(beta*x) + sigmoid(beta*x)'
    >>> s.module()                       # an nn.Module; learnable=True trains beta
    Activation(x*sigmoid(beta*x))

    Grammar: numbers, ``x``, the declared parameters, ``pi``, ``e``, ``+ - * / **``, and
    exp, log, sqrt, abs, sign, max, min, tanh, sigmoid, softplus, erf, sin, cos, atan,
    Heaviside, piecewise(condition, if_true, if_false) with one comparison as the condition.
    Every element-wise catalog activation is a function too, its parameters fixed numbers by
    keyword, its derivative the catalog's hand-derived one (chain rule through the argument):

    >>> from_formula("leaky_relu(2*x, negative_slope=0.2) + 0.1*x").text_grad
    "2*leaky_relu'(2*x, negative_slope=0.2) + 0.1"
    """
    return _cached(text, tuple(sorted(params.items())))

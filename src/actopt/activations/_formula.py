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
import re
from collections.abc import Callable
from typing import Any

import mpmath
import sympy as sp

from .._numbers import FLOAT32_MAX, as_finite, shown
from ._budget import OutOfTime, budget
from ._calls import catalog_function, catalog_names, is_catalog_name
from ._compile import FormulaFn, sigmoid, softplus
from ._kinks import find_kinks
from ._spec import ActivationSpec, Param, Properties

__all__ = [
    "DERIVE_BUDGET_S",
    "FUNCTIONS",
    "MAX_DIGITS",
    "MAX_EXPONENT",
    "MAX_NODES",
    "FormulaError",
    "from_formula",
    "looks_like_formula",
]

MAX_NODES = 200
MAX_EXPONENT = 1000  # |p| in a**p: x**1000 already overflows float64 for |x| > 2.03
MAX_DIGITS = 1000  # a constant (10**1000 at most) that sympy builds exactly, as an integer
DERIVE_BUDGET_S = 10.0  # seconds sympy may spend on one formula's derivatives and printing
X = sp.Symbol("x", real=True)


class FormulaError(ValueError):
    """A formula that is malformed, too large or uses something outside the whitelist."""


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
    ast.Div: lambda a, b: a / b,
}  # fmt: skip
# operators outside the grammar, named as the user typed them
_OPERATORS = {ast.Mod: "the operator %", ast.FloorDiv: "the operator //",
              ast.MatMult: "the operator @", ast.BitAnd: "the operator &",
              ast.BitOr: "the operator |", ast.LShift: "the operator <<",
              ast.RShift: "the operator >>", ast.Invert: "the operator ~",
              ast.Not: "not"}  # fmt: skip
_COMPARE = {ast.Gt: sp.StrictGreaterThan, ast.GtE: sp.GreaterThan,
            ast.Lt: sp.StrictLessThan, ast.LtE: sp.LessThan}  # fmt: skip


def _digits(n: sp.Expr) -> float:
    """log10 |n| of a constant, without computing it in full (-inf for 0, inf for no number)."""
    if n.is_Rational:
        p, q = abs(int(n.p)), int(n.q)
        return math.log10(p) - math.log10(q) if p else -math.inf
    value = sp.Abs(n).evalf(15)
    if value.is_zero:
        return -math.inf
    if not value.is_Float:  # nan, zoo, oo
        return math.inf
    return float(mpmath.log10(mpmath.mpf(value._mpf_)))


def _power(base: sp.Expr, power: sp.Expr, node: ast.AST) -> sp.Expr:
    """``base**power``, bounded before sympy sees it: sympy computes a power of integers in
    full (9**9**9 has 369 million digits and never returns)."""
    if power.is_number:
        size = _digits(power)
        if size > math.log10(MAX_EXPONENT):
            raise FormulaError(f"exponent {shown(power)} is too large (at most {MAX_EXPONENT} "
                               f"in size){_where(node)}")  # fmt: skip
        if base.is_number and 10**size * _digits(base) > MAX_DIGITS:
            raise FormulaError(f"{shown(base)}**{shown(power)} is too large a number (at most "
                               f"{MAX_DIGITS} digits){_where(node)}")  # fmt: skip
    return base**power


def looks_like_formula(text: str) -> bool:
    """A catalog name is one word; anything else (``x``, operators, calls) is a formula."""
    t = text.strip()
    return t == "x" or not (t[:1].isalpha() and all(c.isalnum() or c == "_" for c in t))


# -- text → sympy ------------------------------------------------------------------------------


def _where(node: ast.AST, plus: int = 0) -> str:
    """`` at column N`` (1-based); ``plus`` moves it into the node, to the character at fault.
    ast counts UTF-8 bytes, characters only while the text before is ASCII: the first
    non-ASCII character is refused (below) before any node after it is looked at."""
    col = getattr(node, "col_offset", None)
    return f" at column {col + 1 + plus}" if col is not None else ""


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
        odd = [i for i, c in enumerate(node.id) if not c.isascii()]
        if odd:  # x·2 is one Python name: point at the ·, not at the x
            c = node.id[odd[0]]
            raise FormulaError(f"the character {c!r} (U+{ord(c):04X}) in {node.id!r}"
                               f"{_where(node, odd[0])} is not allowed: formulas are ASCII; write "
                               "* for multiplication and ** for a power")  # fmt: skip
        hint = f"; declare it as a parameter ({node.id}=…)" if node.id.isidentifier() else ""
        raise FormulaError(f"unknown symbol {node.id!r}{_where(node)}{hint}. Allowed: "
                           f"{_allowed_names(params)}")  # fmt: skip
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        return _power(_build(node.left, symbols, params), _build(node.right, symbols, params),
                      node)  # fmt: skip
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
            if not isinstance(node.args[0], ast.Compare):
                where = _where(node.args[0])
                raise FormulaError("piecewise(condition, if_true, if_false): the condition is "
                                   f"one comparison such as x > 0{where}")  # fmt: skip
            cond = _build(node.args[0], symbols, params, in_condition=True)
            return builder(cond, *(_build(a, symbols, params) for a in node.args[1:]))
        return builder(*(_build(a, symbols, params) for a in node.args))
    if isinstance(node, ast.Compare) and in_condition:
        if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARE:
            raise FormulaError(f"a condition is one comparison: <, <=, > or >={_where(node)}")
        left = _build(node.left, symbols, params)
        right = _build(node.comparators[0], symbols, params)
        return _COMPARE[type(node.ops[0])](left, right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
        raise FormulaError("^ is not a power (in Python it is bitwise xor): write x**2 for x "
                           "squared")  # fmt: skip
    what = _OPERATORS.get(type(getattr(node, "op", None)), type(node).__name__)
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


def _excerpt(text: str, col: int, room: int = 30) -> str:
    """``text`` quoted, cut to ``room`` characters either side of column ``col`` when long."""
    if len(text) <= 2 * room + 20:
        return repr(text)
    lo, hi = max(col - 1 - room, 0), min(col - 1 + room, len(text))
    return (f"{'…' if lo else ''}{text[lo:hi]!r}{'…' if hi < len(text) else ''} "
            f"({len(text)} characters)")  # fmt: skip


def _syntax_place(text: str, e: SyntaxError) -> tuple[int, str]:
    """(column, message) of a syntax error where it really is: Python points nowhere when the
    text ends too early (``x*``) and at the number's last digit in ``2x``."""
    if not e.offset:
        return len(text) + 1, f"{e.msg}: the formula ends too early"
    col = e.offset
    if "literal" in e.msg:  # a number runs into a name: 2x, 3.5x
        start = end = col - 1
        while start > 0 and (text[start - 1].isdigit() or text[start - 1] in "._"):
            start -= 1
        while end < len(text) and (text[end].isdigit() or text[end] in "._"):
            end += 1
        name = re.match(r"\w*", text[end:]).group()
        if name[:1].isalpha():
            return end + 1, f"{e.msg} (write {text[start:end]}*{name} for a product)"
    prev, here = text[: col - 1].rstrip()[-1:], text[col - 1 : col]
    if (
        e.msg == "invalid syntax"
        and (prev.isalnum() or prev == ")")
        and (here.isalnum() or here == "(")
    ):  # x 2, relu(x) 3
        return col, f"{e.msg}: two terms side by side (write * for a product)"
    return col, e.msg


def parse(text: str, params: dict[str, Any]) -> tuple[sp.Expr, dict[str, sp.Symbol]]:
    """``text`` → (sympy expression in x and the parameters, the parameter symbols)."""
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("empty formula")
    if len(text) > 2000:
        raise FormulaError(f"formula too long ({len(text)} characters)")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        col, msg = _syntax_place(text.strip(), e)
        raise FormulaError(f"syntax error at column {col}: {msg} in "
                           f"{_excerpt(text.strip(), col)}") from None  # fmt: skip
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


# -- the spec ----------------------------------------------------------------------------------


def _scan_fn(names: tuple[str, ...], values: dict[str, Any]) -> Callable:
    """A kink candidate (parameters substituted) as a torch function of x, for the scan."""

    def make(c: sp.Expr) -> Callable:
        fn = FormulaFn(c, names)
        return lambda x: fn(x, **values)

    return make


def _derive(text: str, values: dict[str, Any]) -> dict[str, Any]:
    """f, f', every ∂f/∂p and their printed forms, within the time budget."""
    try:
        with budget(DERIVE_BUDGET_S):
            expr, symbols = parse(text, values)
            unused = [n for n, s in symbols.items() if s not in expr.free_symbols]
            if unused:
                raise FormulaError(f"parameter(s) {', '.join(unused)} do not appear in "
                                   f"{text.strip()!r}")  # fmt: skip
            deriv = sp.diff(expr, X)
            return {
                "expr": expr, "names": tuple(symbols), "deriv": deriv,
                "param_derivs": {n: sp.diff(expr, s) for n, s in symbols.items()},
                "latex": sp.latex(expr), "latex_grad": sp.latex(deriv),
                "text": str(expr), "text_grad": str(deriv),
            }  # fmt: skip
    except OutOfTime:
        raise FormulaError(f"formula too complex: sympy did not finish reading and deriving "
                           f"it within {DERIVE_BUDGET_S:g} s; simplify it") from None  # fmt: skip


@functools.lru_cache(maxsize=256)
def _cached(text: str, items: tuple[tuple[str, Any], ...], _types: tuple) -> ActivationSpec:
    values = dict(items)
    learnable = values.pop("learnable", False)
    if not isinstance(learnable, bool):
        raise FormulaError(f"learnable must be True or False, got {shown(learnable)}")
    for k, v in values.items():
        if as_finite(v, FLOAT32_MAX) is None:  # as an activation's Param checks its values
            raise FormulaError(f"parameter {k} must be a finite number (|value| ≤ 3.4e38, "
                               f"float32's range), got {shown(v)}")  # fmt: skip
    d = _derive(text, values)
    expr, names, deriv = d["expr"], d["names"], d["deriv"]
    try:
        fn, grad = FormulaFn(expr, names), FormulaFn(deriv, names)
        param_grads = {n: FormulaFn(e, names) for n, e in d["param_derivs"].items()}
    except ValueError as e:  # a node torch has no operation for
        raise FormulaError(str(e)) from None
    params = tuple(
        Param(n, float(v), f"formula parameter {n}", trainable=True) for n, v in values.items()
    )
    params += (Param("learnable", False, "train the formula's parameters"),)
    kinks = find_kinks(expr, X, values, _scan_fn(names, values))
    return ActivationSpec(
        name=" ".join(text.split()),
        fn=fn,
        grad=grad,
        latex=d["latex"],
        latex_grad=d["latex_grad"],
        text=d["text"],
        text_grad=d["text_grad"],
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
        param_grads=param_grads,
        kinks=lambda **_: kinks,
    ).bind(**values)


def from_formula(text: str, **params: Any) -> ActivationSpec:
    """An activation spec from a formula in ``x`` and declared parameters.

    >>> s = from_formula("x*sigmoid(beta*x)", beta=1.0)
    >>> s.text_grad
    'beta*x*(1 - sigmoid(beta*x))*sigmoid(beta*x) + sigmoid(beta*x)'
    >>> s.module()                       # an nn.Module; learnable=True trains beta
    Activation(x*sigmoid(beta*x); beta=1.0)

    Grammar: numbers, ``x``, the declared parameters, ``pi``, ``e``, ``+ - * / **``, and
    exp, log, sqrt, abs, sign, max, min, tanh, sigmoid, softplus, erf, sin, cos, atan,
    Heaviside, piecewise(condition, if_true, if_false) with one comparison as the condition.
    Every element-wise catalog activation is a function too, its parameters fixed numbers by
    keyword, its derivative the catalog's hand-derived one (chain rule through the argument):

    >>> from_formula("leaky_relu(2*x, negative_slope=0.2) + 0.1*x").text_grad
    "2*leaky_relu'(2*x, negative_slope=0.2) + 0.1"
    """
    items = tuple(sorted(params.items()))
    # the types are part of the cache key: True == 1 == 1.0 would share one entry otherwise
    return _cached(text, items, tuple(type(v) for _, v in items))

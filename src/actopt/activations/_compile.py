"""sympy expressions → torch: closures over torch operations, built by walking the tree.

Two sympy functions of the formula grammar, ``sigmoid`` and ``softplus``, are kept whole (not
rewritten to exponentials) so that torch evaluates them with its stable kernels.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sympy as sp
import torch
import torch.nn.functional as F

from ._calls import catalog_op

__all__ = ["Compiled", "FormulaFn", "compile_expr", "sigmoid", "softplus"]


# -- sympy functions with numerically stable torch counterparts --------------------------------


class sigmoid(sp.Function):  # lower-case: the name users type
    """σ(a) = 1 / (1 + e^{−a}); kept whole so torch can use its stable kernel."""

    def fdiff(self, argindex: int = 1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_is_real(self):  # real for real a: sympy then differentiates |σ(a)| without re/im
        return self.args[0].is_real

    def _eval_evalf(self, prec):  # a number for a number: max(σ(1), x) can be compared
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sp.exp(-arg))


class softplus(sp.Function):
    """log(1 + e^a), kept whole: the naive form overflows for large a."""

    def fdiff(self, argindex: int = 1):
        return sigmoid(self.args[0])

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return sp.log(1 + sp.exp(arg))


Compiled = Callable[[dict[str, Any]], torch.Tensor]


def _const(v: float) -> Compiled:
    return lambda env: torch.as_tensor(v, dtype=env["x"].dtype, device=env["x"].device)


def compile_expr(e: sp.Basic) -> Compiled:
    """A closure env → tensor computing ``e`` with torch ops, by walking the sympy tree
    (``env["x"]`` the input, ``env[name]`` each parameter)."""
    if isinstance(e, sp.Symbol) and e.name == "x":
        return lambda env: env["x"]
    if isinstance(e, sp.Symbol):  # a parameter: a float when fixed, a tensor when trained
        name = e.name
        return lambda env: torch.as_tensor(env[name], dtype=env["x"].dtype, device=env["x"].device)
    if e.is_Number or e in (sp.pi, sp.E):
        return _const(float(e))
    if e in (sp.true, sp.false):
        fill = torch.ones_like if e == sp.true else torch.zeros_like
        return lambda env: fill(env["x"], dtype=torch.bool)
    if isinstance(e, sp.Piecewise):
        pieces = [(compile_expr(v), compile_expr(c)) for v, c in e.args]

        def piecewise(env):
            out = _broadcast(pieces[-1][0](env), env)
            for value, cond in reversed(pieces[:-1]):
                out = torch.where(cond(env), value(env), out)
            return out

        return piecewise
    args = [compile_expr(a) for a in e.args]
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
    if isinstance(e, sp.ITE):  # a condition chosen by a condition (nested piecewise)
        c, a, b = args
        return lambda env: torch.where(c(env), a(env), b(env))
    logic = {sp.And: torch.logical_and, sp.Or: torch.logical_or}
    if e.func in logic:
        op = logic[e.func]
        return lambda env: functools.reduce(op, (_broadcast(a(env), env) for a in args))
    if isinstance(e, sp.Not):
        (a,) = args
        return lambda env: torch.logical_not(a(env))
    # re/im of an expression sympy could not prove real: x is real and every operation of the
    # grammar is real-valued where it is defined (where not, torch's NaN stands for it)
    if isinstance(e, sp.re):
        return args[0]
    if isinstance(e, sp.im):
        (a,) = args
        return lambda env: torch.zeros_like(_broadcast(a(env), env))
    relations = {sp.StrictGreaterThan: torch.gt, sp.GreaterThan: torch.ge,
                 sp.StrictLessThan: torch.lt, sp.LessThan: torch.le}  # fmt: skip
    if e.func in relations:
        op, (a, b) = relations[e.func], args
        return lambda env: op(a(env), b(env))
    if e in (sp.zoo, sp.nan, sp.oo, -sp.oo):
        return _const(float("nan") if e in (sp.zoo, sp.nan) else float(e))
    raise ValueError(f"cannot compile {e.func.__name__} to torch")


def _broadcast(t: torch.Tensor, env: dict) -> torch.Tensor:
    x = env["x"]
    return t if t.shape == x.shape else t.expand_as(x) if t.dim() <= x.dim() else t


class FormulaFn:
    """``fn(x, **params)``: a sympy expression compiled to torch, which keeps the expression
    (``expr``) for what needs it again (the auditor's exact evaluation, ``_exact``)."""

    def __init__(self, expr: sp.Expr, names: tuple[str, ...]) -> None:
        self.expr, self.names = expr, names
        self._compiled = compile_expr(expr)

    def __call__(self, x: torch.Tensor, **params: Any) -> torch.Tensor:
        env = {"x": x, **{n: params[n] for n in self.names}}
        out = self._compiled(env)
        return out if out.shape == x.shape else out.expand_as(x).clone()

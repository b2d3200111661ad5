"""A formula's exact value where float64 overflows on the way: the auditor's safety net.

``1/(1+exp(-x))`` is the sigmoid, but its symbolic derivative ``exp(-x)/(1+exp(-x))**2`` is
inf/inf = NaN at x = -1000, where sigmoid' is e^-1000, 0 in float64. :func:`overflow_safe`
wraps a formula spec so that every non-finite value of f or f' at a finite x is computed again
from the same sympy expression with mpmath (arbitrary exponent range, 64-bit mantissa), then
rounded to float64: a formula and the catalog entry it equals get the same numbers. A value
that is really infinite or undefined (``exp(x)`` at 1e3, ``log(x)`` at -1) stays so.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import mpmath
import sympy as sp
import torch

from ._calls import catalog_op
from ._compile import sigmoid, softplus
from ._spec import ActivationSpec

__all__ = ["exact", "overflow_safe"]

_PREC = 64  # bits of mantissa: float64's 53 and some margin
_NAN = mpmath.mpf("nan")
# values this close to a line count as on it: far below what any audit threshold resolves, and
# above the noise 64 bits leave where terms of size 1 cancel (e^x/(1+e^x) − e^2x/(1+e^x)²)
_FLOOR = 1e-15
Exact = Callable[[dict[str, Any]], Any]  # env (x and parameters as mpf) → mpf
# beyond it e^a is 0 or inf in float64 by far; mpmath's time for e^a grows with a's exponent
# (12 s at a = 2^10000) and it raises OverflowError near a = 2^(2^70): exp(exp(exp(50)))
_HUGE = mpmath.mpf(2) ** 256


def _real(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` on mpf values, NaN wherever the real result does not exist (log(-1))."""

    def safe(*args):
        if any(mpmath.isnan(a) for a in args):
            return _NAN
        try:
            v = fn(*args)
        except (ValueError, ZeroDivisionError):
            return _NAN
        return v if isinstance(v, mpmath.mpf) else _NAN  # a complex result: not real

    return safe


def _tame(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An exponential-like ``fn`` (exp, cosh, tanh, …) taking an argument beyond ±2^256 as ±inf,
    where its value is the same in float64 and mpmath can no longer compute it."""

    def apply(a):
        return fn(a if abs(a) <= _HUGE else (mpmath.inf if a > 0 else mpmath.ninf))

    return apply


_exp = _tame(mpmath.exp)


def _log(a):
    return mpmath.log(a) if a > 0 else (mpmath.ninf if a == 0 else _NAN)


def _pow(b, e):
    if abs(e) > _HUGE:  # 10**(10**x): 0 or inf, or no real value for a negative base
        return _NAN if b < 0 else (_tame(lambda a: mpmath.power(b, a)))(e)
    if b < 0 and e != int(e):
        return _NAN
    if b == 0 and e < 0:
        return mpmath.inf
    return mpmath.power(b, e)


def _sign(a):
    return mpmath.mpf(0 if a == 0 else (1 if a > 0 else -1))


def _torch_op(op: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[Any], Any]:
    """A catalog f or f' (torch, float64) on one mpf value."""

    def apply(a):
        return mpmath.mpf(float(op(torch.tensor([float(a)], dtype=torch.float64))[0]))

    return apply


_UNARY = {
    sp.exp: _exp, sp.log: _log, sp.Abs: abs, sp.sign: _sign, sp.tanh: _tame(mpmath.tanh),
    sp.erf: mpmath.erf, sp.sin: mpmath.sin, sp.cos: mpmath.cos, sp.atan: mpmath.atan,
    sp.cosh: _tame(mpmath.cosh), sp.sinh: _tame(mpmath.sinh),
}  # fmt: skip
_RELATIONS = {sp.StrictGreaterThan: lambda a, b: a > b, sp.GreaterThan: lambda a, b: a >= b,
              sp.StrictLessThan: lambda a, b: a < b, sp.LessThan: lambda a, b: a <= b}  # fmt: skip


def _number(e: sp.Expr) -> Any:
    if e in (sp.zoo, sp.nan):
        return _NAN
    if e in (sp.oo, -sp.oo):
        return mpmath.inf if e == sp.oo else mpmath.ninf
    return mpmath.mpf(sp.Float(e, 30)._mpf_)


def exact(e: sp.Basic) -> Exact:
    """A closure env → mpf computing ``e`` with mpmath, by walking the sympy tree (the same
    node types the torch compiler takes)."""
    if isinstance(e, sp.Symbol):
        name = e.name
        return lambda env: env[name]
    if e.is_Number or e in (sp.pi, sp.E):
        value = _number(e)
        return lambda env: value
    if e == sp.true:
        return lambda env: True
    if isinstance(e, sp.Piecewise):
        pieces = [(exact(v), exact(c)) for v, c in e.args]
        return lambda env: next((v(env) for v, c in pieces if c(env)), _NAN)
    args = [exact(a) for a in e.args]
    if isinstance(e, sp.Add):
        return lambda env: mpmath.fsum(a(env) for a in args)
    if isinstance(e, sp.Mul):
        return lambda env: mpmath.fprod(a(env) for a in args)
    if isinstance(e, sp.Pow):
        base, power = args
        return lambda env: _real(_pow)(base(env), power(env))
    if (op := catalog_op(e)) is not None:
        (a,) = args
        fn = _torch_op(op)
        return lambda env: fn(a(env))
    if e.func is sigmoid:
        (a,) = args
        return lambda env: _real(lambda v: 1 / (1 + _exp(-v)))(a(env))
    if e.func is softplus:
        (a,) = args
        return lambda env: _real(lambda v: mpmath.log1p(_exp(v)))(a(env))
    if e.func in _UNARY:
        fn, (a,) = _real(_UNARY[e.func]), args
        return lambda env: fn(a(env))
    if isinstance(e, sp.Heaviside):
        a, h0 = args
        return lambda env: (lambda v: mpmath.mpf(v > 0) if v != 0 else h0(env))(a(env))
    if isinstance(e, sp.DiracDelta):
        return lambda env: mpmath.mpf(0)
    if isinstance(e, (sp.Max, sp.Min)):
        pick = max if isinstance(e, sp.Max) else min
        return lambda env: pick(a(env) for a in args)
    if e.func in _RELATIONS:
        rel, (a, b) = _RELATIONS[e.func], args
        return lambda env: rel(a(env), b(env))
    raise ValueError(f"no exact evaluation of {e.func.__name__}")


def _line(xs: list[float], a: int, m: int, b: int, va: float, vm: float, vb: float):
    """(value at a, slope) when the values at a, m, b lie on one line to float64's precision
    (a constant, infinite or NaN one included); None otherwise."""
    if va == vm == vb or (math.isnan(va) and math.isnan(vm) and math.isnan(vb)):
        return va, 0.0
    if not all(math.isfinite(v) for v in (va, vm, vb)):
        return None
    slope = (vb - va) / (xs[b] - xs[a])
    tol = 1e-12 * max(abs(va), abs(vm), abs(vb)) + _FLOOR
    return (va, slope) if abs(va + slope * (xs[m] - xs[a]) - vm) <= tol else None


class _Rescued:
    """``fn(x, **params)`` with its non-finite values at finite x recomputed exactly.

    Bad points come in long runs (a tail where exp overflows), where the exact values are flat
    (e^-1000 is 0.0 in float64) or straight (softplus is x): each run is halved until the
    exact values at the ends and the middle of a stretch lie on one line, which then fills the
    stretch; so a run of 29,000 points costs a few dozen exact values, and a wiggly one costs
    one per point. Exact values are cached: the audit evaluates the same grids several times.
    """

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.exact = exact(fn.expr)
        self._cache: dict[tuple, float] = {}

    def __call__(self, x: torch.Tensor, **params: Any) -> torch.Tensor:
        y = self.fn(x, **params)
        bad = (~torch.isfinite(y) & torch.isfinite(x)).reshape(-1)
        if not bool(bad.any()) or any(isinstance(v, torch.Tensor) for v in params.values()):
            return y
        env = {k: mpmath.mpf(v) for k, v in params.items() if not isinstance(v, (bool, str))}
        key = tuple(sorted(env.items()))
        flat, out = x.reshape(-1), y.clone().reshape(-1)
        idx = torch.nonzero(bad).flatten()
        # runs of consecutive positions: split where the index jumps
        breaks = (torch.nonzero(torch.diff(idx) != 1).flatten() + 1).tolist()
        with mpmath.workprec(_PREC):
            for run in torch.tensor_split(idx, breaks):
                out[run] = self._run(flat[run], env, key).to(y.dtype)
        return out.reshape(y.shape)

    def _run(self, x: torch.Tensor, env: dict[str, Any], key: tuple) -> torch.Tensor:
        xs = x.tolist()
        out = torch.empty_like(x)
        exact: dict[int, float] = {}

        def at(i: int) -> float:
            if i not in exact:
                exact[i] = self._value(xs[i], env, key)
            return exact[i]

        stack = [(0, len(xs) - 1)]
        while stack:
            a, b = stack.pop()
            if b - a <= 1:
                at(a), at(b)
                continue
            m = (a + b) // 2
            line = _line(xs, a, m, b, at(a), at(m), at(b))
            if line is None:
                stack += [(a, m), (m, b)]
                continue
            va, slope = line
            inner = x[a + 1 : b]
            out[a + 1 : b] = va if slope == 0 else va + slope * (inner - xs[a])
        where = list(exact)
        out[where] = torch.tensor([exact[i] for i in where], dtype=x.dtype)
        return out

    def _value(self, x: float, env: dict[str, Any], key: tuple) -> float:
        k = (x, key)
        if k not in self._cache:
            env["x"] = mpmath.mpf(x)
            v = self.exact(env)
            self._cache[k] = float(v) if isinstance(v, mpmath.mpf) else math.nan
        return self._cache[k]


def overflow_safe(s: ActivationSpec) -> ActivationSpec:
    """``s`` evaluating f and f' exactly where float64 overflows on the way (formulas only;
    a catalog entry is written stably by hand and returned as it is).

    >>> import torch
    >>> from actopt.activations import from_formula
    >>> twin = from_formula("1/(1+exp(-x))")
    >>> twin.derivative(torch.tensor([-1000.0], dtype=torch.float64))
    tensor([nan], dtype=torch.float64)
    >>> overflow_safe(twin).derivative(torch.tensor([-1000.0], dtype=torch.float64))
    tensor([0.], dtype=torch.float64)
    """
    if getattr(s.fn, "expr", None) is None or getattr(s.grad, "expr", None) is None:
        return s
    return dataclasses.replace(s, fn=_Rescued(s.fn), grad=_Rescued(s.grad))

"""Where a formula's non-smooth pieces switch: solved by sympy within a time budget, else found
by a numerical scan.

Each abs/sign/step argument, max/min tie, piecewise condition and catalog call inside a formula
gives a candidate c(x); its real zeros are kinks. sympy's ``solveset`` answers most of them in
milliseconds but can run for many minutes (``abs(x**99 + x**7 + 3*x + 1)``) or answer with an
infinite or implicit set (``abs(sin(x))``, ``sin(x) > x**5 - 1``); those candidates are scanned
on [-1e3, 1e3] instead: every sign change of c, refined by bisection to float64 precision.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp
import torch

from ._budget import OutOfTime, budget
from ._calls import CatalogCall

__all__ = ["MAX_KINKS", "SOLVE_BUDGET_S", "find_kinks"]

SOLVE_BUDGET_S = 2.0  # seconds sympy may spend solving all candidates of one formula
MAX_KINKS = 1000  # kinks listed at most, those nearest 0 (abs(sin(50*x)) has 31,831)
_SCAN = 200_001  # points on [-1e3, 1e3]: a step of 0.01
_LIMIT = 1e3


def _candidates(expr: sp.Expr) -> list[sp.Expr]:
    found = []
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Abs, sp.sign, sp.Heaviside)):
            found.append(node.args[0])
        elif isinstance(node, (sp.Max, sp.Min)):
            found += [a - b for i, a in enumerate(node.args) for b in node.args[i + 1 :]]
        elif isinstance(node, sp.Piecewise):
            found += [c.lhs - c.rhs for _, c in node.args if isinstance(c, sp.Rel)]
        elif isinstance(node, CatalogCall):  # where its argument meets a catalog kink
            found += [node.args[0] - k for k in node.spec.kink_points()]
    return found


def _solve(c: sp.Expr, x: sp.Symbol) -> list[float] | None:
    """The real zeros of ``c`` by sympy; None when it gives no finite list."""
    try:
        roots = sp.solveset(sp.Eq(c, 0), x, domain=sp.S.Reals)
    except OutOfTime:
        raise
    except Exception:  # sympy cannot always solve: the scan will
        return None
    if not isinstance(roots, sp.FiniteSet):
        return None
    return [float(r) for r in roots if r.is_real and abs(float(r)) < 1e6]


def _nearest(roots) -> list[float]:
    """At most MAX_KINKS of ``roots``, those nearest 0 (where inputs are), sorted."""
    return sorted(sorted(roots, key=abs)[:MAX_KINKS])


def _scan(fn: Callable[[torch.Tensor], torch.Tensor]) -> list[float]:
    """Sign changes of ``fn`` on [-1e3, 1e3] (and exact zeros), bisected to float64 precision."""
    x = torch.linspace(-_LIMIT, _LIMIT, _SCAN, dtype=torch.float64)

    def f(t: torch.Tensor) -> torch.Tensor:  # a constant candidate is a 0-d tensor
        return torch.broadcast_to(fn(t), t.shape)

    with torch.no_grad():
        y = f(x)
        ok = torch.isfinite(y)
        roots = x[(y == 0) & ok].tolist()
        s = torch.sign(y)
        change = (s[:-1] * s[1:] < 0) & ok[:-1] & ok[1:]
        lo, hi = x[:-1][change], x[1:][change]
        s_lo = s[:-1][change]
        for _ in range(60):  # 0.01 / 2^60: below float64's spacing
            mid = (lo + hi) / 2
            same = torch.sign(f(mid)) == s_lo
            lo, hi = torch.where(same, mid, lo), torch.where(same, hi, mid)
    roots += ((lo + hi) / 2).tolist()
    return _nearest(roots)


def find_kinks(
    expr: sp.Expr, x: sp.Symbol, values: dict[str, Any],
    compile_fn: Callable[[sp.Expr], Callable[[torch.Tensor], torch.Tensor]],
) -> tuple[float, ...]:  # fmt: skip
    """Real x where a non-smooth piece of ``expr`` switches, with the parameters at ``values``;
    ``compile_fn(c)`` turns a candidate into a torch function of x for the scan."""
    subs = {sp.Symbol(k, real=True): v for k, v in values.items() if not isinstance(v, bool)}
    candidates = [c.subs(subs) for c in _candidates(expr)]
    found: set[float] = set()
    unsolved, done = [], 0
    try:
        with budget(SOLVE_BUDGET_S):
            for c in candidates:
                roots = _solve(c, x)
                if roots is None:
                    unsolved.append(c)
                else:
                    found.update(roots)
                done += 1
    except OutOfTime:  # the rest, the one in progress included, are scanned
        unsolved += candidates[done:]
    for c in unsolved:
        try:
            fn = compile_fn(c)
        except ValueError:  # nothing torch can evaluate: no kink to find there
            continue
        found.update(_scan(fn))
    return tuple(_nearest(found))

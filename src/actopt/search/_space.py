"""The search space of Ramachandran, Zoph & Le (2017): core units ``b(u1(x), u2(x))``.

A candidate is one or two core units composed: the first unit's unaries read ``x``; a second
unit's first unary reads the first unit's output and its second unary reads ``x`` again, as in
the paper. Each unary and binary is a template of the formula language; a β is a fixed
constant drawn from ``BETAS`` (mutation moves it), so a candidate renders to one formula string
that ``actopt.activations.from_formula`` parses and differentiates.

>>> import random
>>> c = Candidate(((Op("x"), Op("sigmoid"), Op("mul")),))
>>> c.formula
'(x)*(sigmoid(x))'
>>> mutate(c, random.Random(0)).formula != c.formula
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["BETAS", "BINARIES", "EPS", "UNARIES", "Candidate", "Op", "mutate", "sample"]

EPS = "0.001"  # the ε of log(|x| + ε) and x1 / (x2 + ε)
BETAS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)

# name → template in the formula language; {a} is the argument, {beta} the constant. Unaries the
# language lacks are written exactly with what it has: sinh, cosh from exp; asinh as
# sign(a)·log(|a| + √(a²+1)) (stable for large negative a); sinc with its removable point as a
# piecewise whose branch at 0 is the Taylor form 1 − a²/6 (torch.where picks the finite one).
UNARIES: dict[str, str] = {
    "x": "{a}",
    "neg": "-({a})",
    "abs": "abs({a})",
    "square": "({a})**2",
    "cube": "({a})**3",
    "sqrt_abs": "sqrt(abs({a}))",
    "scale": "{beta}*({a})",
    "shift": "({a})+{beta}",
    "log_abs": f"log(abs({{a}})+{EPS})",
    "exp": "exp({a})",
    "sin": "sin({a})",
    "cos": "cos({a})",
    "sinh": "(exp({a})-exp(-({a})))/2",
    "cosh": "(exp({a})+exp(-({a})))/2",
    "tanh": "tanh({a})",
    "asinh": "sign({a})*log(abs({a})+sqrt(({a})**2+1))",
    "atan": "atan({a})",
    "sinc": "piecewise(abs({a}) < 0.0001, 1-({a})**2/6, sin({a})/({a}))",
    "relu": "max({a}, 0)",
    "min0": "min({a}, 0)",
    "sigmoid": "sigmoid({a})",
    "softplus": "softplus({a})",
    "gauss": "exp(-({a})**2)",
    "erf": "erf({a})",
    "const": "{beta}",
}
# {p}, {q}: the two unaries' outputs
BINARIES: dict[str, str] = {
    "add": "({p})+({q})",
    "mul": "({p})*({q})",
    "sub": "({p})-({q})",
    "div": f"({{p}})/(({{q}})+{EPS})",
    "max": "max({p}, {q})",
    "min": "min({p}, {q})",
    "sigmul": "sigmoid({p})*({q})",
    "gauss_diff": "exp(-{beta}*(({p})-({q}))**2)",
    "laplace_diff": "exp(-{beta}*abs(({p})-({q})))",
    "mix": "{beta}*({p})+(1-{beta})*({q})",
}
_WITH_BETA = {n for n, t in {**UNARIES, **BINARIES}.items() if "{beta}" in t}


@dataclass(frozen=True)
class Op:
    """A unary or binary by name, with its β when its template has one."""

    name: str
    beta: float | None = None

    def render(self, **args: str) -> str:
        template = UNARIES.get(self.name) or BINARIES[self.name]
        return (
            template.format(beta=_num(self.beta), **args)
            if self.beta is not None
            else (template.format(**args))
        )


def _num(v: float | None) -> str:
    return repr(float(v)) if v is not None else ""


@dataclass(frozen=True)
class Candidate:
    """One or two core units, each ``(u1, u2, b)``; the first reads x, a second unit's u1
    reads the first unit's output."""

    units: tuple[tuple[Op, Op, Op], ...]

    @property
    def formula(self) -> str:
        inner = "x"
        for u1, u2, b in self.units:
            inner = b.render(p=u1.render(a=inner), q=u2.render(a="x"))
        return inner

    def to_list(self) -> list[list[list]]:
        return [[[op.name, op.beta] for op in unit] for unit in self.units]

    @classmethod
    def from_list(cls, data: list) -> Candidate:
        return cls(tuple(tuple(Op(n, b) for n, b in unit) for unit in data))  # type: ignore[misc]


def _op(name: str, rng: random.Random) -> Op:
    return Op(name, rng.choice(BETAS) if name in _WITH_BETA else None)


def _unit(rng: random.Random) -> tuple[Op, Op, Op]:
    u1, u2 = (_op(rng.choice(list(UNARIES)), rng) for _ in range(2))
    return (u1, u2, _op(rng.choice(list(BINARIES)), rng))


def sample(rng: random.Random, max_units: int = 2) -> Candidate:
    """A random candidate: 1 to ``max_units`` core units, every choice uniform."""
    return Candidate(tuple(_unit(rng) for _ in range(rng.randint(1, max_units))))


def mutate(parent: Candidate, rng: random.Random) -> Candidate:
    """The parent with one thing changed: a unary, a binary, or one β (always a change)."""
    units = [list(u) for u in parent.units]
    i, j = rng.randrange(len(units)), rng.randrange(3)
    old = units[i][j]
    pool = list(BINARIES) if j == 2 else list(UNARIES)
    if old.beta is not None and rng.random() < 0.3:
        new = Op(old.name, rng.choice([b for b in BETAS if b != old.beta]))
    else:
        new = _op(rng.choice([n for n in pool if n != old.name]), rng)
    units[i][j] = new
    return Candidate(tuple(tuple(u) for u in units))  # type: ignore[misc]

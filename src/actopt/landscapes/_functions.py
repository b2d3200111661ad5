"""2-D test functions for optimizers, each with a hand-derived gradient and its known minima.

Every function takes a tensor whose last dimension is (x, y) — one point (2,) or a grid
(..., 2) — so the same code evaluates a trajectory step and a contour plot.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import Tensor

from .._numbers import as_finite, shown
from .._registry import Registry

__all__ = ["TestFunction", "function", "names", "register"]

Window = tuple[tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class TestFunction:
    """A landscape: f, its analytic gradient, minima, a start point and a view window."""

    name: str
    summary: str
    f: Callable[..., Tensor]  # (…, 2) → (…)
    grad: Callable[..., Tensor]  # (…, 2) → (…, 2), derived by hand
    minima: tuple[tuple[float, float], ...]  # global minima (empty: unbounded below)
    min_value: float | None
    start: tuple[float, float]
    window: Window
    formula: str
    params: dict[str, Any] = field(default_factory=dict)
    log_levels: bool = True  # contour levels log-spaced (for steep valleys)
    start_for: Callable[[dict], tuple[float, float]] | None = None  # a start that moves with params
    # parameter → the smallest value it may take, and whether it must exceed it (κ > 0);
    # a parameter not named here may be any finite number
    lower: dict[str, tuple[float, bool]] = field(default_factory=dict)
    # unbounded below (no minima): a loss under this means the path left the critical point it
    # started near (the saddle's own value), so it "escaped" rather than "stalled"
    escape_below: float | None = None

    def __post_init__(self) -> None:
        if self.start_for is not None:
            object.__setattr__(self, "start", self.start_for(self.params))

    def __call__(self, xy: Tensor) -> Tensor:
        return self.f(xy, **self.params)

    def gradient(self, xy: Tensor) -> Tensor:
        return self.grad(xy, **self.params)

    def bind(self, **params: Any) -> TestFunction:
        """A copy with ``params`` changed, each a finite number within its range."""
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            allowed = ", ".join(self.params) or "none"
            raise ValueError(
                f"{self.name}: unknown parameter(s) {', '.join(unknown)}; allowed: {allowed}"
            )
        checked = {}
        for k, v in params.items():
            low, strict = self.lower.get(k, (-math.inf, False))
            number = as_finite(v)
            if number is None or number < low or (strict and number == low):
                rule = f" {'>' if strict else '>='} {low:g}" if low > -math.inf else ""
                raise ValueError(f"{self.name}: {k} must be a finite number{rule}, got {shown(v)}")
            checked[k] = number
        return replace(self, params={**self.params, **checked})

    def contains(self, point: tuple[float, float]) -> bool:
        (x0, x1), (y0, y1) = self.window
        return x0 <= point[0] <= x1 and y0 <= point[1] <= y1

    def distance_to_minimum(self, xy: Tensor) -> Tensor:
        """Euclidean distance from each point to the nearest global minimum (NaN if none)."""
        if not self.minima:
            return torch.full(xy.shape[:-1], math.nan, dtype=xy.dtype)
        m = torch.tensor(self.minima, dtype=xy.dtype)
        return (xy[..., None, :] - m).norm(dim=-1).min(dim=-1).values


def _xy(p: Tensor) -> tuple[Tensor, Tensor]:
    return p[..., 0], p[..., 1]


def _stack(dx: Tensor, dy: Tensor) -> Tensor:
    return torch.stack([dx, dy], dim=-1)


# -- the functions ---------------------------------------------------------------------------


def _bowl(p: Tensor, kappa: float) -> Tensor:
    x, y = _xy(p)
    return 0.5 * (x**2 + kappa * y**2)


def _bowl_grad(p: Tensor, kappa: float) -> Tensor:
    x, y = _xy(p)
    return _stack(x, kappa * y)


def _rotated(p: Tensor, angle: float) -> tuple[Tensor, Tensor]:
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    x, y = _xy(p)
    return c * x + s * y, -s * x + c * y  # along the floor, across it


def _ravine(p: Tensor, kappa: float, angle: float) -> Tensor:
    u, v = _rotated(p, angle)
    return 0.5 * (u**2 + kappa * v**2) / kappa**0.5


def _ravine_grad(p: Tensor, kappa: float, angle: float) -> Tensor:
    u, v = _rotated(p, angle)
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    du, dv = u / kappa**0.5, kappa**0.5 * v
    return _stack(c * du - s * dv, s * du + c * dv)


def _rosenbrock(p: Tensor, a: float, b: float) -> Tensor:
    x, y = _xy(p)
    return (a - x) ** 2 + b * (y - x**2) ** 2


def _rosenbrock_grad(p: Tensor, a: float, b: float) -> Tensor:
    x, y = _xy(p)
    return _stack(-2 * (a - x) - 4 * b * x * (y - x**2), 2 * b * (y - x**2))


_BEALE = ((1.5, 1), (2.25, 2), (2.625, 3))  # (c_i, power of y)


def _beale(p: Tensor) -> Tensor:
    x, y = _xy(p)
    return sum((c - x + x * y**k) ** 2 for c, k in _BEALE)


def _beale_grad(p: Tensor) -> Tensor:
    x, y = _xy(p)
    dx = sum(2 * (c - x + x * y**k) * (y**k - 1) for c, k in _BEALE)
    dy = sum(2 * (c - x + x * y**k) * k * x * y ** (k - 1) for c, k in _BEALE)
    return _stack(dx, dy)


def _himmelblau(p: Tensor) -> Tensor:
    x, y = _xy(p)
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


def _himmelblau_grad(p: Tensor) -> Tensor:
    x, y = _xy(p)
    a, b = x**2 + y - 11, x + y**2 - 7
    return _stack(4 * x * a + 2 * b, 2 * a + 4 * y * b)


def _saddle(p: Tensor) -> Tensor:
    x, y = _xy(p)
    return x**2 - y**2


def _saddle_grad(p: Tensor) -> Tensor:
    x, y = _xy(p)
    return _stack(2 * x, -2 * y)


def _rastrigin(p: Tensor, a: float) -> Tensor:
    x, y = _xy(p)
    return 2 * a + sum(t**2 - a * torch.cos(2 * math.pi * t) for t in (x, y))


def _rastrigin_grad(p: Tensor, a: float) -> Tensor:
    x, y = _xy(p)
    return _stack(*(2 * t + 2 * math.pi * a * torch.sin(2 * math.pi * t) for t in (x, y)))


def _ackley(p: Tensor) -> Tensor:
    x, y = _xy(p)
    r = torch.sqrt(0.5 * (x**2 + y**2))
    cosines = 0.5 * (torch.cos(2 * math.pi * x) + torch.cos(2 * math.pi * y))
    return -20 * torch.exp(-0.2 * r) - torch.exp(cosines) + math.e + 20


def _ackley_grad(p: Tensor) -> Tensor:
    x, y = _xy(p)
    r = torch.sqrt(0.5 * (x**2 + y**2))
    # d/dx of −20 e^{−0.2 r} = 2 e^{−0.2 r} x / r; at r = 0 the cone tip has subgradient 0
    radial = torch.where(r > 0, 2 * torch.exp(-0.2 * r) / r.clamp_min(1e-300), 0.0)
    e = torch.exp(0.5 * (torch.cos(2 * math.pi * x) + torch.cos(2 * math.pi * y)))
    return _stack(*(radial * t + math.pi * e * torch.sin(2 * math.pi * t) for t in (x, y)))


def _camel(p: Tensor) -> Tensor:
    x, y = _xy(p)
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


def _camel_grad(p: Tensor) -> Tensor:
    x, y = _xy(p)
    return _stack(8 * x - 8.4 * x**3 + 2 * x**5 + y, x - 8 * y + 16 * y**3)


# -- the registry ----------------------------------------------------------------------------

_REGISTRY: Registry[TestFunction] = Registry("landscape", "actopt landscape --list")


def register(fn: TestFunction) -> TestFunction:
    return _REGISTRY.register(fn.name, (), fn)


def names() -> list[str]:
    return _REGISTRY.names()


def function(name: str, **params: Any) -> TestFunction:
    """The test function ``name`` with ``params`` (e.g. ``kappa`` for the bowl) bound."""
    fn = _REGISTRY[name]
    return fn.bind(**params) if params else fn


def _ravine_start(params: dict) -> tuple[float, float]:
    """Up the floor (u = −4) and a little up the wall (v = 0.3), whatever the angle."""
    a = math.radians(params["angle"])
    return (
        round(-4 * math.cos(a) - 0.3 * math.sin(a), 6),
        round(-4 * math.sin(a) + 0.3 * math.cos(a), 6),
    )


_CAMEL_MIN = ((0.0898420131, -0.7126564030), (-0.0898420131, 0.7126564030))
_HIMMELBLAU_MIN = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.283185991286170),
    (3.584428340330492, -1.848126526964404),
)

for _fn in (
    TestFunction("quadratic", "An axis-aligned ill-conditioned bowl ½(x² + κy²), κ = condition "
                 "number.", _bowl, _bowl_grad, ((0.0, 0.0),), 0.0, (-4.0, 1.0),
                 ((-5.0, 5.0), (-2.0, 2.0)), "½(x² + κ y²)", {"kappa": 10.0},
                 lower={"kappa": (0.0, True)}),
    TestFunction("ravine", "A long narrow valley at an angle to the axes (κ = 100): steep walls, "
                 "a shallow floor.", _ravine, _ravine_grad, ((0.0, 0.0),), 0.0, (0.0, 0.0),
                 ((-5.0, 2.0), (-3.0, 1.5)), "½(u² + κ v²)/√κ, (u, v) = (x, y) rotated by angle",
                 {"kappa": 100.0, "angle": 25.0}, start_for=_ravine_start,
                 lower={"kappa": (0.0, True)}),
    TestFunction("rosenbrock", "The banana valley: easy to find, slow to follow to (1, 1).",
                 _rosenbrock, _rosenbrock_grad, ((1.0, 1.0),), 0.0, (-1.5, 2.0),
                 ((-2.0, 2.0), (-1.0, 3.0)), "(a − x)² + b (y − x²)²", {"a": 1.0, "b": 100.0},
                 lower={"b": (0.0, False)}),
    TestFunction("beale", "Flat plateaus and sharp ridges; minimum at (3, 0.5).", _beale,
                 _beale_grad, ((3.0, 0.5),), 0.0, (1.0, 1.5), ((-4.5, 4.5), (-4.5, 4.5)),
                 "Σ (cᵢ − x + x yⁱ)², c = 1.5, 2.25, 2.625"),
    TestFunction("himmelblau", "Four equal minima: which one an optimizer finds depends on its "
                 "path.", _himmelblau, _himmelblau_grad, _HIMMELBLAU_MIN, 0.0, (0.0, 0.0),
                 ((-5.0, 5.0), (-5.0, 5.0)), "(x² + y − 11)² + (x + y² − 7)²"),
    TestFunction("saddle", "x² − y²: a saddle at the origin, unbounded below; who escapes it?",
                 _saddle, _saddle_grad, (), None, (-1.0, 1e-3), ((-1.5, 1.5), (-1.5, 1.5)),
                 "x² − y²", log_levels=False, escape_below=0.0),
    TestFunction("rastrigin", "A bowl covered in regular local minima.", _rastrigin,
                 _rastrigin_grad, ((0.0, 0.0),), 0.0, (-2.0, 3.5), ((-5.12, 5.12), (-5.12, 5.12)),
                 "2A + Σ (t² − A cos 2πt)", {"a": 10.0}, lower={"a": (0.0, False)}),
    TestFunction("ackley", "A nearly flat outer region around a deep central funnel.", _ackley,
                 _ackley_grad, ((0.0, 0.0),), 0.0, (3.0, -2.5), ((-5.0, 5.0), (-5.0, 5.0)),
                 "−20 e^{−0.2 √(½(x²+y²))} − e^{½(cos 2πx + cos 2πy)} + e + 20"),
    TestFunction("six_hump_camel", "Six local minima, two global.", _camel, _camel_grad,
                 _CAMEL_MIN, -1.031628453489877, (-1.8, -1.0), ((-3.0, 3.0), (-2.0, 2.0)),
                 "(4 − 2.1x² + x⁴/3) x² + xy + (−4 + 4y²) y²", log_levels=False),
):  # fmt: skip
    register(_fn)

"""Numerical measurements of an activation's properties, from its forward and derivative alone.

The test-suite checks every catalog entry's declared :class:`Properties` against these, and the
auditor runs the same measurements on user formulas: one definition of "monotonic",
"zero-centred" or "saturating" for both.
"""

from __future__ import annotations

import torch

from ..activations import ActivationSpec

__all__ = [
    "BOUND_LIMIT",
    "SATURATION_EPS",
    "dense_grid",
    "is_bounded",
    "is_monotonic",
    "is_smooth",
    "is_zero_centered",
    "normal_quantiles",
    "saturation_sides",
]

SATURATION_EPS = 1e-3  # |f'| below this counts as a vanished gradient
BOUND_LIMIT = 50.0  # |f| staying below this on |x| <= 1e5 counts as bounded


def dense_grid(limit: float = 20.0, n: int = 40001) -> torch.Tensor:
    """A float64 grid over [-limit, limit] plus large magnitudes, sorted."""
    big = torch.tensor([1e2, 1e3, 1e4, 1e5], dtype=torch.float64)
    x = torch.cat([torch.linspace(-limit, limit, n, dtype=torch.float64), big, -big])
    return x.sort().values


def normal_quantiles(n: int = 100_001) -> torch.Tensor:
    """Deterministic stand-in for N(0, 1) samples: the n mid-point quantiles."""
    p = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    return torch.special.ndtri(p)


def is_monotonic(s: ActivationSpec) -> bool:
    """Non-decreasing (or non-increasing) on the dense grid."""
    d = torch.diff(s.forward(dense_grid()))
    return bool((d >= -1e-12).all() or (d <= 1e-12).all())


def is_bounded(s: ActivationSpec) -> tuple[bool, bool]:
    """(bounded above, bounded below): |f| stays under BOUND_LIMIT out to |x| = 1e5."""
    y = s.forward(dense_grid())
    return bool(y.max() < BOUND_LIMIT), bool(y.min() > -BOUND_LIMIT)


def is_zero_centered(s: ActivationSpec) -> bool:
    """f(0) = 0 and the mean output on N(0, 1) inputs is small against its spread."""
    f0 = s.forward(torch.zeros(1, dtype=torch.float64)).item()
    y = s.forward(normal_quantiles())
    return abs(f0) < 1e-6 and abs(y.mean().item()) < 0.1 * y.std().item()


def saturation_sides(s: ActivationSpec, at: float = 50.0) -> str:
    """Where |f'| has fallen below SATURATION_EPS at x = ±at: none, left, right or both."""
    d = s.derivative(torch.tensor([-at, at], dtype=torch.float64)).abs()
    left, right = bool(d[0] < SATURATION_EPS), bool(d[1] < SATURATION_EPS)
    return {(False, False): "none", (True, False): "left", (False, True): "right"}.get(
        (left, right), "both"
    )


def is_smooth(s: ActivationSpec, eps: float = 1e-7) -> bool:
    """C1 at every declared kink: neither f nor f' jumps there (f' is continuous elsewhere)."""
    for k in s.kink_points():
        x = torch.tensor([k - eps, k + eps], dtype=torch.float64)
        f, d = s.forward(x), s.derivative(x)
        if abs(f[1] - f[0]) > 1e-4 or abs(d[1] - d[0]) > 1e-3:
            return False
    return True

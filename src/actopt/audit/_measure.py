"""Numerical measurements of an activation's properties, from its forward and derivative alone.

The test-suite checks every catalog entry's declared :class:`Properties` against these, and the
auditor runs the same measurements on user formulas: one definition of "monotonic",
"zero-centred" or "saturating" for both.
"""

from __future__ import annotations

import math

import torch

from ..activations import ActivationSpec

__all__ = [
    "BOUND_LIMIT",
    "JUMP_TOL",
    "SATURATION_EPS",
    "dense_grid",
    "find_jumps",
    "is_bounded",
    "is_monotonic",
    "is_smooth",
    "is_zero_centered",
    "normal_quantiles",
    "saturation_sides",
]

SATURATION_EPS = 1e-3  # |f'| below this counts as a vanished gradient
JUMP_TOL = 1e-6  # a change of f across a point, relative to |f| (at least 1), that is a jump
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


def _bisect_jumps(s: ActivationSpec, lo: torch.Tensor, hi: torch.Tensor):
    """Each interval halved 60 times, keeping the half where f changes more: a jump stays in
    the kept half, a steep but continuous change shrinks with it."""
    for _ in range(60):
        mid = (lo + hi) / 2
        f_lo, f_mid, f_hi = s.forward(lo), s.forward(mid), s.forward(hi)
        left = (f_mid - f_lo).abs().nan_to_num(nan=math.inf) >= (f_hi - f_mid).abs()
        lo, hi = torch.where(left, lo, mid), torch.where(left, mid, hi)
    return lo, hi


def find_jumps(s: ActivationSpec, x: torch.Tensor) -> list[tuple[float, float]]:
    """(where, size) of every jump of f, largest first.

    Suspects are neighbours of the sorted float64 grid ``x`` between which f changes by far
    more than f' allows, or against the direction f' gives at both ends (a pole between
    them); each is bisected to float64 precision, where a real jump keeps its size and a steep
    continuous stretch does not. The size is read across the point, f(c+ε) − f(c−ε).
    """
    with torch.no_grad():
        y, d = s.forward(x), s.derivative(x)
        d = torch.where(torch.isfinite(d), d, torch.zeros_like(d))
        slope = torch.maximum(d[:-1].abs(), d[1:].abs())
        change = y[1:] - y[:-1]
        scale = torch.maximum(y[1:].abs(), y[:-1].abs()).clamp_min(1.0)
        tol = JUMP_TOL * scale
        ok = torch.isfinite(y[1:]) & torch.isfinite(y[:-1])
        too_big = change.abs() > 10 * slope * torch.diff(x) + tol
        against = ((d[:-1] > 0) & (d[1:] > 0) & (change < -tol)) | (
            (d[:-1] < 0) & (d[1:] < 0) & (change > tol)
        )
        suspect = ok & (too_big | against)
        lo, hi = _bisect_jumps(s, x[:-1][suspect], x[1:][suspect])
        f_lo, f_hi = s.forward(lo), s.forward(hi)
        size = (f_hi - f_lo).abs()
        real = size > JUMP_TOL * torch.maximum(f_lo.abs(), f_hi.abs()).clamp_min(1.0)
        at = ((lo + hi) / 2)[real]
        eps = 1e-9 * at.abs().clamp_min(1.0)
        across = (s.forward(at + eps) - s.forward(at - eps)).abs()
    found: dict[float, float] = {}
    for c, by, by2 in zip(at.tolist(), size[real].tolist(), across.tolist(), strict=True):
        key = round(c, 6) + 0.0
        found[key] = max(by, by2 if math.isfinite(by2) else by, found.get(key, 0.0))
    return sorted(found.items(), key=lambda kv: -kv[1])

"""Where f and f' exist: the checks that f is defined, continuous and differentiable.

They scan x over ±1e3 densely plus tiny and huge magnitudes, where activations break, and name
the regions that fail in words (``x < 0``, ``x = 0``) for the audit's verdict.
"""

from __future__ import annotations

import math

import torch

from ..activations import ActivationSpec
from ._check import F64 as _F64
from ._check import Check
from ._check import derivative as _d
from ._check import value as _f

__all__ = [
    "check_continuous",
    "check_defined",
    "check_differentiable",
    "describe_region",
    "regions",
    "scan",
]


def scan() -> torch.Tensor:
    """±1e3 densely, 0, tiny and huge magnitudes: where activations break."""
    tiny = torch.tensor([1e-300, 1e-30, 1e-12, 1e-8, 1e-4], dtype=_F64)
    huge = torch.tensor([1e4, 1e6], dtype=_F64)
    x = torch.cat([torch.linspace(-1e3, 1e3, 200_001, dtype=_F64), tiny, -tiny, huge, -huge])
    return torch.cat([x, torch.zeros(1, dtype=_F64)]).unique()


def regions(x: torch.Tensor, mask: torch.Tensor) -> list[tuple[float, float]]:
    """Maximal runs of consecutive grid points where ``mask`` holds, as (start, end)."""
    idx = torch.nonzero(mask).flatten().tolist()
    runs: list[list[int]] = []
    for i in idx:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return [(float(x[a]), float(x[b])) for a, b in runs]


def describe_region(lo: float, hi: float, xmin: float, xmax: float) -> str:
    lo, hi = (round(v, 6) + 0.0 for v in (lo, hi))  # grid round-off (and -0.0) out of the text
    if lo == hi:
        return f"x = {lo:g}"
    if lo <= xmin and hi >= xmax:
        return "all x"
    if lo <= xmin:
        return f"x < {hi:g}" if hi <= 0 else f"x ≤ {hi:g}"
    if hi >= xmax:
        return f"x > {lo:g}" if lo >= 0 else f"x ≥ {lo:g}"
    return f"{lo:g} ≤ x ≤ {hi:g}"


def check_defined(spec: ActivationSpec, x: torch.Tensor, y: torch.Tensor) -> Check:
    nan = torch.isnan(y)
    # ±inf at moderate |x| is a singularity; at |x| > 100 it is overflow (see ``exploding``)
    singular = torch.isinf(y) & (x.abs() <= 100)
    bad = nan | singular
    if not bool(bad.any()):
        return Check(
            "defined_everywhere",
            "pass",
            "finite for every x scanned in [-1e3, 1e3], at 0 and at ±1e-300",
            {"points": len(x)},
        )
    xmin, xmax = float(x.min()), float(x.max())
    runs = regions(x, bad)
    where = [describe_region(a, b, xmin, xmax) for a, b in runs]
    shown = ", ".join(where[:3])
    if len(runs) > 3:  # x**x: NaN between every two negative integers, a thousand stretches
        lo, hi = runs[0][0], runs[-1][1]
        share = float(bad[(x >= lo) & (x <= hi)].double().mean())
        span = describe_region(lo, hi, xmin, xmax)
        where[0] = f"{'most' if share >= 0.5 else 'parts'} of {span}"
        shown = f"{where[0]} ({len(runs)} stretches, {share:.1%} of the points there)"
    kind = "not defined (NaN)" if bool(nan.any()) else "infinite"
    reason = f"not defined for {where[0]}" if bool(nan.any()) else f"infinite at {where[0]}"
    return Check(
        "defined_everywhere",
        "fail",
        f"{kind} for {shown}",
        {"regions": where, "fraction_undefined": float(bad.double().mean())},
        reason,
    )


def _at(jumps: list[tuple[float, float]]) -> str:
    return ", ".join(f"x = {at:g} (by {by:.3g})" for at, by in jumps[:3]) + (
        f" and {len(jumps) - 3} more" if len(jumps) > 3 else ""
    )


def check_continuous(jumps: list[tuple[float, float]]) -> Check:
    """f jumps where it changes by a finite amount across one point (``_measure.find_jumps``):
    back-propagation sees f' on either side, never the jump."""
    if not jumps:
        detail = "no jump: f is continuous on [-1e3, 1e3] (a 0.01 grid, then bisected)"
        return Check("continuous", "pass", detail, {})
    return Check(
        "continuous",
        "warn",
        f"f jumps at {_at(jumps)}: back-propagation sees f' on either side, never the jump, "
        "so learning cannot move a unit across it on purpose",
        {"jumps": [{"x": a, "size": b} for a, b in jumps]},
        f"f jumps at {_at(jumps)}",
    )


def check_differentiable(
    spec: ActivationSpec, x: torch.Tensor, ok: torch.Tensor,
    jumps: list[tuple[float, float]] = (),  # type: ignore[assignment]
) -> Check:  # fmt: skip
    # near each kink and at 0 the derivative is probed at ±tiny offsets: an infinite slope
    # shows up as |f'| growing without bound there (sign(x)·√|x| has f' = 1/(2√|x|))
    centres = sorted({0.0, *spec.kink_points()})
    offsets = torch.tensor([1e-12, 1e-9, 1e-6], dtype=_F64)
    probes = torch.cat(
        [torch.cat([c + offsets, c - offsets]) for c in torch.tensor(centres, dtype=_F64)]
    )
    pf = _f(spec, probes)
    pd = _d(spec, probes)
    fine = torch.isfinite(pf)
    steep = fine & (~torch.isfinite(pd) | (pd.abs() > 1e4))
    d = _d(spec, x)
    grid_bad = ok & ~torch.isfinite(d) & (x.abs() <= 100)
    if bool(steep.any()) or bool(grid_bad.any()):
        at = probes[steep] if bool(steep.any()) else x[grid_bad]
        where = float(at[at.abs().argmin()])
        where = round(where, 6)
        biggest = float(pd[steep].abs().max()) if bool(steep.any()) else math.inf
        return Check(
            "differentiable",
            "fail",
            f"the derivative blows up at x ≈ {where:g} "
            f"(|f'| reaches {biggest:.3g} within 1e-12 of it)",
            {"x": where, "max_abs_derivative": biggest},
            f"infinite gradient at {where:g}",
        )
    if jumps:
        return Check(
            "differentiable",
            "warn",
            f"not differentiable where f jumps ({_at(jumps)}); elsewhere f' is finite",
            {"jumps": [a for a, _ in jumps]},
        )
    points = torch.tensor(spec.kink_points(), dtype=_F64)
    step = (_d(spec, points + 1e-9) - _d(spec, points - 1e-9)).abs()
    kinks = points[step > 1e-6].tolist()
    if kinks:
        return Check(
            "differentiable",
            "warn",
            f"kink at x = {', '.join(f'{k:g}' for k in kinks[:10])}"
            f"{f' and {len(kinks) - 10} more' if len(kinks) > 10 else ''}: "
            "f' jumps there; back-propagation uses a subgradient (harmless in practice)",
            {"kinks": kinks},
        )
    return Check("differentiable", "pass", "f' is finite everywhere and continuous", {})

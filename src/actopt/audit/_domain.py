"""Where f and f' exist: the checks that f is defined, continuous and differentiable.

They scan x over ±1e3 densely plus tiny and huge magnitudes, where activations break, and name
the regions that fail in words (``x < 0``, ``x = 0``) for the audit's verdict.
"""

from __future__ import annotations

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

_BLOWS_UP = 1e4  # |f'| within 1e-12 of a point, growing still: an infinite gradient in practice


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


def _unbounded_slopes(spec: ActivationSpec, centres: torch.Tensor) -> list[tuple[float, float]]:
    """(c, |f'| within 1e-12 of c) for each centre toward which |f'| grows without bound,
    nearest 0 first. f' is probed at c ± 1e-6, 1e-9 and 1e-12: a smooth f' settles (1000×
    closer, it changes about 1000× less) however steep it is, f'(0) ≈ 1.6e8 for
    exp(exp(exp(exp(x)))); 1/(2√|x|) keeps growing 32× a step, log|x| by a constant."""
    offsets = torch.tensor([1e-6, 1e-9, 1e-12], dtype=_F64)
    found: dict[float, float] = {}
    for side in (1, -1):
        probes = centres[:, None] + side * offsets  # (centre, offset)
        pf, pd = _f(spec, probes), _d(spec, probes).abs()
        step, last = pd[:, 1] - pd[:, 0], pd[:, 2] - pd[:, 1]
        # growing, by more than float64's round-off in a steep f' (1e-16 of it, / 1e-12)
        grows = torch.isfinite(pf).all(1) & (last >= 0.5 * step) & (last > 1e-3 * pd[:, 2])
        for c, near in zip(centres[grows].tolist(), pd[grows, 2].tolist(), strict=True):
            key = round(c, 6) + 0.0
            found[key] = max(near, found.get(key, 0.0))
    return sorted(found.items(), key=lambda kv: abs(kv[0]))


def check_differentiable(
    spec: ActivationSpec, x: torch.Tensor, ok: torch.Tensor,
    jumps: list[tuple[float, float]] = (),  # type: ignore[assignment]
) -> Check:  # fmt: skip
    # an infinite slope is looked for at 0, at each kink and at each grid point where f is
    # finite and f' is not; f' = inf past float64's range is overflow, and settles nowhere
    d = _d(spec, x)
    grid_bad = ok & ~torch.isfinite(d) & (x.abs() <= 100)
    centres = torch.tensor(sorted({0.0, *spec.kink_points()}), dtype=_F64)
    unbounded = _unbounded_slopes(spec, torch.cat([centres, x[grid_bad]]))
    steep = [(c, near) for c, near in unbounded if near > _BLOWS_UP]
    if steep:
        where, biggest = steep[0]
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
    if unbounded:  # x*log(abs(x)) or x**0.99 at 0: unbounded, but slowly
        where, near = unbounded[0]
        return Check(
            "differentiable",
            "warn",
            f"|f'| grows without bound toward x = {where:g}, but slowly (it is {near:.3g} "
            "within 1e-12 of it): back-propagation sees large but finite values",
            {"x": where, "max_abs_derivative": near},
        )
    points = torch.tensor(spec.kink_points(), dtype=_F64)
    # a kink's step in f' stays as we close in; |x|**1.5's (f' = 1.5·sign(x)·√|x|) shrinks
    near, nearer = ((_d(spec, points + h) - _d(spec, points - h)).abs() for h in (1e-9, 1e-12))
    kinks = points[(nearer > 1e-6) & (nearer > 0.5 * near)].tolist()
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

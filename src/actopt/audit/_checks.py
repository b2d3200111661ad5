"""The audit's checks: each measures one property of f and f' and returns a ``Check``.

The numerical measurements are the ones the catalog's declared properties are tested against
(``_measure``), so "monotonic" or "saturating" mean the same thing everywhere.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from ..activations import ActivationSpec, get, overflow_safe
from . import _cost, _measure
from ._check import F64 as _F64
from ._check import Check
from ._check import derivative as _d
from ._check import value as _f
from ._domain import (
    check_continuous,
    check_defined,
    check_differentiable,
    describe_region,
    regions,
    scan,
)
from ._float32 import check_float32
from ._signal import propagate

__all__ = ["Check", "run_checks"]


def check_gradient_signal(spec: ActivationSpec) -> Check:
    x = torch.linspace(-10, 10, 20_001, dtype=_F64)
    zero = (_d(spec, x).abs() < 1e-12).double().mean().item()
    ev = {"fraction_zero_derivative_in_[-10,10]": zero}
    if zero > 0.99:
        return Check(
            "gradient_signal",
            "fail",
            f"f' = 0 on {zero:.1%} of [-10, 10]: nothing to back-propagate",
            ev,
            "no gradient almost everywhere",
        )
    return Check("gradient_signal", "pass", f"f' ≠ 0 on {1 - zero:.1%} of [-10, 10]", ev)


def check_nonlinear(spec: ActivationSpec) -> Check:
    x = torch.linspace(-10, 10, 2001, dtype=_F64)
    y = _f(spec, x)
    if not bool(torch.isfinite(y).all()):
        x, y = x[torch.isfinite(y)], y[torch.isfinite(y)]
    a = torch.stack([x, torch.ones_like(x)], 1)
    coef = torch.linalg.lstsq(a, y[:, None]).solution.flatten()
    resid = float((a @ coef - y).abs().max()) if len(y) else 0.0
    scale = max(float(y.abs().max()) if len(y) else 0.0, 1.0)
    slope, icpt = float(coef[0]), float(coef[1])
    if resid <= 1e-9 * scale:
        # the seeds' collapse, shown: 5 such layers equal one affine map
        g = torch.Generator().manual_seed(0)
        ws = [torch.randn(8, 8, generator=g, dtype=_F64) for _ in range(5)]
        v = torch.randn(8, generator=g, dtype=_F64)
        h, m, b = v.clone(), torch.eye(8, dtype=_F64), torch.zeros(8, dtype=_F64)
        for w in ws:
            h = slope * (w @ h) + icpt
            m, b = slope * (w @ m), slope * (w @ b) + icpt
        err = float((h - (m @ v + b)).abs().max() / h.abs().max())
        return Check(
            "nonlinear",
            "fail",
            f"affine: f(x) = {slope:g}·x + {icpt:g}. A deep net of "
            f"such layers is one affine map (5 layers vs their product: rel. difference "
            f"{err:.1e})",
            {"slope": slope, "intercept": icpt, "collapse_error": err},
            "linear: any depth collapses to a single linear layer",
        )
    return Check(
        "nonlinear",
        "pass",
        f"not affine (max deviation from the best line on [-10, 10]: {resid:.3g})",
        {"max_deviation": resid},
    )


def check_monotonic(spec: ActivationSpec) -> Check:
    x = _measure.dense_grid()
    y = _f(spec, x)
    ok = torch.isfinite(y)  # judged where f is defined; defined_everywhere reports the rest
    d = torch.diff(y[ok])
    if bool((d >= -1e-12).all() or (d <= 1e-12).all()):
        return Check(
            "monotonic", "pass", "monotonic" + ("" if bool(ok.all()) else " where defined")
        )
    i = int(torch.where(ok, y, torch.full_like(y, math.inf)).argmin())
    at, low = round(float(x[i]), 4) + 0.0, round(float(y[i]), 4) + 0.0
    near = x[ok].abs() <= 20  # x**2's rise to 1e10 left out
    inner = d[near[1:] & near[:-1] & torch.isfinite(d)]
    fall, rise = float(-inner.clamp(max=0).sum()), float(inner.clamp(min=0).sum())
    ev = {"argmin": at, "min": low, "fall": fall, "rise": rise}
    if min(fall, rise) <= 0.1 * max(fall, rise):  # swish falls 0.28 and rises 20.3
        return Check(
            "monotonic",
            "warn",
            f"not monotonic, a shallow dip: minimum f = {low:g} at x = {at:g} (swish and GELU "
            "dip alike)",
            ev,
        )
    return Check(
        "monotonic",
        "warn",
        f"not monotonic: on [-20, 20] f falls by {fall:.3g} and rises by {rise:.3g}, no "
        "shallow dip like swish's or GELU's: inputs far apart get the same output",
        ev,
    )


def check_zero_centered(spec: ActivationSpec) -> Check:
    f0 = float(_f(spec, torch.zeros(1, dtype=_F64))[0])
    y = _f(spec, _measure.normal_quantiles())
    finite = y[torch.isfinite(y)]  # 1/x is inf at the quantile 0: the mean of the rest
    mean, std = float(finite.mean()), float(finite.std())
    left_out = len(y) - len(finite)
    ev = {"f(0)": f0, "mean_on_normal": mean, "std_on_normal": std, "non_finite": left_out}
    note = f"; {left_out} inf/NaN output(s) left out" if left_out else ""
    if _measure.is_zero_centered(spec):
        return Check(
            "zero_centered", "pass", f"f(0) = {f0:.3g}, mean output on N(0,1) inputs {mean:.3g}", ev
        )
    return Check(
        "zero_centered",
        "warn",
        f"f(0) = {f0:.3g}, mean output on N(0,1) inputs "
        f"{mean:.3g} (std {std:.3g}{note}): next layer's inputs are biased",
        ev,
    )


def check_bounded(spec: ActivationSpec) -> Check:
    above, below = _measure.is_bounded(spec)
    text = {
        (True, True): "bounded on both sides",
        (True, False): "bounded above only",
        (False, True): "bounded below only",
        (False, False): "unbounded",
    }[(above, below)]
    return Check("bounded", "pass", text, {"above": above, "below": below})


def _saturation_point(spec: ActivationSpec, side: int) -> float | None:
    """Smallest t with |f'(x)| < 1e-3 for every x beyond ±t (out to 1e3); None if none."""
    x = torch.linspace(0, 1e3, 100_001, dtype=_F64) * side
    small = (_d(spec, x).abs() < _measure.SATURATION_EPS).flip(0)
    if not bool(small[0]):
        return None
    run = int(small.long().cumprod(0).sum())  # how far in from 1e3 it stays small
    return float(x.flip(0)[run - 1].abs())


def check_saturation(spec: ActivationSpec) -> Check:
    left, right = _saturation_point(spec, -1), _saturation_point(spec, 1)
    ev = {"left_t": left, "right_t": right}
    if left is not None and right is not None:
        return Check(
            "saturation",
            "warn",
            f"|f'| < 1e-3 for x < -{left:.3g} and x > {right:.3g}: "
            "large inputs on either side stop the gradient (vanishing-gradient risk)",
            ev,
            "saturates on both sides, so gradients vanish for large inputs",
        )
    if left is not None or right is not None:
        side, t = ("x < -", left) if left is not None else ("x > ", right)
        return Check(
            "saturation",
            "pass",
            f"saturates on one side only ({side}{t:.3g}); the other side keeps its gradient",
            ev,
        )
    return Check("saturation", "pass", "does not saturate", ev)


def check_dead_zone(spec: ActivationSpec) -> Check:
    # within ±10: beyond it float64 rounds tanh'(x) = 1 − tanh² to 0, which is saturation
    x = torch.linspace(-10, 10, 20_001, dtype=_F64)
    zero = _d(spec, x) == 0
    # boundaries to the grid's resolution (0.001): hard_tanh's zone is x < -1, not x < -1.001
    zones = [(round(a, 2), round(b, 2)) for a, b in regions(x, zero) if b - a >= 0.5]
    if not zones:
        return Check("dead_zone", "pass", "f' is never exactly 0 on an interval of [-10, 10]", {})
    where = [describe_region(a, b, -10, 10) for a, b in zones]
    return Check(
        "dead_zone",
        "warn",
        f"f' = 0 exactly for {', '.join(where)}: a unit whose "
        "inputs stay there stops learning for good (dying units)",
        {"zones": where},
        f"zero gradient for {where[0]} (units can die)",
    )


def check_sign_preserving(spec: ActivationSpec) -> Check:
    x = torch.linspace(0.1, 10, 100, dtype=_F64)
    a, b = _f(spec, x), _f(spec, -x)
    ok = torch.isfinite(a) & torch.isfinite(b)
    if bool(ok.any()) and bool(torch.allclose(a[ok], b[ok], rtol=1e-9, atol=1e-12)):
        v = float(_f(spec, torch.tensor([2.0], dtype=_F64))[0])
        return Check(
            "sign_preserving",
            "fail",
            f"even function: f(-2) = f(2) = {v:.3g}, the sign of the input is lost: a unit "
            "answers x and -x alike, and no later layer can tell them apart",
            {"f(2)": v},
            "even function: opposite inputs give the same output, so no later layer can tell "
            "x from -x",
        )
    return Check("sign_preserving", "pass", "f(-x) ≠ f(x): the sign of the input survives", {})


def check_exploding(spec: ActivationSpec) -> Check:
    xs = torch.tensor([10.0, 100.0, 1000.0], dtype=_F64)
    worst = None
    for side in (1, -1):
        y = _f(spec, side * xs).abs()
        if bool(torch.isnan(y).any()):
            continue  # undefined there: defined_everywhere reports it
        ratio = (y / xs).tolist()  # |f(x)| / |x|: constant for linear growth
        overflow = not math.isfinite(ratio[2])
        if overflow or (ratio[2] > 10 and ratio[2] > 5 * ratio[1]):
            worst = (side, ratio, overflow)
            break
    if worst is None:
        return Check("exploding", "pass", "grows at most linearly", {})
    side, ratio, overflow = worst
    x_at = "1000" if side > 0 else "-1000"
    what = "f overflows float64" if overflow else f"|f(x)|/|x| = {ratio[2]:.3g}"
    return Check(
        "exploding",
        "fail",
        f"grows faster than linearly: at x = {x_at}, {what} (at ±100: {ratio[1]:.3g})",
        {"ratio_at_100": ratio[1], "ratio_at_1000": ratio[2] if math.isfinite(ratio[2]) else None},
        "grows faster than linearly, so activations and gradients explode",
    )


def check_backprop_cost(spec: ActivationSpec, timing: bool = True) -> Check:
    """Status from the pass count (the same on every machine); the time ratio is evidence."""
    mine, relu = _cost.passes(spec.module()), _cost.passes(get("relu"))
    ratio = mine / relu
    ev: dict[str, Any] = {"passes": mine, "relu_passes": relu, "relative_to_relu": ratio}
    detail = f"forward+backward: {mine:.3g} passes over the data, {ratio:.3g}× ReLU's ({relu:g})"
    if timing:
        ev["time_relative_to_relu"] = t = _cost.timed_ratio(spec)
        detail += f"; measured {t:.3g}× ReLU's time"
    if ratio <= _cost.PASSES_WARN:
        return Check("backprop_cost", "pass", detail, ev)
    return Check("backprop_cost", "warn", detail + " (costly)", ev)


def _layers(n: int) -> str:
    return f"{n} layer" if n == 1 else f"{n} layers"


def check_signal(spec: ActivationSpec) -> Check:
    r = propagate(spec)
    ev = r.to_dict()
    setup = f"50 layers × 256, {r.init} init (gain {r.gain:.3g})"
    last_std = r.forward_std[-1]
    if r.overflow_layer is not None:
        return Check(
            "signal_propagation",
            "warn",
            f"{setup}: the float32 module overflowed (inf/NaN in the output or the gradient) "
            f"at layer {r.overflow_layer}, so the gradient ratios say nothing",
            ev,
            f"the float32 module overflows at layer {r.overflow_layer} of a deep net",
        )
    if r.vanish_depth is not None:
        return Check(
            "signal_propagation",
            "warn",
            f"{setup}: the gradient falls below 1e-3 of its "
            f"last-layer value {_layers(r.vanish_depth)} from the output (first layer: "
            f"{r.first_layer_ratio:.2g}×); forward std at layer 50: {last_std:.3g}",
            ev,
            f"gradients vanish within {_layers(r.vanish_depth)} of a deep net",
        )
    if r.explode_depth is not None:
        return Check(
            "signal_propagation",
            "warn",
            f"{setup}: the gradient exceeds 1e3× its "
            f"last-layer value {_layers(r.explode_depth)} from the output",
            ev,
            f"gradients explode within {_layers(r.explode_depth)} of a deep net",
        )
    return Check(
        "signal_propagation",
        "pass",
        f"{setup}: the gradient holds (first/last layer "
        f"{r.first_layer_ratio:.3g}×); forward std at layer 50: {last_std:.3g}",
        ev,
    )


def run_checks(s: ActivationSpec, timing: bool = True, signal: bool = True) -> list[Check]:
    """Every check on ``s``; the signal test only where f is defined everywhere.

    f and f' are evaluated overflow-safe (a formula's value where float64 overflows on the way
    is computed exactly), so ``1/(1+exp(-x))`` gets sigmoid's statuses; the checks that run the
    module (float32 stability, backprop cost, signal propagation) run it as training does, and
    ``float32_stable`` says where that module overflows while the exact f is finite.
    """
    safe = overflow_safe(s)
    x = scan()
    y = _f(safe, x)
    defined = check_defined(safe, x, y)
    jumps = _measure.find_jumps(safe, x)
    checks = [defined, check_continuous(jumps),
              check_differentiable(safe, x, torch.isfinite(y), jumps)]  # fmt: skip
    checks += [
        check_gradient_signal(safe), check_nonlinear(safe), check_monotonic(safe),
        check_zero_centered(safe), check_bounded(safe), check_saturation(safe),
        check_dead_zone(safe), check_sign_preserving(safe), check_exploding(safe),
        check_float32(s, safe, x), check_backprop_cost(s, timing),
    ]  # fmt: skip
    if signal and defined.status == "pass":
        checks.append(check_signal(s))
    return checks

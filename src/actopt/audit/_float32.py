"""Does the module that trains stay finite in float32? The other checks judge the exact f.

``log(1+exp(x))`` is softplus exactly, and the audit's exact evaluation says so; but its
compiled module computes exp(x) in float32, which is inf from x ≈ 88.7, so training sees an
infinite output and a NaN gradient there. This check runs the real module, in float32, forward
and backward over the audit's scan, and names where it is non-finite while the exact f (or f')
is finite and well inside float32's range.
"""

from __future__ import annotations

import torch

from .._numbers import FLOAT32_MAX
from ..activations import ActivationSpec
from ._check import Check, training_module
from ._check import derivative as _d
from ._check import value as _f
from ._domain import describe_region, regions

__all__ = ["check_float32"]

_ROOM = FLOAT32_MAX / 10  # exact values beyond it may round to inf in float32: not a defect
_HINT = ". Use softplus(x), sigmoid(x) or tanh(x): exp overflows in float32 past 88.7"


def _overflows(exact: torch.Tensor, got: torch.Tensor) -> torch.Tensor:
    return ~torch.isfinite(got) & torch.isfinite(exact) & (exact.abs() < _ROOM)


def check_float32(spec: ActivationSpec, safe: ActivationSpec, x: torch.Tensor) -> Check:
    """``spec``'s module in float32 against ``safe`` (the exact f and f') on the scan ``x``."""
    x32 = x.to(torch.float32).unique()
    xs = x32.clone().requires_grad_(True)
    with torch.enable_grad():
        y = training_module(spec)(xs)
        (g,) = torch.autograd.grad(y.sum(), xs)
    x64 = x32.to(torch.float64)  # the exact values at the very points the module saw
    bad_f = _overflows(_f(safe, x64), y.detach().to(torch.float64))
    bad_g = _overflows(_d(safe, x64), g.to(torch.float64))
    bad = bad_f | bad_g
    if not bool(bad.any()):
        return Check(
            "float32_stable",
            "pass",
            "the float32 module (as trained) is finite, forward and backward, wherever the "
            "exact f and f' are",
            {"points": len(x32)},
        )
    xmin, xmax = float(x64.min()), float(x64.max())
    where = [describe_region(a, b, xmin, xmax) for a, b in regions(x64, bad)]
    what = {(True, True): "outputs and gradients", (True, False): "outputs",
            (False, True): "gradients"}[(bool(bad_f.any()), bool(bad_g.any()))]  # fmt: skip
    hint = _HINT if "exp" in spec.text else ""
    return Check(
        "float32_stable",
        "warn",
        f"the float32 module (as trained) gives inf/NaN {what} for {', '.join(where[:3])}, "
        f"where the exact f and f' are finite{hint}",
        {"regions": where, "outputs": bool(bad_f.any()), "gradients": bool(bad_g.any())},
        f"overflows in float32 for {where[0]}"
        + (": rewrite with softplus(x) / sigmoid(x)" if hint else ""),
    )

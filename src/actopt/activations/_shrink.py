"""Shrinkage functions: zero (or nearly) in a band around 0, identity-like outside it."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._registry import register
from ._spec import ActivationSpec, Fast, Param, Properties

__all__: list[str] = []


def _outside(x: torch.Tensor, lambd: float) -> torch.Tensor:
    return (x.abs() > lambd).to(x.dtype)


register(
    ActivationSpec(
        name="tanhshrink",
        summary="x - tanh(x): near-zero output around 0, slope → 1 far from it.",
        fn=lambda x: x - torch.tanh(x),
        grad=lambda x: torch.tanh(x) ** 2,
        latex=r"f(x) = x - \tanh x",
        latex_grad=r"f'(x) = \tanh^2 x",
        text="x - tanh(x)",
        text_grad="tanh(x)^2",
        properties=Properties(output_range="(-∞, ∞)", monotonic=True, smooth=True,
                              zero_centered=True, bounded_above=False, bounded_below=False,
                              saturates="none"),
        fast=Fast(kernel=F.tanhshrink),
        torch_ref=F.tanhshrink,
        torch_name="F.tanhshrink",
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="softshrink",
        summary="Soft thresholding, the proximal map of the L1 norm: shrinks |x| by lambd.",
        params=(Param("lambd", 0.5, "half-width of the zero band", low=0.0),),
        # x - clamp(x, -λ, λ) is x ∓ λ outside the band and 0 inside; unlike nested
        # where()s it propagates NaN as torch does
        fn=lambda x, lambd: x - x.clamp(-lambd, lambd),
        grad=lambda x, lambd: _outside(x, lambd),
        latex=r"f(x) = \operatorname{sign}(x)\max(|x| - \lambda, 0)",
        latex_grad=r"f'(x) = [|x| > \lambda]",
        text="x - lambd if x > lambd, x + lambd if x < -lambd, else 0",
        text_grad="1 if |x| > lambd else 0",
        properties=Properties(output_range="(-∞, ∞)", monotonic=True, smooth=False,
                              zero_centered=True, bounded_above=False, bounded_below=False,
                              saturates="none"),
        fast=Fast(kernel=F.softshrink),
        torch_ref=F.softshrink,
        torch_name="F.softshrink",
        kinks=lambda lambd: (-lambd, lambd),
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="hardshrink",
        summary="Hard thresholding: x outside [-lambd, lambd], 0 inside (discontinuous).",
        params=(Param("lambd", 0.5, "half-width of the zero band", low=0.0),),
        fn=lambda x, lambd: x * _outside(x, lambd),  # x * 0 keeps NaN, as torch does
        grad=lambda x, lambd: _outside(x, lambd),
        latex=r"f(x) = x\,[|x| > \lambda]",
        latex_grad=r"f'(x) = [|x| > \lambda]",
        text="x if |x| > lambd else 0",
        text_grad="1 if |x| > lambd else 0",
        properties=Properties(output_range="(-∞, ∞)", monotonic=True, smooth=False,
                              zero_centered=True, bounded_above=False, bounded_below=False,
                              saturates="none"),
        fast=Fast(kernel=F.hardshrink),
        torch_ref=F.hardshrink,
        torch_name="F.hardshrink",
        kinks=lambda lambd: (-lambd, lambd),
    )
)  # fmt: skip

"""The classic activations: identity, step, the sigmoid and tanh families, softsign, sine."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._registry import register
from ._spec import ActivationSpec, Fast, Param, Properties

__all__: list[str] = []


def _sigmoid(x: torch.Tensor) -> torch.Tensor:
    # 1 / (1 + e^-x): exp overflows to inf for very negative x, giving exactly 0 as it should
    return torch.reciprocal(1 + torch.exp(-x))


def _sigmoid_kernel(x: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    return x.sigmoid_() if inplace else torch.sigmoid(x)


def _tanh_kernel(x: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    return x.tanh_() if inplace else torch.tanh(x)


register(
    ActivationSpec(
        name="identity",
        aliases=("linear", "none"),
        summary="No non-linearity: a deep net of identity layers collapses to one linear map.",
        fn=lambda x: x,
        grad=lambda x: torch.ones_like(x),
        latex=r"f(x) = x",
        latex_grad=r"f'(x) = 1",
        text="x",
        text_grad="1",
        properties=Properties(output_range="(-∞, ∞)", monotonic=True, smooth=True,
                              zero_centered=True, bounded_above=False, bounded_below=False,
                              saturates="none"),
        fast=Fast(kernel=lambda x, inplace=False: x, inplace=True),
        torch_ref=lambda x: torch.nn.Identity()(x),
        torch_name="nn.Identity",
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="step",
        aliases=("heaviside", "threshold", "perceptron"),
        summary="The perceptron's threshold gate; its derivative is zero wherever it exists.",
        reference="Rosenblatt 1958",
        fn=lambda x: (x >= 0).to(x.dtype),
        # written straight into a float tensor: one pass, 3.5x faster than torch.heaviside
        fast=Fast(forward=lambda x: torch.ge(x, 0, out=torch.empty_like(x))),
        grad=lambda x: torch.zeros_like(x),
        latex=r"f(x) = \begin{cases} 1 & x \ge 0 \\ 0 & x < 0 \end{cases}",
        latex_grad=r"f'(x) = 0 \quad (x \ne 0)",
        text="1 if x >= 0 else 0",
        text_grad="0 (undefined at 0)",
        properties=Properties(output_range="{0, 1}", monotonic=True, smooth=False,
                              zero_centered=False, bounded_above=True, bounded_below=True,
                              saturates="both"),
        torch_ref=lambda x: torch.heaviside(x, torch.ones((), dtype=x.dtype)),
        torch_name="torch.heaviside",
        kinks=lambda: (0.0,),
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="sigmoid",
        aliases=("logistic",),
        summary="Squashes to (0, 1); saturates on both sides, so gradients vanish in deep stacks.",
        fn=_sigmoid,
        grad=lambda x: (s := torch.sigmoid(x)) * (1 - s),
        latex=r"f(x) = \frac{1}{1 + e^{-x}}",
        latex_grad=r"f'(x) = f(x)\,(1 - f(x))",
        text="1 / (1 + exp(-x))",
        text_grad="f(x) * (1 - f(x))",
        properties=Properties(output_range="(0, 1)", monotonic=True, smooth=True,
                              zero_centered=False, bounded_above=True, bounded_below=True,
                              saturates="both"),
        fast=Fast(kernel=_sigmoid_kernel, inplace=True),
        torch_ref=torch.sigmoid,
        torch_name="torch.sigmoid",
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="hard_sigmoid",
        aliases=("hardsigmoid",),
        summary="Piecewise-linear sigmoid, cheap on mobile hardware.",
        reference="Howard et al. 2019 (MobileNetV3)",
        fn=lambda x: (x + 3).clamp(0, 6) / 6,
        grad=lambda x: ((x > -3) & (x < 3)).to(x.dtype) / 6,
        latex=r"f(x) = \frac{\min(\max(x + 3, 0), 6)}{6}",
        latex_grad=r"f'(x) = \tfrac{1}{6}\,[-3 < x < 3]",
        text="clamp(x + 3, 0, 6) / 6",
        text_grad="1/6 if -3 < x < 3 else 0",
        properties=Properties(output_range="[0, 1]", monotonic=True, smooth=False,
                              zero_centered=False, bounded_above=True, bounded_below=True,
                              saturates="both"),
        fast=Fast(kernel=F.hardsigmoid, inplace=True),
        torch_ref=F.hardsigmoid,
        torch_name="F.hardsigmoid",
        kinks=lambda: (-3.0, 3.0),
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="tanh",
        summary="Zero-centred sigmoid, range (-1, 1); saturates on both sides.",
        fn=torch.tanh,
        grad=lambda x: 1 - torch.tanh(x) ** 2,
        latex=r"f(x) = \tanh x = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
        latex_grad=r"f'(x) = 1 - \tanh^2 x",
        text="tanh(x)",
        text_grad="1 - tanh(x)^2",
        properties=Properties(output_range="(-1, 1)", monotonic=True, smooth=True,
                              zero_centered=True, bounded_above=True, bounded_below=True,
                              saturates="both"),
        fast=Fast(kernel=_tanh_kernel, inplace=True),
        torch_ref=lambda x: 2 * torch.sigmoid(2 * x) - 1,  # an independent identity
        torch_name="torch.tanh",
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="hard_tanh",
        aliases=("hardtanh",),
        summary="tanh clipped to straight lines: identity inside [min_val, max_val].",
        params=(
            Param("min_val", -1.0, "lower clip value (must be < max_val)"),
            Param("max_val", 1.0, "upper clip value"),
        ),
        cross_check=lambda v: (
            None
            if v["min_val"] < v["max_val"]
            else f"min_val must be < max_val, got {v['min_val']} >= {v['max_val']}"
        ),
        fn=lambda x, min_val, max_val: x.clamp(min_val, max_val),
        grad=lambda x, min_val, max_val: ((x > min_val) & (x < max_val)).to(x.dtype),
        latex=r"f(x) = \min(\max(x, a), b)",
        latex_grad=r"f'(x) = [a < x < b]",
        text="clamp(x, min_val, max_val)",
        text_grad="1 if min_val < x < max_val else 0",
        properties=Properties(output_range="[-1, 1]", monotonic=True, smooth=False,
                              zero_centered=True, bounded_above=True, bounded_below=True,
                              saturates="both"),
        fast=Fast(kernel=F.hardtanh, inplace=True),
        torch_ref=F.hardtanh,
        torch_name="F.hardtanh",
        kinks=lambda min_val, max_val: (min_val, max_val),
        properties_at=lambda v: {"output_range": f"[{v['min_val']:g}, {v['max_val']:g}]"},
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="softsign",
        summary="x / (1 + |x|): like tanh, but nears its bounds polynomially, not exponentially.",
        reference="Bergstra et al. 2009",
        fn=lambda x: x / (1 + x.abs()),
        grad=lambda x: (1 + x.abs()) ** -2,
        latex=r"f(x) = \frac{x}{1 + |x|}",
        latex_grad=r"f'(x) = \frac{1}{(1 + |x|)^2}",
        text="x / (1 + |x|)",
        text_grad="1 / (1 + |x|)^2",
        properties=Properties(output_range="(-1, 1)", monotonic=True, smooth=True,
                              zero_centered=True, bounded_above=True, bounded_below=True,
                              saturates="both"),
        fast=Fast(kernel=F.softsign),
        torch_ref=F.softsign,
        torch_name="F.softsign",
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="sin",
        aliases=("sine", "siren"),
        summary="Periodic activation of implicit neural representations (SIREN uses w0 = 30).",
        reference="Sitzmann et al. 2020",
        params=(Param("w0", 1.0, "frequency", low=0.0, low_open=True),),
        fn=lambda x, w0: torch.sin(w0 * x),
        grad=lambda x, w0: w0 * torch.cos(w0 * x),
        latex=r"f(x) = \sin(\omega_0 x)",
        latex_grad=r"f'(x) = \omega_0 \cos(\omega_0 x)",
        text="sin(w0 * x)",
        text_grad="w0 * cos(w0 * x)",
        properties=Properties(output_range="[-1, 1]", monotonic=False, smooth=True,
                              zero_centered=True, bounded_above=True, bounded_below=True,
                              saturates="none"),
        fast=Fast(kernel=lambda x, w0: torch.sin(x) if w0 == 1 else torch.sin(w0 * x)),
        torch_ref=lambda x, w0: torch.sin(w0 * x),
        torch_name="torch.sin",
    )
)  # fmt: skip

"""The rectifier family: ReLU and its leaky, parametric, randomised and exponential variants."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._registry import register
from ._spec import ActivationSpec, Fast, Param, Properties

__all__: list[str] = []

# SELU's fixed point constants (Klambauer et al. 2017, eq. 14), as torch uses them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _positive(x: torch.Tensor) -> torch.Tensor:
    return (x > 0).to(x.dtype)


def _slopes(x: torch.Tensor, negative) -> torch.Tensor:
    # 1 for x > 0, `negative` below; built from x so the result keeps x's dtype (two Python
    # scalars in torch.where would give a float32 tensor)
    return torch.where(x > 0, torch.ones_like(x), negative * torch.ones_like(x))


def _expm1_neg(x: torch.Tensor) -> torch.Tensor:
    # e^x - 1 on the negative side only: clamping keeps the unused positive branch finite, so
    # torch.where never multiplies a zero mask by an overflowed exp (which would give NaN grads)
    return torch.expm1(x.clamp(max=0))


register(
    ActivationSpec(
        name="relu",
        summary="max(0, x): cheap, non-saturating for x > 0, but units can die (f' = 0 for x < 0).",
        reference="Nair & Hinton 2010; Glorot et al. 2011",
        fn=lambda x: x.clamp(min=0),
        grad=_positive,
        latex=r"f(x) = \max(0, x)",
        latex_grad=r"f'(x) = [x > 0]",
        text="max(0, x)",
        text_grad="1 if x > 0 else 0",
        properties=Properties(output_range="[0, ∞)", monotonic=True, smooth=False,
                              zero_centered=False, bounded_above=False, bounded_below=True,
                              saturates="left"),
        fast=Fast(kernel=F.relu, inplace=True),
        torch_ref=F.relu,
        torch_name="F.relu",
        kinks=lambda: (0.0,),
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="relu6",
        summary="ReLU capped at 6, for low-precision arithmetic.",
        reference="Krizhevsky 2010; Howard et al. 2017",
        fn=lambda x: x.clamp(0, 6),
        grad=lambda x: ((x > 0) & (x < 6)).to(x.dtype),
        latex=r"f(x) = \min(\max(0, x), 6)",
        latex_grad=r"f'(x) = [0 < x < 6]",
        text="min(max(0, x), 6)",
        text_grad="1 if 0 < x < 6 else 0",
        properties=Properties(output_range="[0, 6]", monotonic=True, smooth=False,
                              zero_centered=False, bounded_above=True, bounded_below=True,
                              saturates="both"),
        fast=Fast(kernel=F.relu6, inplace=True),
        torch_ref=F.relu6,
        torch_name="F.relu6",
        kinks=lambda: (0.0, 6.0),
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="leaky_relu",
        aliases=("lrelu", "leakyrelu"),
        summary="ReLU with a small slope for x < 0, so no unit is ever fully dead.",
        reference="Maas et al. 2013",
        params=(
            Param("negative_slope", 0.01, "slope for x < 0", low=0.0, high=1.0, high_open=True),
        ),
        fn=lambda x, negative_slope: torch.where(x >= 0, x, negative_slope * x),
        grad=lambda x, negative_slope: _slopes(x, negative_slope),
        latex=r"f(x) = \begin{cases} x & x \ge 0 \\ a x & x < 0 \end{cases}",
        latex_grad=r"f'(x) = \begin{cases} 1 & x > 0 \\ a & x < 0 \end{cases}",
        text="x if x >= 0 else negative_slope * x",
        text_grad="1 if x > 0 else negative_slope",
        properties=Properties(output_range="(-∞, ∞)", monotonic=True, smooth=False,
                              zero_centered=False, bounded_above=False, bounded_below=False,
                              saturates="none"),
        fast=Fast(kernel=F.leaky_relu, inplace=True),
        torch_ref=F.leaky_relu,
        torch_name="F.leaky_relu",
        kinks=lambda negative_slope: (0.0,),
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="prelu",
        summary="Leaky ReLU whose negative slope is learned, one per layer or one per channel.",
        reference="He et al. 2015",
        params=(
            Param("num_parameters", 1, "1, or the number of channels (dim 1)", low=1),
            Param("init", 0.25, "initial slope for x < 0", trainable=True),
        ),
        fn=lambda x, init, num_parameters: torch.where(x >= 0, x, init * x),
        grad=lambda x, init, num_parameters: _slopes(x, init),
        param_grads={"init": lambda x, init, num_parameters: x.clamp(max=0)},
        latex=r"f(x) = \begin{cases} x & x \ge 0 \\ a x & x < 0 \end{cases},\ a \text{ learned}",
        latex_grad=r"f'(x) = [x > 0] + a\,[x < 0],\quad \partial f/\partial a = \min(x, 0)",
        text="x if x >= 0 else a * x   (a learned, init 0.25)",
        text_grad="1 if x > 0 else a;  df/da = min(x, 0)",
        properties=Properties(output_range="(-∞, ∞)", monotonic=True, smooth=False,
                              zero_centered=False, bounded_above=False, bounded_below=False,
                              saturates="none"),
        fast=Fast(kernel=lambda x, init, num_parameters: F.prelu(x, init), takes_tensors=True),
        torch_ref=lambda x, init, num_parameters: F.prelu(x, torch.tensor([init], dtype=x.dtype)),
        torch_name="nn.PReLU",
        kinks=lambda init, num_parameters: (0.0,),
    )
)  # fmt: skip


def _rrelu_slope(lower: float, upper: float) -> float:
    return (lower + upper) / 2  # evaluation uses the mean of the training distribution


def _rrelu_kernel(training: bool):
    return lambda x, lower, upper, inplace=False: F.rrelu(x, lower, upper, training, inplace)


register(
    ActivationSpec(
        name="rrelu",
        summary="Randomised leaky ReLU: slope ~ U(lower, upper) per element in training, the "
        "mean slope in evaluation (the formula shown).",
        reference="Xu et al. 2015",
        params=(
            Param("lower", 1 / 8, "lower bound of the slope", low=0.0, high=1.0, high_open=True),
            Param("upper", 1 / 3, "upper bound of the slope", low=0.0, high=1.0, high_open=True),
        ),
        cross_check=lambda v: (
            None
            if v["lower"] <= v["upper"]
            else f"lower must be <= upper, got {v['lower']} > {v['upper']}"
        ),
        fn=lambda x, lower, upper: torch.where(x >= 0, x, _rrelu_slope(lower, upper) * x),
        grad=lambda x, lower, upper: _slopes(x, _rrelu_slope(lower, upper)),
        latex=r"f(x) = \begin{cases} x & x \ge 0 \\ \frac{l + u}{2} x & x < 0 \end{cases}",
        latex_grad=r"f'(x) = [x > 0] + \frac{l + u}{2}[x < 0]",
        text="x if x >= 0 else (lower + upper) / 2 * x   (eval mode)",
        text_grad="1 if x > 0 else (lower + upper) / 2",
        properties=Properties(output_range="(-∞, ∞)", monotonic=True, smooth=False,
                              zero_centered=False, bounded_above=False, bounded_below=False,
                              saturates="none"),
        fast=Fast(
            kernel=_rrelu_kernel(training=False),
            train_kernel=_rrelu_kernel(training=True),  # a random slope per element
            inplace=True,
        ),
        torch_ref=lambda x, lower, upper: F.rrelu(x, lower, upper, training=False),
        torch_name="F.rrelu",
        kinks=lambda lower, upper: (0.0,),
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="elu",
        summary="Exponential linear unit: smooth negative saturation at -alpha pushes mean "
        "activations toward zero.",
        reference="Clevert et al. 2016",
        params=(Param("alpha", 1.0, "negative saturation value", low=0.0),),
        fn=lambda x, alpha: torch.where(x > 0, x, alpha * _expm1_neg(x)),
        grad=lambda x, alpha: torch.where(x > 0, 1.0, alpha * torch.exp(x.clamp(max=0))).to(
            x.dtype
        ),
        latex=r"f(x) = \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}",
        latex_grad=r"f'(x) = \begin{cases} 1 & x > 0 \\ \alpha e^{x} & x \le 0 \end{cases}",
        text="x if x > 0 else alpha * (exp(x) - 1)",
        text_grad="1 if x > 0 else alpha * exp(x)",
        properties=Properties(output_range="(-1, ∞)", monotonic=True, smooth=True,
                              zero_centered=False, bounded_above=False, bounded_below=True,
                              saturates="left"),
        fast=Fast(kernel=F.elu, inplace=True),
        torch_ref=F.elu,
        torch_name="F.elu",
        kinks=lambda alpha: () if alpha == 1 else (0.0,),  # C1 at 0 only when alpha = 1
        properties_at=lambda v: {"output_range": f"(-{v['alpha']:g}, ∞)"},
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="selu",
        summary="Scaled ELU whose constants make activations self-normalise to mean 0, var 1.",
        reference="Klambauer et al. 2017",
        fn=lambda x: SELU_SCALE * torch.where(x > 0, x, SELU_ALPHA * _expm1_neg(x)),
        grad=lambda x: (
            SELU_SCALE * torch.where(x > 0, 1.0, SELU_ALPHA * torch.exp(x.clamp(max=0))).to(x.dtype)
        ),
        latex=r"f(x) = \lambda \begin{cases} x & x > 0 \\ \alpha (e^{x} - 1) & x \le 0 \end{cases}",
        latex_grad=r"f'(x) = \lambda \begin{cases} 1 & x > 0 \\ \alpha e^{x} & x \le 0 \end{cases}",
        text="1.0507 * (x if x > 0 else 1.6733 * (exp(x) - 1))",
        text_grad="1.0507 * (1 if x > 0 else 1.6733 * exp(x))",
        properties=Properties(output_range="(-1.758, ∞)", monotonic=True, smooth=False,
                              zero_centered=True, bounded_above=False, bounded_below=True,
                              saturates="left"),
        fast=Fast(kernel=F.selu, inplace=True),
        torch_ref=F.selu,
        torch_name="F.selu",
        kinks=lambda: (0.0,),
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="celu",
        summary="Continuously differentiable ELU for every alpha: alpha * (exp(x/alpha) - 1).",
        reference="Barron 2017",
        params=(Param("alpha", 1.0, "negative saturation value", low=0.0, low_open=True),),
        fn=lambda x, alpha: x.clamp(min=0) + alpha * _expm1_neg(x / alpha),
        grad=lambda x, alpha: torch.where(x > 0, 1.0, torch.exp((x / alpha).clamp(max=0))).to(
            x.dtype
        ),
        latex=r"f(x) = \max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))",
        latex_grad=r"f'(x) = \begin{cases} 1 & x > 0 \\ e^{x/\alpha} & x \le 0 \end{cases}",
        text="max(0, x) + min(0, alpha * (exp(x / alpha) - 1))",
        text_grad="1 if x > 0 else exp(x / alpha)",
        properties=Properties(output_range="(-1, ∞)", monotonic=True, smooth=True,
                              zero_centered=False, bounded_above=False, bounded_below=True,
                              saturates="left"),
        fast=Fast(kernel=F.celu, inplace=True),
        torch_ref=F.celu,
        torch_name="F.celu",
        properties_at=lambda v: {"output_range": f"(-{v['alpha']:g}, ∞)"},
    )
)  # fmt: skip

"""Smooth modern activations: GELU, Swish/SiLU, hard-swish, Mish, softplus, log-sigmoid."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._registry import register
from ._spec import ActivationSpec, Fast, Param, Properties

__all__: list[str] = []

_SQRT_2_PI = math.sqrt(2 / math.pi)
_GELU_C = 0.044715  # the cubic coefficient of Hendrycks & Gimpel's tanh approximation


def _softplus(x: torch.Tensor) -> torch.Tensor:
    # log(1 + e^x) written so that neither branch overflows: max(x, 0) + log1p(e^-|x|)
    return x.clamp(min=0) + torch.log1p(torch.exp(-x.abs()))


# Φ(x) as erfc(-x/√2)/2 and (1 + tanh z)/2 as σ(2z): 1 + erf or 1 + tanh rounds to 0 in
# float64 below x ≈ -8.3 (erf) or -7.2 (tanh), where Φ is still ~1e-17: f and f' came out
# exactly 0 there, a false dead zone for gelu(x)**2 and for the tanh form itself


def _phi_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * torch.erfc(-x / math.sqrt(2))


def _tanh_gate(x: torch.Tensor) -> torch.Tensor:
    """(1 + tanh z)/2 = σ(2z) for z = √(2/π)(x + c x³), the tanh form's Φ."""
    return torch.sigmoid(2 * _SQRT_2_PI * (x + _GELU_C * x**3))


def _gelu(x: torch.Tensor, approximate: str) -> torch.Tensor:
    return x * (_tanh_gate(x) if approximate == "tanh" else _phi_cdf(x))


def _gelu_grad(x: torch.Tensor, approximate: str) -> torch.Tensor:
    if approximate == "tanh":
        # σ(2z) + x σ(2z) σ(-2z) · 2z', (1 - tanh² z)/2 being 2 σ(2z) σ(-2z)
        s = _tanh_gate(x)
        return s + 2 * x * s * (1 - s) * _SQRT_2_PI * (1 + 3 * _GELU_C * x * x)
    # Φ(x) + x φ(x)
    return _phi_cdf(x) + x * torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


register(
    ActivationSpec(
        name="gelu",
        summary="x Φ(x): weights inputs by their probability under N(0, 1); the transformer "
        "default. approximate='tanh' is the cheaper tanh form.",
        reference="Hendrycks & Gimpel 2016",
        params=(Param("approximate", "none", "'none' (erf) or 'tanh'", choices=("none", "tanh")),),
        fn=_gelu,
        grad=_gelu_grad,
        latex=r"f(x) = x\,\Phi(x) = \tfrac{x}{2}\left(1 + \operatorname{erf}(x/\sqrt{2})\right)",
        latex_grad=r"f'(x) = \Phi(x) + x\,\varphi(x)",
        text="x * Φ(x) = x/2 * (1 + erf(x/√2))",
        text_grad="Φ(x) + x * φ(x)",
        properties=Properties(output_range="[-0.17, ∞)", monotonic=False, smooth=True,
                              zero_centered=False, bounded_above=False, bounded_below=True,
                              saturates="left"),
        fast=Fast(kernel=F.gelu),
        torch_ref=F.gelu,
        torch_name="F.gelu",
    )
)  # fmt: skip


_SILU_MIN = -0.2784645427610738  # min of x σ(x), at x ≈ −1.278; x σ(βx) = silu(βx) / β


def _swish_properties(v: dict) -> dict:
    if v["beta"] == 0:  # x / 2: a line
        return {"output_range": "(-∞, ∞)", "monotonic": True, "bounded_below": False,
                "saturates": "none"}  # fmt: skip
    return {"output_range": f"[{_SILU_MIN / v['beta']:.3g}, ∞)"}


def _swish_grad(x: torch.Tensor, beta, learnable: bool) -> torch.Tensor:
    s = torch.sigmoid(beta * x)
    return s + beta * x * s * (1 - s)


def _swish_grads(x: torch.Tensor, beta, learnable: bool):
    # f' = σ + βx σ(1-σ) and ∂f/∂β = x² σ(1-σ) share σ(1-σ). Fresh buffers cost more than the
    # arithmetic on CPU (page faults), so three are allocated and everything else is in place.
    s = torch.mul(x, beta).sigmoid_()
    t = torch.mul(s, s)
    torch.sub(s, t, out=t)  # σ(1-σ)
    dbeta = torch.mul(t, x).mul_(x)
    dx = t.mul_(x).mul_(beta).add_(s)
    return dx, {"beta": dbeta}


def _swish_fast(x: torch.Tensor, beta, learnable: bool) -> torch.Tensor:
    return torch.mul(x, beta).sigmoid_().mul_(x)  # one buffer, reused for the output


register(
    ActivationSpec(
        name="swish",
        aliases=("silu",),
        summary="x σ(βx), found by automated search; β=1 is SiLU. learnable=True trains β.",
        reference="Ramachandran et al. 2017; Elfwing et al. 2018",
        params=(
            Param("beta", 1.0, "sharpness β (β → ∞ gives ReLU)", low=0.0, trainable=True),
            Param("learnable", False, "train β as a parameter"),
        ),
        fn=lambda x, beta, learnable: x * torch.sigmoid(beta * x),
        fast=Fast(
            kernel=lambda x, beta, learnable, inplace=False: F.silu(x, inplace),  # where it fits
            applies=lambda v: v["beta"] == 1 and not v["learnable"],
            inplace=True,
            forward=_swish_fast,
            grads=_swish_grads,
        ),
        grad=_swish_grad,
        param_grads={
            "beta": lambda x, beta, learnable: x * x * (s := torch.sigmoid(beta * x)) * (1 - s)
        },
        latex=r"f(x) = x\,\sigma(\beta x)",
        latex_grad=r"f'(x) = \sigma(\beta x) + \beta x\,\sigma(\beta x)(1 - \sigma(\beta x))",
        text="x * sigmoid(beta * x)",
        text_grad="s + beta * x * s * (1 - s),  s = sigmoid(beta * x)",
        properties=Properties(output_range="[-0.278, ∞)", monotonic=False, smooth=True,
                              zero_centered=False, bounded_above=False, bounded_below=True,
                              saturates="left"),
        properties_at=_swish_properties,
        # an independent identity: x σ(βx) = silu(βx) / β
        torch_ref=lambda x, beta, learnable: F.silu(beta * x) / beta if beta else x / 2,
        torch_name="F.silu",
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="hard_swish",
        aliases=("hardswish",),
        summary="x · hard_sigmoid(x): a piecewise-polynomial Swish for mobile networks.",
        reference="Howard et al. 2019 (MobileNetV3)",
        fn=lambda x: x * (x + 3).clamp(0, 6) / 6,
        # at the kinks x = ±3, torch's convention (F.hardswish's backward): the outer piece
        grad=lambda x: torch.where(x <= -3, 0.0, torch.where(x >= 3, 1.0, (2 * x + 3) / 6)).to(
            x.dtype
        ),
        latex=r"f(x) = x\,\frac{\min(\max(x + 3, 0), 6)}{6}",
        latex_grad=r"f'(x) = \begin{cases} 0 & x \le -3 \\ (2x + 3)/6 & |x| < 3 \\ 1 & x \ge 3"
        r"\end{cases}",
        text="x * clamp(x + 3, 0, 6) / 6",
        text_grad="0 if x <= -3, (2x + 3)/6 if |x| < 3, 1 if x >= 3",
        properties=Properties(output_range="[-0.375, ∞)", monotonic=False, smooth=False,
                              zero_centered=False, bounded_above=False, bounded_below=True,
                              saturates="left"),
        fast=Fast(kernel=F.hardswish, inplace=True),
        torch_ref=F.hardswish,
        torch_name="F.hardswish",
        kinks=lambda: (-3.0, 3.0),
    )
)  # fmt: skip


def _mish_grad(x: torch.Tensor) -> torch.Tensor:
    t = torch.tanh(_softplus(x))
    return t + x * torch.sigmoid(x) * (1 - t * t)


register(
    ActivationSpec(
        name="mish",
        summary="x tanh(softplus(x)): a smooth, non-monotonic self-gated activation.",
        reference="Misra 2019",
        fn=lambda x: x * torch.tanh(_softplus(x)),
        grad=_mish_grad,
        latex=r"f(x) = x \tanh(\ln(1 + e^{x}))",
        latex_grad=r"f'(x) = \tanh(\mathrm{sp}(x)) + x\,\sigma(x)\,\mathrm{sech}^2(\mathrm{sp}(x))",
        text="x * tanh(softplus(x))",
        text_grad="tanh(sp(x)) + x * sigmoid(x) * (1 - tanh(sp(x))^2)",
        properties=Properties(output_range="[-0.309, ∞)", monotonic=False, smooth=True,
                              zero_centered=False, bounded_above=False, bounded_below=True,
                              saturates="left"),
        fast=Fast(kernel=F.mish, inplace=True),
        torch_ref=F.mish,
        torch_name="F.mish",
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="softplus",
        summary="A smooth ReLU, log(1 + e^{βx}) / β; linear above the threshold for stability.",
        reference="Dugas et al. 2001",
        params=(
            Param("beta", 1.0, "sharpness", low=0.0, low_open=True),
            Param("threshold", 20.0, "βx above which f(x) = x", low=0.0, low_open=True),
        ),
        fn=lambda x, beta, threshold: torch.where(
            beta * x > threshold, x, _softplus(beta * x) / beta
        ),
        grad=lambda x, beta, threshold: torch.where(
            beta * x > threshold, torch.ones_like(x), torch.sigmoid(beta * x)
        ),
        latex=r"f(x) = \tfrac{1}{\beta}\ln(1 + e^{\beta x})",
        latex_grad=r"f'(x) = \sigma(\beta x)",
        text="log(1 + exp(beta * x)) / beta   (x where beta * x > threshold)",
        text_grad="sigmoid(beta * x)   (1 where beta * x > threshold)",
        properties=Properties(output_range="(0, ∞)", monotonic=True, smooth=True,
                              zero_centered=False, bounded_above=False, bounded_below=True,
                              saturates="left"),
        fast=Fast(kernel=F.softplus),
        torch_ref=F.softplus,
        torch_name="F.softplus",
        # where the linear branch takes over f' jumps by σ(-threshold) ≈ 2e-9: no gradient test
        # straddles it
        kinks=lambda beta, threshold: (threshold / beta,),
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="log_sigmoid",
        aliases=("logsigmoid",),
        summary="log σ(x) = -softplus(-x): the log-probability form used in losses.",
        fn=lambda x: -_softplus(-x),
        grad=lambda x: torch.sigmoid(-x),
        latex=r"f(x) = \ln \sigma(x) = -\ln(1 + e^{-x})",
        latex_grad=r"f'(x) = 1 - \sigma(x)",
        text="-log(1 + exp(-x))",
        text_grad="1 - sigmoid(x)",
        properties=Properties(output_range="(-∞, 0)", monotonic=True, smooth=True,
                              zero_centered=False, bounded_above=True, bounded_below=False,
                              saturates="right"),
        fast=Fast(kernel=F.logsigmoid),
        torch_ref=F.logsigmoid,
        torch_name="F.logsigmoid",
    )
)  # fmt: skip

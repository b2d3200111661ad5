"""Softmax and log-softmax: functions of a whole dim, so their derivative is a Jacobian.

With s = softmax(x) the Jacobian is J = diag(s) - s sᵀ (symmetric), so J v = s ⊙ (v - ⟨s, v⟩).
For log-softmax J = I - 1 sᵀ: J v = v - ⟨s, v⟩ and Jᵀ g = g - s Σg.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ._registry import register
from ._spec import ActivationSpec, Fast, Param, Properties

__all__: list[str] = []


def _softmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    e = torch.exp(x - x.amax(dim, keepdim=True))  # shift by the max: no overflow
    return e / e.sum(dim, keepdim=True)


def _log_softmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    z = x - x.amax(dim, keepdim=True)
    return z - torch.log(torch.exp(z).sum(dim, keepdim=True))


def _softmax_jvp(x: torch.Tensor, v: torch.Tensor, dim: int) -> torch.Tensor:
    s = _softmax(x, dim)
    return s * (v - (s * v).sum(dim, keepdim=True))


def _log_softmax_jvp(x: torch.Tensor, v: torch.Tensor, dim: int) -> torch.Tensor:
    return v - (_softmax(x, dim) * v).sum(dim, keepdim=True)


def _log_softmax_vjp(x: torch.Tensor, g: torch.Tensor, dim: int) -> torch.Tensor:
    return g - _softmax(x, dim) * g.sum(dim, keepdim=True)


_DIM = Param("dim", -1, "the dimension normalised over")

register(
    ActivationSpec(
        name="softmax",
        summary="Turns a vector of scores into probabilities; the classifier's output layer.",
        params=(_DIM,),
        vector=True,
        fn=_softmax,
        grad=_softmax_jvp,
        vjp_fn=_softmax_jvp,  # the Jacobian is symmetric
        latex=r"f(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}",
        latex_grad=r"J = \operatorname{diag}(s) - s s^\top,\ "
        r"Jv = s \odot (v - \langle s, v\rangle)",
        text="exp(x_i) / sum_j exp(x_j)",
        text_grad="J v = s * (v - <s, v>),  s = softmax(x)",
        properties=Properties(output_range="(0, 1)", monotonic=True, smooth=True,
                              zero_centered=False, bounded_above=True, bounded_below=True,
                              saturates="both"),
        fast=Fast(kernel=lambda x, dim: F.softmax(x, dim)),
        torch_ref=lambda x, dim: F.softmax(x, dim),
        torch_name="F.softmax",
    )
)  # fmt: skip

register(
    ActivationSpec(
        name="log_softmax",
        aliases=("logsoftmax",),
        summary="log of softmax computed stably; pairs with the negative log-likelihood loss.",
        params=(_DIM,),
        vector=True,
        fn=_log_softmax,
        grad=_log_softmax_jvp,
        vjp_fn=_log_softmax_vjp,
        latex=r"f(x)_i = x_i - \ln \sum_j e^{x_j}",
        latex_grad=r"J = I - \mathbf{1} s^\top,\quad Jv = v - \langle s, v\rangle",
        text="x_i - log(sum_j exp(x_j))",
        text_grad="J v = v - <s, v>;  Jᵀ g = g - s * sum(g)",
        properties=Properties(output_range="(-∞, 0)", monotonic=True, smooth=True,
                              zero_centered=False, bounded_above=True, bounded_below=False,
                              saturates="left"),
        fast=Fast(kernel=lambda x, dim: F.log_softmax(x, dim)),
        torch_ref=lambda x, dim: F.log_softmax(x, dim),
        torch_name="F.log_softmax",
    )
)  # fmt: skip

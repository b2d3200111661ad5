"""Gradient descent and its momentum forms: SGD, heavy-ball momentum, Nesterov (NAG).

Batch, stochastic and mini-batch gradient descent are all this one update; what differs is the
gradient fed to it (the whole dataset, one example, or k examples), chosen by the trainer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import torch
from torch import Tensor

from . import _fused
from ._base import ActoptOptimizer, Check, check_nonneg, check_unit
from ._ops import Ops, is_zero
from ._registry import registered
from ._transforms import coupled_weight_decay, momentum_

__all__ = ["NAG", "SGD", "Momentum"]


@registered(
    "sgd",
    "Plain gradient descent (batch, stochastic or mini-batch).",
    (torch.optim.SGD, {}),
    aliases=("gd",),
)
class SGD(ActoptOptimizer):
    r"""Gradient descent, optionally with (Nesterov) momentum.

    .. math::
        g \leftarrow \nabla f(w) + \lambda w,\quad b \leftarrow \mu b + (1 - d)\,g,\quad
        w \leftarrow w - \eta\,(g + \mu b \text{ if nesterov else } b)

    Args:
        params: parameters or param groups.
        lr: learning rate η (default 1e-3, as torch.optim.SGD).
        momentum: μ in [0, ∞); 0 is plain gradient descent.
        dampening: d in [0, 1]: the share of the gradient held back from the buffer.
        weight_decay: λ ≥ 0, L2 penalty added to the gradient.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening = 0).
        maximize: ascend instead of descend.
        foreach: True for the vectorised path, False for the single-tensor loop, None = auto.
        fused: True for actopt's fused CPU kernel (one pass over memory; built on first use).

    >>> import torch, actopt.optim as O
    >>> w = torch.nn.Parameter(torch.tensor([1.0])); opt = O.SGD([w], lr=0.1)
    >>> (w ** 2).sum().backward(); opt.step(); w.data
    tensor([0.8000])
    """

    rule = "w ← w − η g   (momentum, nesterov, dampening: see show)"
    state_names = ("[momentum_buffer]",)
    reference = "Robbins & Monro 1951"
    checks: ClassVar[dict[str, Check]] = {"momentum": check_nonneg, "dampening": check_unit}

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
            foreach=foreach,
            fused=fused,
        )
        super().__init__(params, defaults)

    @classmethod
    def _check_together(cls, hyper: Mapping[str, Any]) -> None:
        super()._check_together(hyper)
        if hyper.get("nesterov") and (hyper["momentum"] <= 0 or hyper.get("dampening", 0) != 0):
            raise ValueError("nesterov needs momentum > 0 and dampening = 0")

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        state["momentum_buffer"] = None  # created from the first gradient, as torch does

    def _update(self, ops: Ops, group: dict, params: list, grads: list, states: list) -> None:
        grads = coupled_weight_decay(ops, params, grads, group["weight_decay"])
        mu = group["momentum"]
        if not is_zero(mu):
            bufs = momentum_(ops, states, grads, mu, group["dampening"])
            grads = ops.add(grads, bufs, alpha=mu) if group["nesterov"] else bufs
        ops.add_(params, grads, alpha=-group["lr"])

    def _fused_update(self, group: dict, params: list, grads: list, states: list) -> None:
        mu, flags = group["momentum"], _fused.common_flags(group)
        buffers, first = [params, grads], [0.0] * len(params)
        if not is_zero(mu):
            flags |= _fused.MOMENTUM | _fused.NESTEROV * group["nesterov"]
            first = [float(s.get("momentum_buffer") is None) for s in states]
            for p, state in zip(params, states, strict=True):
                if state.get("momentum_buffer") is None:  # the kernel writes b = g into it
                    state["momentum_buffer"] = torch.empty_like(p)
            buffers.append([s["momentum_buffer"] for s in states])
        scalars = (group["lr"], group["weight_decay"], mu, group["dampening"])
        _fused.launch("sgd", buffers, [first], scalars, flags)


@registered(
    "momentum",
    "Heavy-ball momentum.",
    (torch.optim.SGD, {"momentum": 0.9}),
    aliases=("heavy_ball",),
)
class Momentum(SGD):
    r"""Heavy-ball momentum (Polyak 1964): SGD with μ = 0.9 by default.

    .. math:: b \leftarrow \mu b + g,\qquad w \leftarrow w - \eta b

    The velocity accumulates gradients that agree in sign, so the ball speeds through ravines and
    damps oscillation across them. Arguments as :class:`SGD`.
    """

    rule = "b ← μ b + (1 − d) g (b = g at step 1);  w ← w − η b"
    state_names = ("momentum_buffer",)
    reference = "Polyak 1964"
    fixed: ClassVar[dict[str, Any]] = {"nesterov": False}

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0.9,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            momentum,
            dampening,
            weight_decay,
            **self.fixed,
            maximize=maximize,
            foreach=foreach,
            fused=fused,
        )


@registered(
    "nag",
    "Nesterov accelerated gradient.",
    (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    aliases=("nesterov",),
)
class NAG(SGD):
    r"""Nesterov accelerated gradient: SGD with Nesterov momentum, μ = 0.9 by default.

    The look-ahead form (Sutskever et al. 2013) evaluates the gradient ahead of the weights::

        v ← μ v − η ∇f(w + μ v);   w ← w + v

    actopt (like torch.optim) implements the reformulated form, which needs no second point at
    which to evaluate the gradient. With θ = w + μ v (the look-ahead point as the parameter)::

        b ← μ b + ∇f(θ);   θ ← θ − η (∇f(θ) + μ b)

    Both produce the same iterates (θ_t = w_t + μ v_t), checked by the tests on a quadratic.
    Arguments as :class:`SGD` (dampening must stay 0).
    """

    rule = "b ← μ b + g;  w ← w − η (g + μ b)"
    state_names = ("momentum_buffer",)
    reference = "Nesterov 1983; Sutskever et al. 2013"
    fixed: ClassVar[dict[str, Any]] = {"dampening": 0.0, "nesterov": True}

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            momentum,
            weight_decay=weight_decay,
            **self.fixed,
            maximize=maximize,
            foreach=foreach,
            fused=fused,
        )

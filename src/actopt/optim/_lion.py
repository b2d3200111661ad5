"""Lion (Chen et al. 2023): the sign of an interpolated momentum, found by program search."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import torch
from torch import Tensor

from ._base import ActoptOptimizer, Check, check_betas
from ._ops import Ops
from ._registry import registered
from ._transforms import decoupled_weight_decay, ema_

__all__ = ["Lion"]


@registered("lion", "Sign of interpolated momentum (program search).", None)
class Lion(ActoptOptimizer):
    r"""Lion: EvoLved Sign Momentum. Every coordinate moves by exactly ±η per step.

    .. math::
        c = \beta_1 m + (1-\beta_1) g,\quad
        w \leftarrow w(1 - \eta\lambda) - \eta\,\mathrm{sign}(c),
        \quad m \leftarrow \beta_2 m + (1-\beta_2) g

    Only one moment is kept (half of Adam's state). The sign makes the update norm large, so
    the paper uses an lr 3-10x smaller than Adam's and a weight decay 3-10x larger.

    Args: lr (1e-4), betas ((0.9, 0.99), each in [0, 1)), weight_decay (decoupled, ≥ 0),
    maximize, foreach.
    """

    rule = "c = β₁m + (1−β₁)g;  w ← w(1 − ηλ) − η sign(c);  m ← β₂m + (1−β₂)g"
    state_names = ("exp_avg",)
    reference = "Chen et al. 2023 (Symbolic Discovery of Optimization Algorithms)"
    checks: ClassVar[dict[str, Check]] = {"betas": check_betas}

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
        )
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        state["exp_avg"] = torch.zeros_like(p)

    def _update(self, ops: Ops, group: dict, params: list, grads: list, states: list) -> None:
        beta1, beta2 = group["betas"]
        ms = [s["exp_avg"] for s in states]
        direction = ops.lerp(ms, grads, 1 - beta1)
        ops.sign_(direction)
        decoupled_weight_decay(ops, params, group["lr"], group["weight_decay"])
        ops.add_(params, direction, alpha=-group["lr"])
        ema_(ops, ms, grads, beta2)

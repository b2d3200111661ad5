"""Per-coordinate step sizes from squared-gradient statistics: AdaGrad, AdaDelta, RMSProp."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import torch
from torch import Tensor

from . import _fused
from ._base import ActoptOptimizer, Check, check_beta, check_nonneg, check_positive, check_unit
from ._ops import Ops, full_like, is_zero
from ._registry import registered
from ._transforms import coupled_weight_decay, ema_, ema_square_

__all__ = ["Adadelta", "Adagrad", "RMSprop"]


@registered("adagrad", "Per-coordinate steps shrinking with summed g².", (torch.optim.Adagrad, {}))
class Adagrad(ActoptOptimizer):
    r"""AdaGrad: divide each coordinate's step by the root of its summed squared gradients.

    .. math::
        s \leftarrow s + g^2,\qquad w \leftarrow w - \frac{\eta_t}{\sqrt{s} + \epsilon}\, g,
        \qquad \eta_t = \frac{\eta}{1 + (t - 1)\,\text{lr\_decay}}

    Rare features get large steps; the effective step of every coordinate only ever shrinks
    (s grows without bound), which is AdaGrad's known weakness on long runs.

    Args: lr (1e-2), lr_decay (≥ 0), weight_decay (≥ 0), initial_accumulator_value (≥ 0),
    eps (> 0, default 1e-10), maximize, foreach, fused — as torch.optim.Adagrad.
    """

    rule = "s ← s + g²;  w ← w − η g / (√s + ε)"
    state_names = ("sum",)
    reference = "Duchi, Hazan & Singer 2011"
    adaptive = True
    checks: ClassVar[dict[str, Check]] = {
        "lr_decay": check_nonneg,
        "initial_accumulator_value": check_nonneg,
        "eps": check_positive,
    }

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
            foreach=foreach,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        super()._init_state(p, state, group)
        init = group["initial_accumulator_value"]
        # a complex parameter's real view starts both of its coordinates at the value
        state["sum"] = full_like(p, complex(init, init) if p.is_complex() else init)

    def _update(self, ops: Ops, group: dict, params: list, grads: list, states: list) -> None:
        steps = self._count_steps(states)
        grads = coupled_weight_decay(ops, params, grads, group["weight_decay"])
        sums = [s["sum"] for s in states]
        ops.addcmul_(sums, grads, grads, value=1)
        std = ops.sqrt(sums)
        ops.add_scalar_(std, group["eps"])
        lrs = [-group["lr"] / (1 + (t - 1) * group["lr_decay"]) for t in steps]
        ops.addcdiv_(params, grads, std, lrs)

    def _fused_update(self, group: dict, params: list, grads: list, states: list) -> None:
        steps = self._count_steps(states, numbers=True)
        lrs = [-group["lr"] / (1 + (t - 1) * group["lr_decay"]) for t in steps]
        buffers = [params, grads, [s["sum"] for s in states]]
        scalars = (group["weight_decay"], group["eps"])
        _fused.launch("adagrad", buffers, [lrs], scalars, _fused.common_flags(group))

    def _effective_lr(self, group: dict, state: dict) -> Tensor:
        lr = group["lr"] / (1 + (state["step"].item() - 1) * group["lr_decay"])
        return lr / (state["sum"].sqrt() + group["eps"])


@registered("adadelta", "AdaGrad with a window and unit-matched steps.", (torch.optim.Adadelta, {}))
class Adadelta(ActoptOptimizer):
    r"""AdaDelta (Zeiler 2012): AdaGrad with a decaying window and units-matched steps.

    .. math::
        v \leftarrow \rho v + (1 - \rho) g^2,\quad
        \Delta = \frac{\sqrt{u + \epsilon}}{\sqrt{v + \epsilon}}\, g,\quad
        u \leftarrow \rho u + (1 - \rho) \Delta^2,\quad w \leftarrow w - \eta \Delta

    The numerator (RMS of past updates) gives the step the units of w, so η = 1 needs no tuning.

    Args: lr (1.0), rho (in [0, 1], 0.9), eps (> 0, 1e-6), weight_decay, maximize, foreach,
    fused (actopt's one-pass CPU kernel; torch.optim.Adadelta has none).
    """

    rule = "v ← ρv + (1−ρ)g²;  Δ = √(u+ε)/√(v+ε)·g;  u ← ρu + (1−ρ)Δ²;  w ← w − ηΔ"
    state_names = ("square_avg", "acc_delta")
    reference = "Zeiler 2012"
    adaptive = True
    checks: ClassVar[dict[str, Check]] = {"rho": check_unit, "eps": check_positive}

    def __init__(
        self,
        params: Iterable,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            rho=rho,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        super()._init_state(p, state, group)
        state["square_avg"] = torch.zeros_like(p)
        state["acc_delta"] = torch.zeros_like(p)

    def _update(self, ops: Ops, group: dict, params: list, grads: list, states: list) -> None:
        self._count_steps(states)
        rho, eps = group["rho"], group["eps"]
        grads = coupled_weight_decay(ops, params, grads, group["weight_decay"])
        square_avgs = [s["square_avg"] for s in states]
        acc_deltas = [s["acc_delta"] for s in states]
        ema_square_(ops, square_avgs, grads, rho)
        std = ops.add_scalar(square_avgs, eps)
        ops.sqrt_(std)
        deltas = ops.add_scalar(acc_deltas, eps)
        ops.sqrt_(deltas)
        ops.div_(deltas, std)
        ops.mul_tensors_(deltas, grads)
        ema_square_(ops, acc_deltas, deltas, rho)
        ops.add_(params, deltas, alpha=-group["lr"])

    def _fused_update(self, group: dict, params: list, grads: list, states: list) -> None:
        self._count_steps(states, numbers=True)
        buffers = [params, grads, [s["square_avg"] for s in states]]
        buffers.append([s["acc_delta"] for s in states])
        scalars = (group["lr"], group["weight_decay"], group["rho"], group["eps"])
        _fused.launch("adadelta", buffers, [], scalars, _fused.common_flags(group))

    def _effective_lr(self, group: dict, state: dict) -> Tensor:
        eps = group["eps"]
        return group["lr"] * (state["acc_delta"] + eps).sqrt() / (state["square_avg"] + eps).sqrt()


@registered("rmsprop", "Divide by a running RMS of gradients.", (torch.optim.RMSprop, {}))
class RMSprop(ActoptOptimizer):
    r"""RMSProp (Hinton 2012): divide by a running RMS of recent gradients.

    .. math::
        v \leftarrow \alpha v + (1 - \alpha) g^2,\qquad
        w \leftarrow w - \eta\, \frac{g}{\sqrt{v - \bar g^2 \,[\text{centered}]} + \epsilon}

    ``centered`` also tracks the mean gradient ḡ and divides by the estimated standard deviation;
    ``momentum`` > 0 accumulates the scaled step in a buffer b ← μ b + g / (√v + ε).

    Args: lr (1e-2), alpha (in [0, 1), 0.99), eps (> 0, 1e-8), weight_decay, momentum (≥ 0),
    centered, maximize, foreach — as torch.optim.RMSprop; fused (actopt's one-pass CPU kernel,
    which torch.optim.RMSprop does not have).
    """

    rule = "v ← αv + (1−α)g²;  w ← w − η g / (√v + ε)"
    state_names = ("square_avg", "[momentum_buffer]", "[grad_avg]")
    reference = "Hinton, Srivastava & Swersky 2012 (lecture 6e)"
    adaptive = True
    checks: ClassVar[dict[str, Check]] = {
        "alpha": check_beta,
        "eps": check_positive,
        "momentum": check_nonneg,
    }

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
            foreach=foreach,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        super()._init_state(p, state, group)
        state["square_avg"] = torch.zeros_like(p)
        if not is_zero(group["momentum"]):
            state["momentum_buffer"] = torch.zeros_like(p)
        if group["centered"]:
            state["grad_avg"] = torch.zeros_like(p)

    def _update(self, ops: Ops, group: dict, params: list, grads: list, states: list) -> None:
        self._count_steps(states)
        alpha = group["alpha"]
        grads = coupled_weight_decay(ops, params, grads, group["weight_decay"])
        square_avgs = [s["square_avg"] for s in states]
        ema_square_(ops, square_avgs, grads, alpha)
        if group["centered"]:
            grad_avgs = [s["grad_avg"] for s in states]
            ema_(ops, grad_avgs, grads, alpha)
            avg = ops.addcmul(square_avgs, grad_avgs, grad_avgs, value=-1)
            ops.sqrt_(avg)
        else:
            avg = ops.sqrt(square_avgs)
        ops.add_scalar_(avg, group["eps"])
        if not is_zero(group["momentum"]):  # momentum >= 0 (validated)
            bufs = [s["momentum_buffer"] for s in states]
            ops.mul_(bufs, group["momentum"])
            ops.addcdiv_(bufs, grads, avg, 1.0)
            ops.add_(params, bufs, alpha=-group["lr"])
        else:
            ops.addcdiv_(params, grads, avg, -group["lr"])

    def _fused_update(self, group: dict, params: list, grads: list, states: list) -> None:
        self._count_steps(states, numbers=True)
        flags = _fused.common_flags(group)
        buffers = [params, grads, [s["square_avg"] for s in states], params, params]
        if group["centered"]:
            flags |= _fused.CENTERED
            buffers[3] = [s["grad_avg"] for s in states]
        if not is_zero(group["momentum"]):
            flags |= _fused.MOMENTUM
            buffers[4] = [s["momentum_buffer"] for s in states]
        scalars = (
            group["lr"],
            group["weight_decay"],
            group["alpha"],
            group["eps"],
            group["momentum"],
        )
        _fused.launch("rmsprop", buffers, [], scalars, flags)

    def _effective_lr(self, group: dict, state: dict) -> Tensor:
        v = state["square_avg"]
        if group["centered"]:
            v = v - state["grad_avg"].square()
        return group["lr"] / (v.sqrt() + group["eps"])

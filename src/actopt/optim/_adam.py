"""The Adam family: Adam (+AMSGrad), AdamW, NAdam, RAdam, Adamax.

All share the same moment tracking (``ema_`` for m, ``ema_square_`` for v), bias correction and
weight-decay pieces; each differs only in how it turns m and v into a step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import torch
from torch import Tensor

from . import _fused
from ._base import ActoptOptimizer, Check, check_betas, check_nonneg, check_positive
from ._ops import Ops, all_true, any_true, is_zero, sqrt, times, value, where
from ._registry import registered
from ._transforms import (
    bias_corrections,
    coupled_weight_decay,
    decoupled_weight_decay,
    ema_,
    ema_square_,
)

__all__ = ["Adam", "AdamW", "Adamax", "NAdam", "RAdam"]


class _AdamBase(ActoptOptimizer):
    """Shared checks, state and the moment/weight-decay prologue of every Adam variant."""

    second_moment = "exp_avg_sq"  # the state key of the second statistic (Adamax: exp_inf)
    adaptive = True
    checks: ClassVar[dict[str, Check]] = {"betas": check_betas, "eps": check_positive}

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        super()._init_state(p, state, group)
        state["exp_avg"] = torch.zeros_like(p)
        state[self.second_moment] = torch.zeros_like(p)

    def _moments(self, ops: Ops, group: dict, params: list, grads: list, states: list):
        """Weight decay (coupled or decoupled), then m ← β₁m + (1−β₁)g and v ← β₂v + (1−β₂)g²."""
        beta1, beta2 = group["betas"]
        if group.get("decoupled_weight_decay"):
            decoupled_weight_decay(ops, params, group["lr"], group["weight_decay"])
        else:
            grads = coupled_weight_decay(ops, params, grads, group["weight_decay"])
        ms = [s["exp_avg"] for s in states]
        vs = [s["exp_avg_sq"] for s in states]
        ema_(ops, ms, grads, beta1)
        ema_square_(ops, vs, grads, beta2)
        return grads, ms, vs

    def _effective_lr(self, group: dict, state: dict) -> Tensor:
        """η / (√v̂ + ε), the step size each coordinate's bias-corrected momentum m̂ gets."""
        beta2, t = group["betas"][1], state["step"].item()
        if self.second_moment == "exp_inf":  # Adamax: an infinity norm, no square root
            return group["lr"] / (state["exp_inf"] + group["eps"])
        v = state.get("max_exp_avg_sq", state["exp_avg_sq"])
        return group["lr"] / ((v / (1 - beta2**t)).sqrt() + group["eps"])


@registered("adam", "Bias-corrected momentum over running RMS.", (torch.optim.Adam, {}))
class Adam(_AdamBase):
    r"""Adam: momentum on the gradient divided by a running RMS, both bias-corrected.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad v \leftarrow \beta_2 v + (1-\beta_2) g^2,
        \quad w \leftarrow w - \eta\,\frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon}

    ``amsgrad`` divides by the running maximum of v instead (Reddi et al. 2018), which restores
    convergence on the counter-examples where Adam's effective step grows.

    Args: lr (1e-3), betas ((0.9, 0.999), each in [0, 1)), eps (> 0, 1e-8), weight_decay (L2,
    added to g), amsgrad, decoupled_weight_decay (AdamW's decay), maximize, foreach, fused
    (actopt's one-pass CPU kernel).
    """

    rule = "m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  w ← w − η m̂ / (√v̂ + ε)"
    state_names = ("exp_avg", "exp_avg_sq", "[max_exp_avg_sq]")
    reference = "Kingma & Ba 2015"

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
            fused=fused,
        )
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        super()._init_state(p, state, group)
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = torch.zeros_like(p)

    def _update(self, ops: Ops, group: dict, params: list, grads: list, states: list) -> None:
        steps = self._count_steps(states)
        beta1, beta2 = group["betas"]
        _, ms, vs = self._moments(ops, group, params, grads, states)
        if group["amsgrad"]:
            maxes = [s["max_exp_avg_sq"] for s in states]
            ops.maximum_(maxes, vs)
            vs = maxes
        denom = ops.sqrt(vs)
        ops.div_scalar_(denom, [sqrt(c) for c in bias_corrections(beta2, steps)])
        ops.add_scalar_(denom, group["eps"])
        step_sizes = [-group["lr"] / c for c in bias_corrections(beta1, steps)]
        ops.addcdiv_(params, ms, denom, step_sizes)

    def _fused_update(self, group: dict, params: list, grads: list, states: list) -> None:
        steps = self._count_steps(states, numbers=True)
        beta1, beta2 = group["betas"]
        flags = _fused.common_flags(group)
        if group["decoupled_weight_decay"]:
            flags &= ~_fused.WEIGHT_DECAY
            flags |= _fused.DECOUPLED * (not is_zero(group["weight_decay"]))
        buffers = [params, grads, [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states]]
        if group["amsgrad"]:
            flags |= _fused.AMSGRAD
            buffers.append([s["max_exp_avg_sq"] for s in states])
        per_tensor = [
            [-group["lr"] / c for c in bias_corrections(beta1, steps)],
            [sqrt(c) for c in bias_corrections(beta2, steps)],
        ]
        scalars = (group["lr"], group["weight_decay"], beta1, beta2, group["eps"])
        _fused.launch("adam", buffers, per_tensor, scalars, flags)


@registered("adamw", "Adam with decoupled weight decay.", (torch.optim.AdamW, {}))
class AdamW(Adam):
    r"""AdamW: Adam with decoupled weight decay, w ← w(1 − ηλ) applied to the weights directly.

    Decoupling keeps the decay from being rescaled by Adam's per-coordinate step (Loshchilov &
    Hutter 2019). Same arguments as :class:`Adam`; weight_decay defaults to 1e-2.
    """

    rule = "w ← w(1 − ηλ);  then the Adam step"
    reference = "Loshchilov & Hutter 2019"
    fixed: ClassVar[dict[str, Any]] = {"decoupled_weight_decay": True}

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            **self.fixed,
            maximize=maximize,
            foreach=foreach,
            fused=fused,
        )


@registered("nadam", "Adam with Nesterov momentum.", (torch.optim.NAdam, {}))
class NAdam(_AdamBase):
    r"""NAdam (Dozat 2016): Adam with Nesterov momentum and a warming momentum schedule.

    .. math::
        \mu_t = \beta_1\,(1 - \tfrac12\,0.96^{t\psi}),\quad
        w \leftarrow w - \eta\left(\frac{(1-\mu_t)\,g}{1 - \prod_{i\le t}\mu_i}
        + \frac{\mu_{t+1}\, m}{1 - \prod_{i\le t+1}\mu_i}\right) \Big/ (\sqrt{\hat v} + \epsilon)

    Args: lr (2e-3), betas, eps, weight_decay, momentum_decay ψ (≥ 0, 4e-3),
    decoupled_weight_decay, maximize, foreach — as torch.optim.NAdam.
    """

    rule = "Adam with the Nesterov look-ahead: w ← w − η((1−μ)g/(1−Πμ) + μ' m/(1−Πμ')) / (√v̂ + ε)"
    state_names = ("exp_avg", "exp_avg_sq", "mu_product (scalar)")
    reference = "Dozat 2016"
    checks: ClassVar[dict[str, Check]] = {"momentum_decay": check_nonneg}

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        *,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
        )
        super().__init__(params, defaults)

    def _init_state(self, p: Tensor, state: dict, group: dict) -> None:
        super()._init_state(p, state, group)
        # a scalar tensor of the default float dtype, as torch.optim keeps it: its rounding is
        # part of the update, so keeping the same type keeps the same iterates
        state["mu_product"] = torch.tensor(1.0)

    def _update(self, ops: Ops, group: dict, params: list, grads: list, states: list) -> None:
        steps = self._count_steps(states)
        beta1, beta2 = group["betas"]
        lr, psi = group["lr"], group["momentum_decay"]
        grads, ms, vs = self._moments(ops, group, params, grads, states)
        g_scale, m_scale = [], []
        for state, t in zip(states, steps, strict=True):
            mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * psi))
            mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
            # out of place: per-replica mus turn the scalar into one product per replica
            state["mu_product"] = times(state["mu_product"], mu)
            product = value(state["mu_product"])
            g_scale.append(-lr * (1.0 - mu) / (1.0 - product))
            m_scale.append(-lr * mu_next / (1.0 - product * mu_next))
        denom = ops.div_scalar(vs, bias_corrections(beta2, steps))
        ops.sqrt_(denom)
        ops.add_scalar_(denom, group["eps"])
        ops.addcdiv_(params, grads, denom, g_scale)
        ops.addcdiv_(params, ms, denom, m_scale)


@registered("radam", "Adam with a rectified warm-up of the adaptive step.", (torch.optim.RAdam, {}))
class RAdam(_AdamBase):
    r"""RAdam (Liu et al. 2020): Adam whose adaptive step is switched on only once the variance
    of v̂ is tractable, and then rectified; before that it is SGD with momentum.

    .. math::
        \rho_\infty = \tfrac{2}{1-\beta_2} - 1,\quad
        \rho_t = \rho_\infty - \tfrac{2 t \beta_2^t}{1 - \beta_2^t},\quad
        w \leftarrow w - \eta\,\hat m \cdot
        \begin{cases} r_t / (\sqrt{\hat v} + \epsilon) & \rho_t > 5 \\ 1 & \text{otherwise}
        \end{cases}

    with r_t = √((ρ_t−4)(ρ_t−2)ρ_∞ / ((ρ_∞−4)(ρ_∞−2)ρ_t)). Args as torch.optim.RAdam.
    """

    rule = "Adam step × rectifier r_t once ρ_t > 5, else momentum SGD with m̂"
    state_names = ("exp_avg", "exp_avg_sq")
    reference = "Liu et al. 2020"

    def __init__(
        self,
        params: Iterable,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        decoupled_weight_decay: bool = False,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
            maximize=maximize,
            foreach=foreach,
        )
        super().__init__(params, defaults)

    def _update(self, ops: Ops, group: dict, params: list, grads: list, states: list) -> None:
        steps = self._count_steps(states)
        beta1, beta2 = group["betas"]
        lr = group["lr"]
        _, ms, vs = self._moments(ops, group, params, grads, states)
        rho_inf = 2 / (1 - beta2) - 1
        rectified, plain = [], []
        for i, t in enumerate(steps):
            bc1, bc2 = 1 - beta1**t, 1 - beta2**t
            rho_t = rho_inf - 2 * t * beta2**t / bc2
            on = rho_t > 5.0  # per replica when beta2 is: each replica's branch, the other's 0
            if any_true(on):
                r = (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
                rectified.append((i, where(on, -lr * sqrt(r) * sqrt(bc2) / bc1, 0.0)))
            if not all_true(on):
                plain.append((i, where(on, 0.0, -lr / bc1)))
        if plain:
            idx = [i for i, _ in plain]
            steps_ = ops.mul([ms[i] for i in idx], [s for _, s in plain])
            ops.add_([params[i] for i in idx], steps_)
        if rectified:
            idx = [i for i, _ in rectified]
            denom = ops.sqrt([vs[i] for i in idx])
            ops.add_scalar_(denom, group["eps"])
            ops.addcdiv_(
                [params[i] for i in idx], [ms[i] for i in idx], denom, [s for _, s in rectified]
            )


@registered("adamax", "Adam with the infinity norm.", (torch.optim.Adamax, {}))
class Adamax(_AdamBase):
    r"""Adamax (Kingma & Ba 2015, §7.1): Adam with the infinity norm in place of the RMS.

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad u \leftarrow \max(\beta_2 u, |g| + \epsilon),
        \quad w \leftarrow w - \frac{\eta}{1 - \beta_1^t}\,\frac{m}{u}

    Args: lr (2e-3), betas, eps (> 0, 1e-8), weight_decay, maximize, foreach.
    """

    rule = "m ← β₁m + (1−β₁)g;  u ← max(β₂u, |g| + ε);  w ← w − η/(1−β₁ᵗ) · m/u"
    state_names = ("exp_avg", "exp_inf")
    reference = "Kingma & Ba 2015"

    second_moment = "exp_inf"

    def __init__(
        self,
        params: Iterable,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            maximize=maximize,
            foreach=foreach,
        )
        super().__init__(params, defaults)

    def _update(self, ops: Ops, group: dict, params: list, grads: list, states: list) -> None:
        steps = self._count_steps(states)
        beta1, beta2 = group["betas"]
        grads = coupled_weight_decay(ops, params, grads, group["weight_decay"])
        ms = [s["exp_avg"] for s in states]
        us = [s["exp_inf"] for s in states]
        ema_(ops, ms, grads, beta1)
        ops.mul_(us, beta2)
        abs_g = ops.abs(grads)
        ops.add_scalar_(abs_g, group["eps"])
        ops.maximum_(us, abs_g)
        ops.addcdiv_(params, ms, us, [-group["lr"] / c for c in bias_corrections(beta1, steps)])

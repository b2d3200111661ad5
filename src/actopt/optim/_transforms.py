"""Tensor-level pieces every update rule is built from, written once for both execution paths.

Each function takes ``ops`` (:data:`~actopt.optim._ops.LOOP` or ``FOREACH``, or replica ops) and
lists of tensors, in the spirit of optax's ``scale_by_*`` transforms and torch.optim's functional
core. A scalar may be a number or, for stacked replicas, a per-replica tensor.
"""

from __future__ import annotations

from torch import Tensor

from ._ops import Ops, Scalar, is_zero

__all__ = [
    "bias_corrections",
    "coupled_weight_decay",
    "decoupled_weight_decay",
    "ema_",
    "ema_square_",
    "momentum_",
]


def coupled_weight_decay(ops: Ops, params: list[Tensor], grads: list[Tensor], wd: Scalar):
    """L2 regularisation folded into the gradient: g ← g + λ w (a new list; grads untouched)."""
    return grads if is_zero(wd) else ops.add(grads, params, alpha=wd)


def decoupled_weight_decay(ops: Ops, params: list[Tensor], lr: Scalar, wd: Scalar) -> None:
    """AdamW-style decay applied to the weights themselves: w ← w (1 - η λ)."""
    if not is_zero(wd):
        ops.mul_(params, 1 - lr * wd)


def ema_(ops: Ops, avgs: list[Tensor], xs: list[Tensor], beta: Scalar) -> None:
    """First moment: m ← β m + (1 - β) x (as a lerp, the way torch.optim computes it)."""
    ops.lerp_(avgs, xs, 1 - beta)


def ema_square_(ops: Ops, avgs: list[Tensor], xs: list[Tensor], beta: Scalar) -> None:
    """Second moment: v ← β v + (1 - β) x²."""
    ops.mul_(avgs, beta)
    ops.addcmul_(avgs, xs, xs, value=1 - beta)


def momentum_(
    ops: Ops, states: list[dict], grads: list[Tensor], mu: Scalar, dampening: Scalar
) -> list[Tensor]:
    """Heavy-ball buffer b ← μ b + (1 - dampening) g, started at b = g; returns the buffers."""
    old = [i for i, s in enumerate(states) if s.get("momentum_buffer") is not None]
    if old:
        bufs = [states[i]["momentum_buffer"] for i in old]
        ops.mul_(bufs, mu)
        ops.add_(bufs, [grads[i] for i in old], alpha=1 - dampening)
    for state, g in zip(states, grads, strict=True):  # first step: the buffer starts as g
        if state.get("momentum_buffer") is None:
            state["momentum_buffer"] = g.detach().clone()
    return [s["momentum_buffer"] for s in states]


def bias_corrections(beta: Scalar, steps: list[float]) -> list[Scalar]:
    """1 - βᵗ for each parameter's step count t."""
    return [1 - beta**t for t in steps]

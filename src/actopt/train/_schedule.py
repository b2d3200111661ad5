"""Learning-rate schedules from ``torch.optim.lr_scheduler``, by name.

Each is stepped once per optimizer step, with epoch-based parameters converted to steps, so a
step budget and an epoch budget behave alike.
"""

from __future__ import annotations

import torch
from torch.optim import lr_scheduler as S

from ..optim._replica import is_numeric

__all__ = ["make_scheduler", "schedule_trajectory"]


def make_scheduler(
    name: str, params: dict, optimizer: torch.optim.Optimizer, steps_per_epoch: int, total: int
) -> S.LRScheduler | None:
    """``none``; ``cosine`` (to ``eta_min``); ``step`` (× ``gamma`` every ``step_size`` epochs);
    ``exponential`` (× ``gamma`` per epoch); ``onecycle`` (peak ``max_lr``, default the lr)."""
    p = dict(params)
    if name == "none":
        return None
    if name == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=total, eta_min=p.pop("eta_min", 0.0), **p)
    if name == "step":
        size = int(p.pop("step_size", 1)) * steps_per_epoch
        return S.StepLR(optimizer, step_size=size, gamma=p.pop("gamma", 0.1), **p)
    if name == "exponential":
        gamma = p.pop("gamma", 0.9) ** (1 / steps_per_epoch)  # per epoch, applied per step
        return S.ExponentialLR(optimizer, gamma=gamma, **p)
    if name == "onecycle":
        max_lr = p.pop("max_lr", optimizer.param_groups[0]["lr"])
        return S.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total, **p)
    raise ValueError(f"unknown schedule {name!r}")


def schedule_trajectory(
    optimizer: torch.optim.Optimizer, name: str, params: dict, steps_per_epoch: int, total: int
) -> list[dict]:
    """The numeric hyper-parameters of ``optimizer``'s first group before each of ``total``
    steps under schedule ``name`` (one row without a schedule; OneCycle also moves momentum or
    betas), by stepping the schedule on ``optimizer``, whose parameters get no gradient."""
    group = optimizer.param_groups[0]
    keys = [k for k, v in group.items() if k != "params" and is_numeric(v)]
    # made first: a scheduler may set the values of step 1 (OneCycle starts at max_lr / 25)
    scheduler = make_scheduler(name, params, optimizer, steps_per_epoch, total)
    rows = [{k: group[k] for k in keys}]
    if scheduler is not None:
        for _ in range(total):
            optimizer.step()  # nothing moves, but the scheduler sees a step
            scheduler.step()
            rows.append({k: group[k] for k in keys})
    return rows

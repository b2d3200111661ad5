"""K replicas in one optimizer: parameters stacked [K, …] along dim 0, hyper-parameters per replica.

The replica engine (``actopt.train.run_many``) trains K runs of one architecture as one stacked
computation. Their optimizer is the ordinary one, built over the stacked parameters; here it
learns that dim 0 enumerates replicas: every hyper-parameter that differs between replicas
becomes a float64 ``[K]`` tensor in the param group, and the update rule (written once, in
``_update``) runs on :class:`ReplicaOps`, which broadcasts such a value as ``[K, 1, …]``. A value
all replicas share stays a Python number, so a group of seeds computes exactly what one run does.

>>> import torch, actopt.optim as O
>>> w = torch.nn.Parameter(torch.ones(2, 3))              # two replicas of a 3-vector
>>> opt = O.SGD([w], lr=0.1)
>>> replicate(opt, [{"lr": 0.1}, {"lr": 0.5}])
>>> w.grad = torch.ones(2, 3); opt.step(); w[:, 0]
tensor([0.9000, 0.5000], grad_fn=<SelectBackward0>)
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from . import _fused
from ._ops import ScratchOps

__all__ = [
    "BRANCHING",
    "ReplicaOps",
    "effective_lr",
    "hypers_of",
    "is_numeric",
    "replicate",
    "select_replicas",
    "set_hyper",
    "use_fused",
]


# numeric hyper-parameters whose zero picks another branch of a rule (SGD's and RMSprop's
# momentum buffer): replicas with zero and with non-zero values cannot share one optimizer
BRANCHING = frozenset({"momentum"})


def _per_replica(s: Tensor, x: Tensor) -> Tensor:
    """A [K] tensor of per-replica values shaped [K, 1, …] against x, in x's dtype (as a Python
    number is rounded to the tensor's dtype by torch's scalar kernels)."""
    return s.to(x.dtype).view(-1, *(1,) * (x.dim() - 1))


def _replica_each(s, n: int) -> list:
    return list(s) if isinstance(s, (list, tuple)) else [s] * n


class ReplicaOps(ScratchOps):
    """The single-tensor path over K replicas stacked along dim 0 of every tensor.

    A scalar may be a number (every replica alike: exactly the single-tensor path) or a [K]
    tensor of per-replica values, broadcast as [K, 1, …]. ``x + a·y`` with a tensor ``a`` is
    one ``addcmul`` (torch's ``add`` takes only a number as ``alpha``); ``x + v·(a/b)`` keeps
    ``addcdiv``'s order of rounding.
    """

    name = "replicas"

    def add(self, xs, ys, alpha=1.0):
        if not isinstance(alpha, Tensor):
            return super().add(xs, ys, alpha)
        return [torch.addcmul(x, y, _per_replica(alpha, x), out=self._out(x, y))
                for x, y in zip(xs, ys, strict=True)]  # fmt: skip

    def add_(self, xs, ys, alpha=1.0):
        if not isinstance(alpha, Tensor):
            return super().add_(xs, ys, alpha)
        for x, y in zip(xs, ys, strict=True):
            x.addcmul_(y, _per_replica(alpha, x))

    def add_scalar_(self, xs, s):
        for x in xs:
            x.add_(_per_replica(s, x) if isinstance(s, Tensor) else s)

    def add_scalar(self, xs, s):
        if not isinstance(s, Tensor):
            return super().add_scalar(xs, s)
        return [torch.add(x, _per_replica(s, x), out=self._out(x)) for x in xs]

    def mul_(self, xs, s):
        for x, v in zip(xs, _replica_each(s, len(xs)), strict=True):
            x.mul_(_per_replica(v, x) if isinstance(v, Tensor) else v)

    def div_scalar_(self, xs, s):
        for x, v in zip(xs, _replica_each(s, len(xs)), strict=True):
            x.div_(_per_replica(v, x) if isinstance(v, Tensor) else v)

    def mul(self, xs, s):
        return [torch.mul(x, _per_replica(v, x) if isinstance(v, Tensor) else v, out=self._out(x))
                for x, v in zip(xs, _replica_each(s, len(xs)), strict=True)]  # fmt: skip

    def div_scalar(self, xs, s):
        return [torch.div(x, _per_replica(v, x) if isinstance(v, Tensor) else v, out=self._out(x))
                for x, v in zip(xs, _replica_each(s, len(xs)), strict=True)]  # fmt: skip

    def addcmul_(self, xs, a, b, value=1.0):
        if not isinstance(value, Tensor):
            return super().addcmul_(xs, a, b, value)
        for x, u, v in zip(xs, a, b, strict=True):
            x.addcmul_(u * _per_replica(value, x), v)

    def addcmul(self, xs, a, b, value):
        if not isinstance(value, Tensor):
            return super().addcmul(xs, a, b, value)
        return [torch.addcmul(x, u * _per_replica(value, x), v, out=self._out(x, u, v))
                for x, u, v in zip(xs, a, b, strict=True)]  # fmt: skip

    def addcdiv_(self, xs, a, b, value):
        for x, u, v, s in zip(xs, a, b, _replica_each(value, len(xs)), strict=True):
            if isinstance(s, Tensor):
                x.addcmul_(torch.div(u, v), _per_replica(s, x))
            else:
                x.addcdiv_(u, v, value=s)

    def lerp_(self, xs, ys, weight):
        if not isinstance(weight, Tensor):
            return super().lerp_(xs, ys, weight)
        for x, y in zip(xs, ys, strict=True):
            x.lerp_(y, _per_replica(weight, x))

    def lerp(self, xs, ys, weight):
        if not isinstance(weight, Tensor):
            return super().lerp(xs, ys, weight)
        return [torch.lerp(x, y, _per_replica(weight, x), out=self._out(x, y))
                for x, y in zip(xs, ys, strict=True)]  # fmt: skip

    def clear(self) -> None:
        """Drop the cached temporaries (after the replicas' shapes changed)."""
        self._buffers.clear()


def is_numeric(v: Any) -> bool:
    """A value a replica may have its own of: a number, or a tuple of numbers (``betas``)."""
    if isinstance(v, (tuple, list)):
        return all(is_numeric(x) for x in v)
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _per_value(values: Sequence[Any], key: str) -> Any:
    first = values[0]
    if all(v == first for v in values):
        return first
    if not all(is_numeric(v) for v in values):
        raise ValueError(f"{key} must be the same for every replica, got {list(values)}")
    return torch.tensor([float(v) for v in values], dtype=torch.float64)


def set_hyper(group: dict, key: str, values: Sequence[Any]) -> None:
    """``group[key]`` ← one value per replica: the number itself where every replica has the
    same, else a float64 ``[K]`` tensor (a pair such as ``betas`` element by element)."""
    if isinstance(values[0], (tuple, list)):
        group[key] = tuple(_per_value(column, key) for column in zip(*values, strict=True))
    else:
        group[key] = _per_value(values, key)


def replicate(optimizer: torch.optim.Optimizer, hypers: Sequence[Mapping[str, Any]]) -> None:
    """Make ``optimizer``, built over parameters stacked along dim 0, act as ``len(hypers)``
    optimizers: replica k follows ``hypers[k]`` (keys of the optimizer's hyper-parameters)."""
    count = len(hypers)
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p.dim() == 0 or p.shape[0] != count:
                raise ValueError(
                    f"replicate: {count} replicas, but a parameter has shape {tuple(p.shape)} "
                    "(every parameter must be stacked along dim 0)"
                )
        group["replicas"] = count
        for key in hypers[0]:
            set_hyper(group, key, [h[key] for h in hypers])


def use_fused(optimizer: torch.optim.Optimizer) -> bool:
    """Switch a replicated optimizer to its fused kernel (``_fused.c``) if it has one and the
    kernels build here; returns whether it switched. Where every replica has the same
    hyper-parameters a stacked tensor is simply a larger tensor for the kernel; per-replica
    values make one kernel call per replica, on its slices with its numbers (a pass over memory
    each, where the rule on stacked tensors makes one per operation). The update is the rule's,
    rounded as the kernel rounds (see ``_fused``)."""
    if "fused" not in inspect.signature(type(optimizer).__init__).parameters:
        return False
    for group in optimizer.param_groups:
        try:
            _fused.check_tensors(group["params"])
        except ValueError:
            return False
    try:
        _fused.library()
    except _fused.FusedUnavailable:
        return False
    for group in optimizer.param_groups:
        group["fused"] = True
    return True


def _pick(v: Any, k: int) -> Any:
    if isinstance(v, Tensor):
        return v[k].item() if v.dim() == 1 else v
    if isinstance(v, tuple):
        return tuple(_pick(x, k) for x in v)
    return v


def hypers_of(group: Mapping[str, Any], k: int) -> dict[str, Any]:
    """Replica k's view of a param group: every per-replica value as its own number."""
    return {key: _pick(v, k) for key, v in group.items() if key != "params"}


def _rows(v: Any, keep: Tensor) -> Any:
    if isinstance(v, Tensor) and v.dim() >= 1:
        return v.index_select(0, keep.to(v.device))
    if isinstance(v, tuple):
        return tuple(_rows(x, keep) for x in v)
    return v


def select_replicas(
    optimizer: torch.optim.Optimizer, keep: Tensor, swapped: Mapping[Tensor, Tensor]
) -> None:
    """Keep only the replicas at positions ``keep`` in the optimizer's state and hyper-parameters.
    The model narrows the parameters themselves, into new ones: ``swapped`` maps each old
    parameter to its successor, which takes over its place and its (narrowed) state."""
    for group in optimizer.param_groups:
        group["params"] = [swapped.get(p, p) for p in group["params"]]
        for old, new in swapped.items():
            if old in optimizer.state:
                optimizer.state[new] = optimizer.state.pop(old)
        for p in group["params"]:
            state = optimizer.state.get(p, {})
            for key, v in state.items():
                state[key] = _rows(v, keep)
        for key, v in group.items():
            if key != "params":
                group[key] = _rows(v, keep)
        group["replicas"] = len(keep)
    ops = optimizer.__dict__.get("_replica_ops")
    if ops is not None:
        ops.clear()


@torch.no_grad()
def effective_lr(optimizer: torch.optim.Optimizer, k: int) -> Tensor | None:
    """Replica k's effective learning rates (as ``ActoptOptimizer.effective_lr``), or None."""
    rule = getattr(optimizer, "_effective_lr", None)
    if rule is None:
        return None
    parts = []
    for group in optimizer.param_groups:
        view = hypers_of(group, k)
        for p in group["params"]:
            state = optimizer.state.get(p)
            if not state:
                continue
            mine = {key: _pick_row(v, k) for key, v in state.items()}
            if (eff := rule(view, mine)) is not None:
                parts.append(eff.reshape(-1))
    return torch.cat(parts) if parts else None


def _pick_row(v: Any, k: int) -> Any:
    return v[k] if isinstance(v, Tensor) and v.dim() >= 1 else v

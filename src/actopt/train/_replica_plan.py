"""Which runs can train together, and how many at once: grouping and the memory budget.

Two runs share a group when they differ only in what a replica may differ in: the seed (initial
weights, data order, dropout masks), every numeric optimizer hyper-parameter (lr, betas, eps,
weight decay, momentum, …) and, for element-wise activations, the activation itself (its name or
formula and parameters). Everything else — data, architecture, batch size, budget, schedule,
loss, optimizer and its switches, device, diagnostics — must match. All of this is pure: it
reads specs, never data.

>>> from actopt.train import RunSpec
>>> a = RunSpec(act="relu", lr=1e-3, seed=0)
>>> group_key(a) == group_key(a.replace(act="tanh", lr=3e-3, seed=1))
True
>>> group_key(a) == group_key(a.replace(width=128))
False
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from .. import activations
from ..optim._replica import BRANCHING, is_numeric
from ._loop import build_model, make_optimizer
from ._spec import RunSpec

__all__ = [
    "activation_floats",
    "default_memory_budget",
    "group_key",
    "plan_groups",
    "replica_memory",
]

_BUDGET_FRACTION = 0.5  # of the memory available when planning: the rest is the machine's


def _act_specs(spec: RunSpec) -> list[activations.ActivationSpec]:
    names = [spec.act] if isinstance(spec.act, str) else list(spec.act)
    return [activations.spec(a, **spec.act_params) for a in names]


def group_key(spec: RunSpec) -> str | None:
    """A key equal for runs that can be replicas of one group; None for a run that must train
    alone (a vector activation such as softmax, or one drawing random numbers in training)."""
    acts = _act_specs(spec)
    if any(a.vector or a.fast.train_kernel is not None for a in acts):
        return None
    d = spec.to_dict()
    for name in ("seed", "lr", "opt_params", "act", "act_params"):
        d.pop(name)
    if any(a.learnable for a in acts):  # its trained values are stacked: one function for all
        d["act"], d["act_params"] = spec.to_dict()["act"], spec.act_params
    hyper = spec.opt_params  # canonical: complete, names resolved
    d["opt_switches"] = {k: v for k, v in hyper.items() if not is_numeric(v)}
    d["opt_branches"] = {k: hyper[k] != 0 for k in sorted(BRANCHING & set(hyper))}
    return json.dumps(d, sort_keys=True)


def plan_groups(
    specs: Sequence[RunSpec],
    *,
    max_replicas: int | None = None,
    memory_budget: int | None = None,
    replica_bytes: Sequence[int | None] | None = None,
) -> list[list[int]]:
    """Indices of ``specs`` in groups, in order of first appearance: runs of one ``group_key``
    together, split into near-equal parts so that no group has more than ``max_replicas``
    replicas or needs more than ``memory_budget`` bytes (``replica_bytes[i]``: run i's need, as
    :func:`replica_memory` estimates it). A run that must train alone is a group of one."""
    if max_replicas is not None and max_replicas < 1:
        raise ValueError(f"max_replicas must be >= 1, got {max_replicas}")
    by_key: dict[str, list[int]] = {}
    groups: list[list[int]] = []
    for i, spec in enumerate(specs):
        key = group_key(spec)
        if key is None:
            groups.append([i])
        elif key in by_key:
            by_key[key].append(i)
        else:
            by_key[key] = [i]
            groups.append(by_key[key])
    planned = []
    for idx in groups:
        cap = max_replicas or len(idx)
        if memory_budget is not None and replica_bytes is not None:
            need = max((replica_bytes[i] or 0) for i in idx)
            if need > 0:
                cap = min(cap, max(1, memory_budget // need))
        parts = math.ceil(len(idx) / cap)
        size, extra = divmod(len(idx), parts)
        start = 0
        for p in range(parts):
            end = start + size + (p < extra)
            planned.append(idx[start:end])
            start = end
    return planned


def activation_floats(model: nn.Module, input_shape: Sequence[int]) -> int:
    """Floats one example leaves in the network's layers (outputs of every leaf module)."""
    total = 0

    def count(_m: nn.Module, _i: tuple, out: torch.Tensor) -> None:
        nonlocal total
        total += out[0].numel()

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(count) for m in leaves]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, *input_shape))
    finally:
        for h in handles:
            h.remove()
    return total


def _state_floats(spec: RunSpec) -> int:
    """Optimizer state per parameter element (Adam 2, SGD 0, momentum 1, …), by one real step."""
    p = nn.Parameter(torch.zeros(8))
    opt = make_optimizer(spec, [p])
    p.grad = torch.ones(8)
    opt.step()
    sized = [t for t in opt.state[p].values() if isinstance(t, torch.Tensor) and t.dim() > 0]
    return sum(t.numel() for t in sized) // 8


def replica_memory(
    spec: RunSpec, input_shape: Sequence[int], num_classes: int, train_size: int = 60_000
) -> int:
    """Bytes one replica of ``spec`` needs while training: weights, gradients, optimizer state
    and the update's temporaries, and the batch's activations kept for the backward pass (with
    their gradients). Evaluation runs in chunks sized to a fixed budget and adds no more."""
    model = build_model(spec, input_shape, num_classes)
    params = sum(p.numel() for p in model.parameters())
    batch = train_size if spec.batch_size == "full" else min(int(spec.batch_size), train_size)
    per_example = activation_floats(model, input_shape) + math.prod(input_shape)
    floats = params * (4 + _state_floats(spec)) + 3 * per_example * batch
    return 4 * floats


def default_memory_budget(device: torch.device | str = "cpu") -> int:
    """Half of the memory free now (the device's on a GPU, else the machine's available RAM)."""
    device = torch.device(device)
    if device.type == "cuda":
        return int(_BUDGET_FRACTION * torch.cuda.mem_get_info(device)[0])
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(_BUDGET_FRACTION * int(line.split()[1]) * 1024)
    except OSError:
        pass
    try:
        pages = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        return int(_BUDGET_FRACTION * pages)
    except (ValueError, OSError, AttributeError):
        return 4 << 30  # no way to ask: assume a modest machine

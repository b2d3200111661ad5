"""What back-propagating through an activation costs: counted, then (optionally) timed.

The status comes from a count that is the same on every machine: the element-wise passes
forward and backward make over the input, read off the operations torch dispatches (views,
which compute nothing, not counted). The stopwatch ratio to ReLU is reported beside it as
evidence, and never changes the status: a loaded machine cannot turn a pass into a warning.
"""

from __future__ import annotations

import time

import torch

# TorchDispatchMode sees every ATen operation, backward ones included; torch's own
# FlopCounterMode is built on it
from torch.utils._python_dispatch import TorchDispatchMode

from ..activations import ActivationSpec, get

__all__ = ["PASSES_WARN", "passes", "timed_ratio"]

PASSES_WARN = 20.0  # more passes than this many times ReLU's: a costly activation
_COUNT_N = 4096  # elements in the counted run (the count is per element)


class _Passes(TorchDispatchMode):
    """Sums the elements every non-view operation writes."""

    def __init__(self) -> None:
        super().__init__()
        self.elements = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if not func.is_view:
            outs = out if isinstance(out, (tuple, list)) else (out,)
            self.elements += sum(o.numel() for o in outs if isinstance(o, torch.Tensor))
        return out


def passes(module: torch.nn.Module, n: int = _COUNT_N) -> float:
    """Element-wise passes over the input one forward and backward make (ReLU: 2, relu and
    threshold_backward; a formula: one per operation of f and f')."""
    x = torch.randn(n, requires_grad=True, generator=torch.Generator().manual_seed(0))
    seed = torch.ones(n)
    with _Passes() as count:
        module(x).backward(seed)
    return count.elements / n


def timed_ratio(spec: ActivationSpec, n: int = 1 << 20, repeat: int = 5) -> float:
    """Median forward+backward wall time of ``spec``'s module over ReLU's (evidence only)."""

    def cost(module) -> float:
        x = torch.randn(n, requires_grad=True, generator=torch.Generator().manual_seed(0))
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            module(x).sum().backward()
            times.append(time.perf_counter() - t0)
        return sorted(times)[len(times) // 2]

    return cost(spec.module()) / cost(get("relu"))

"""How much memory a run needs, estimated before anything is built, and the cap on it.

The network is measured, not re-derived: its parameter count and the activations one example
leaves for the backward pass are read off six tiny copies (depth 1 and 2, width 1, 2 and 3),
then extended exactly to the run's depth and width (linear in depth, quadratic in width, as
every builder is). ``--depth 100000`` is refused in milliseconds instead of filling the memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .. import data, models, optim
from .._resources import check_memory, fmt_bytes
from ._spec import RunSpec

__all__ = ["MemoryEstimate", "check_resources", "estimate_memory"]

_FLOAT = 4  # bytes: models, data and optimizer state are float32
_SAVED = 2  # activations kept for backward, plus their gradients while it runs


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run needs, by part (a rough upper bound: allocator slack not counted)."""

    parameters: int  # count
    parameter_bytes: int  # weights, gradients and optimizer state
    activation_bytes: int  # one training batch's activations, kept for backward
    data_bytes: int  # every split, on the device

    @property
    def total(self) -> int:
        return self.parameter_bytes + self.activation_bytes + self.data_bytes

    def describe(self) -> str:
        return (
            f"{self.parameters:,} parameters with gradients and optimizer state "
            f"{fmt_bytes(self.parameter_bytes)}, activations {fmt_bytes(self.activation_bytes)}, "
            f"data {fmt_bytes(self.data_bytes)}"
        )


def _measure(spec: RunSpec, shape: tuple[int, ...], classes: int, depth: int, width: int):
    """(parameters, activation elements per example) of a tiny copy of the run's network."""
    act = spec.act if isinstance(spec.act, str) else spec.act[0]
    model = models.build(
        spec.model, shape, classes, depth=depth, width=width, act=act,
        act_params=spec.act_params, norm=spec.norm, dropout=spec.dropout, init="torch",
    ).eval()  # fmt: skip
    count = [0]

    def hook(_module, _inputs, output) -> None:
        count[0] += output.numel()

    leaves = [m for m in model.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    with torch.no_grad():
        model(torch.zeros(1, *shape))
    for h in handles:
        h.remove()
    return models.count_parameters(model), count[0]


def _extend(values: dict[tuple[int, int], int], depth: int, width: int) -> int:
    """f(depth, width) = g(width) + (depth − 1)·h(width), g and h quadratics through the
    measured widths 1, 2, 3: exact for every builder, in integers (no overflow)."""

    def quad(v1: int, v2: int, v3: int) -> int:  # Newton's form through w = 1, 2, 3
        d1, d2 = v2 - v1, v3 - 2 * v2 + v1
        return v1 + d1 * (width - 1) + d2 * (width - 1) * (width - 2) // 2

    one = quad(*(values[1, w] for w in (1, 2, 3)))
    two = quad(*(values[2, w] for w in (1, 2, 3)))
    return one + (depth - 1) * (two - one)


def estimate_memory(spec: RunSpec) -> MemoryEstimate:
    """What ``spec`` needs in memory, from its data's size, its network and its optimizer.

    >>> estimate_memory(RunSpec(data="moons", depth=2, width=8)).parameters
    114
    """
    ds = data.spec(spec.data)
    examples, shape = ds.shape(**spec.data_options)
    measured = {
        (d, w): _measure(spec, shape, ds.num_classes, d, w) for d in (1, 2) for w in (1, 2, 3)
    }
    params = _extend({k: v[0] for k, v in measured.items()}, spec.depth, spec.width)
    per_example = _extend({k: v[1] for k, v in measured.items()}, spec.depth, spec.width)
    train = math.ceil(examples * (1 - spec.val_fraction))
    batch = train if spec.batch_size == "full" else min(int(spec.batch_size), max(train, 1))
    state = sum(1 for s in optim.spec(spec.opt).state_names if not s.endswith("(scalar)"))
    return MemoryEstimate(
        parameters=params,
        parameter_bytes=_FLOAT * params * (2 + state),
        activation_bytes=_FLOAT * _SAVED * batch * per_example,
        data_bytes=examples * (_FLOAT * math.prod(shape) + 8),  # inputs and int64 labels
    )


def check_resources(spec: RunSpec, allow_large: bool = False) -> MemoryEstimate:
    """The estimate, or ``ResourceError`` when it exceeds this machine's budget (see
    ``actopt._resources``) unless ``allow_large``."""
    estimate = estimate_memory(spec)
    check_memory(estimate.total, "this run", estimate.describe(), allow_large)
    return estimate

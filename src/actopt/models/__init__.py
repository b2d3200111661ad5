"""Network builders with per-layer activations from the catalog, and ``swap_activations``.

>>> import actopt.models as M
>>> net = M.build("mlp", (1, 28, 28), 10, depth=2, width=256, act=["relu", "tanh"])
>>> M.count_parameters(net)
269322
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from torch import nn

from ._builders import ActSpec, cnn, linear, mlp
from ._init import initialize
from ._options import INITS, NORMS, check_options
from ._swap import ACTIVATION_TYPES, swap_activations

__all__ = [
    "ACTIVATION_TYPES",
    "INITS",
    "MODELS",
    "NORMS",
    "ActSpec",
    "build",
    "check_options",
    "cnn",
    "count_parameters",
    "initialize",
    "linear",
    "mlp",
    "names",
    "swap_activations",
]

MODELS: dict[str, Callable[..., nn.Module]] = {"linear": linear, "mlp": mlp, "cnn": cnn}


def names() -> list[str]:
    return list(MODELS)


def build(name: str, input_shape: Sequence[int], num_classes: int, **options: Any) -> nn.Module:
    """Model ``name`` for inputs of ``input_shape``; ``options`` are the builder's keywords.

    Options a model has no use for (``depth`` for ``cnn``, ``act`` for ``linear``) are ignored,
    so one config can sweep models; misspelt ones are refused.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    known = {"depth", "width", "act", "act_params", "init", "norm", "dropout", "bias"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise ValueError(f"unknown model option(s) {', '.join(unknown)}; allowed: {sorted(known)}")
    builder = MODELS[name]
    accepted = builder.__kwdefaults__ or {}
    return builder(input_shape, num_classes, **{k: v for k, v in options.items() if k in accepted})


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

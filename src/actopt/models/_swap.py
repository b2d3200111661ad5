"""Swap every activation inside any model for an actopt activation."""

from __future__ import annotations

from typing import Any

from torch import nn

from ..activations import Activation, ActivationSpec, get

__all__ = ["ACTIVATION_TYPES", "swap_activations"]

# torch's element-wise activation modules (Softmax and MultiheadAttention, which live in the same
# torch module, are not element-wise hidden activations and are left alone)
ACTIVATION_TYPES: tuple[type[nn.Module], ...] = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ELU, nn.SELU, nn.CELU, nn.GELU,
    nn.SiLU, nn.Mish, nn.Sigmoid, nn.Tanh, nn.Hardtanh, nn.Hardswish, nn.Hardsigmoid,
    nn.Softplus, nn.Softsign, nn.Tanhshrink, nn.Softshrink, nn.Hardshrink, nn.LogSigmoid,
    nn.Threshold, Activation,
)  # fmt: skip


def swap_activations(model: nn.Module, act: str | ActivationSpec, **params: Any) -> int:
    """Replace every activation module in ``model`` (in place) by ``act``; return how many.

    Each replaced module gets its own fresh instance (a learnable PReLU slope is per layer).
    Activations called functionally (``F.relu`` inside a ``forward``) cannot be seen from
    outside and are not replaced; ``nn.Identity`` is left alone, since models use it for
    "no layer here" as often as for "no activation".

    >>> from torch import nn
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> swap_activations(net, "swish")
    1
    """
    make = act.module if isinstance(act, ActivationSpec) else (lambda: get(act, **params))
    if isinstance(act, ActivationSpec) and params:
        act = act.bind(**params)
        make = act.module
    make()  # a bad name or parameter fails before the model is touched
    count = 0
    for parent in list(model.modules()):
        for child_name, child in list(parent.named_children()):
            if isinstance(child, ACTIVATION_TYPES):
                setattr(parent, child_name, make())
                count += 1
    return count

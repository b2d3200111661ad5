"""Network builders: logistic regression, MLP and small CNNs, each activation from the catalog.

Every hidden activation is an actopt module built from a spec, so a formula activation, a
learnable one or a per-layer mix goes wherever ``relu`` goes.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..activations import ActivationSpec, get
from ._init import initialize
from ._options import check_options

__all__ = ["ActSpec", "cnn", "linear", "mlp"]

ActSpec = str | ActivationSpec  # a catalog name or a spec (e.g. from a formula)


def _activations(act: ActSpec | Sequence[ActSpec], count: int, params: dict) -> list[nn.Module]:
    """``count`` fresh activation modules: one activation repeated, or one per layer."""
    acts = [act] if isinstance(act, (str, ActivationSpec)) else list(act)
    if len(acts) == 1:
        acts = acts * count
    if len(acts) != count:
        raise ValueError(f"act: {len(acts)} activations given for {count} hidden layers")
    out = []
    for a in acts:
        if isinstance(a, ActivationSpec):
            out.append((a.bind(**params) if params else a).module())
        else:
            out.append(get(a, **params))
    return out


def linear(input_shape: Sequence[int], num_classes: int, *, bias: bool = True) -> nn.Module:
    """Logistic (softmax) regression: flatten, one linear layer."""
    n_in = int(torch.Size(input_shape).numel())
    return nn.Sequential(nn.Flatten(), nn.Linear(n_in, num_classes, bias=bias))


def mlp(
    input_shape: Sequence[int],
    num_classes: int,
    *,
    depth: int = 2,
    width: int = 256,
    act: ActSpec | Sequence[ActSpec] = "relu",
    act_params: dict | None = None,
    init: str = "he",
    norm: str = "none",
    dropout: float = 0.0,
    bias: bool = True,
) -> nn.Module:
    """``depth`` hidden layers of ``width`` units: Linear → [norm] → activation → [dropout].

    ``act`` is one activation or a list with one per hidden layer. With ``act="identity"`` this
    is the seeds' deep network without activations: a product of matrices, a linear model.
    """
    check_options(depth=depth, width=width, norm=norm, dropout=dropout)
    acts = _activations(act, depth, act_params or {})
    layers: list[nn.Module] = [nn.Flatten()]
    n_in = int(torch.Size(input_shape).numel())
    for a in acts:
        layers.append(nn.Linear(n_in, width, bias=bias))
        if norm != "none":
            layers.append(nn.BatchNorm1d(width) if norm == "batch" else nn.LayerNorm(width))
        layers.append(a)
        if dropout:
            layers.append(nn.Dropout(dropout))
        n_in = width
    layers.append(nn.Linear(n_in, num_classes, bias=bias))
    return initialize(nn.Sequential(*layers), init)


def cnn(
    input_shape: Sequence[int],
    num_classes: int,
    *,
    width: int = 128,
    act: ActSpec | Sequence[ActSpec] = "relu",
    act_params: dict | None = None,
    init: str = "he",
    norm: str = "none",
    dropout: float = 0.0,
    bias: bool = True,
) -> nn.Module:
    """A small conv net: LeNet-style for (C, H, W) images, MNIST-1D's for (C, L) signals.

    2-D: conv5×5(16) → act → pool2 → conv5×5(32) → act → pool2 → linear(``width``) → act → linear.
    1-D (Greydanus & Kobak's ConvBase): three stride-2 convs of 25 channels → act, then linear.
    ``act`` may list one activation per activated layer (3 for either shape).
    """
    check_options(width=width, norm=norm, dropout=dropout)
    acts = _activations(act, 3, act_params or {})
    shape = tuple(input_shape)
    if len(shape) == 3:
        conv, pool, bn = nn.Conv2d, nn.MaxPool2d(2), nn.BatchNorm2d
        specs = [(shape[0], 16, 5, 1, 2), (16, 32, 5, 1, 2)]
    elif len(shape) == 2:
        conv, pool, bn = nn.Conv1d, None, nn.BatchNorm1d
        specs = [(shape[0], 25, 5, 2, 1), (25, 25, 3, 2, 1), (25, 25, 3, 2, 1)]
    else:
        raise ValueError(f"cnn needs (C, H, W) images or (C, L) signals, got input shape {shape}")
    if norm == "layer":
        raise ValueError("norm='layer' is for the mlp; the cnn takes 'batch' or 'none'")
    layers: list[nn.Module] = []
    for (c_in, c_out, k, stride, pad), a in zip(specs, acts, strict=False):
        layers.append(conv(c_in, c_out, k, stride=stride, padding=pad, bias=bias))
        if norm == "batch":
            layers.append(bn(c_out))
        layers.append(a)
        if pool is not None:
            layers.append(pool)
    layers.append(nn.Flatten())
    with torch.no_grad():
        n_flat = nn.Sequential(*layers)(torch.zeros(1, *shape)).shape[1]
    if len(shape) == 3:
        layers += [nn.Linear(n_flat, width, bias=bias), acts[2]]
        if dropout:
            layers.append(nn.Dropout(dropout))
        n_flat = width
    elif dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(n_flat, num_classes, bias=bias))
    return initialize(nn.Sequential(*layers), init)

"""Weight initialisation schemes, by name.

``he`` (Kaiming: std √(2/fan_in), keeps ReLU signals), ``xavier`` (Glorot: std
√(2/(fan_in+fan_out)), for tanh/sigmoid), ``lecun`` (std √(1/fan_in), SELU's), ``orthogonal``
(Saxe et al.), and ``torch`` (leave PyTorch's default uniform init alone). Biases start at
zero except with ``torch``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._options import check_options

__all__ = ["initialize"]


def _fans(w: torch.Tensor) -> tuple[int, int]:
    receptive = math.prod(w.shape[2:]) if w.dim() > 2 else 1
    return w.shape[1] * receptive, w.shape[0] * receptive


@torch.no_grad()
def initialize(model: nn.Module, scheme: str) -> nn.Module:
    """Re-initialise every Linear and Conv layer of ``model`` with ``scheme``; returns ``model``."""
    check_options(init=scheme)
    if scheme == "torch":
        return model
    for m in model.modules():
        if not isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            continue
        fan_in, fan_out = _fans(m.weight)
        if scheme == "orthogonal":
            nn.init.orthogonal_(m.weight)
        else:
            var = {"he": 2 / fan_in, "xavier": 2 / (fan_in + fan_out), "lecun": 1 / fan_in}[scheme]
            m.weight.normal_(0.0, math.sqrt(var))
        if m.bias is not None:
            m.bias.zero_()
    return model

"""Build an optimizer by name from a model, with the usual no-weight-decay groups.

Weight decay pulls weights toward zero to keep a layer's map small; on biases, normalisation
scales and shifts, and other 1-D parameters (a PReLU slope, a learnable Swish β) it only
fights the layer's offset or gain, so common practice (timm, nanoGPT) exempts them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from ._registry import spec

__all__ = ["create"]

# layers whose every parameter is a per-feature scale or shift (BatchNorm and InstanceNorm
# derive from _NormBase)
_NORMS: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._NormBase,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.LocalResponseNorm,
    *((nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ()),  # torch >= 2.4
)


def _groups(model: nn.Module) -> list[dict[str, Any]]:
    """Trainable parameters in two groups: decayed, and exempt (weight_decay 0)."""
    decay: list[nn.Parameter] = []
    exempt: list[nn.Parameter] = []
    seen: set[int] = set()  # a tied parameter is optimised once
    for module in model.modules():
        for name, p in module.named_parameters(recurse=False):
            if not p.requires_grad or id(p) in seen:
                continue
            seen.add(id(p))
            no_decay = p.ndim <= 1 or name == "bias" or isinstance(module, _NORMS)
            (exempt if no_decay else decay).append(p)
    groups = [{"params": decay}, {"params": exempt, "weight_decay": 0.0}]
    return [g for g in groups if g["params"]]


def create(
    params_or_model: nn.Module | Iterable[torch.Tensor] | Iterable[dict[str, Any]],
    name: str,
    *,
    lr: float | None = None,
    weight_decay: float | None = None,
    filter_bias_and_norm: bool = True,
    **hyper: Any,
) -> torch.optim.Optimizer:
    """The optimizer registered as ``name``, built over a model's or an iterable's parameters.

    Given an ``nn.Module``, its trainable parameters (``requires_grad``) are optimised; with a
    non-zero weight decay, biases, normalisation layers' parameters (BatchNorm, LayerNorm,
    GroupNorm, …) and every other 1-D parameter go into a second group with ``weight_decay``
    0 (``filter_bias_and_norm=False`` decays them all). An iterable of tensors is one group;
    an iterable of dicts is taken as torch's parameter groups. ``lr`` and ``weight_decay``
    default to the optimizer's own defaults (AdamW decays by 0.01, the others by 0); ``hyper``
    goes to the optimizer as is. An unknown name raises ``KeyError`` with the closest names,
    a bad value the optimizer's ``ValueError``, an argument it does not take a ``TypeError``.

    >>> import torch, actopt.optim as O
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.LayerNorm(8))
    >>> opt = O.create(model, "adamw", lr=1e-3, weight_decay=0.05)
    >>> [(len(g["params"]), g["weight_decay"]) for g in opt.param_groups]
    [(1, 0.05), (3, 0.0)]
    """
    s = spec(name)  # an unknown name fails first
    if lr is not None:
        hyper["lr"] = lr
    if weight_decay is not None:
        hyper["weight_decay"] = weight_decay
    # the decay is passed as the default, so the optimizer validates it; the group overrides it
    decay = hyper.get("weight_decay", s.defaults.get("weight_decay", 0))
    params: Any = params_or_model
    if isinstance(params_or_model, nn.Module):
        if filter_bias_and_norm and decay:
            params = _groups(params_or_model)
        else:
            params = [p for p in params_or_model.parameters() if p.requires_grad]
    return s.make(params, **hyper)

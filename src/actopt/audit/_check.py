"""What every audit check returns, and how the checks evaluate f and f' (exactly, no autograd)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from ..activations import ActivationSpec

__all__ = ["F64", "Check", "derivative", "training_module", "value"]

F64 = torch.float64


@dataclass
class Check:
    name: str
    status: str  # pass | warn | fail
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # the plain sentence the verdict quotes when this check counts against it


def training_module(spec: ActivationSpec) -> torch.nn.Module:
    """The module as training runs it, its parameters (if learnable) fixed at their values."""
    return spec.bind(learnable=False).module() if "learnable" in spec.values else spec.module()


def value(spec: ActivationSpec, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return spec.forward(x)


def derivative(spec: ActivationSpec, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return spec.derivative(x)

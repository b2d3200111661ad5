"""The optimizer registry: one frozen spec per optimizer, registered by one call."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import torch

from .._registry import Registry

__all__ = ["OptimizerSpec", "catalog_rows", "get", "names", "register", "spec"]


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer: its class, defaults, update rule and what it keeps per parameter."""

    name: str
    cls: type[torch.optim.Optimizer]
    summary: str
    # the torch.optim class and arguments that compute the same update, for parity tests
    torch_equivalent: tuple[type, dict[str, Any]] | None = None
    aliases: tuple[str, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        sig = inspect.signature(self.cls.__init__)
        found = {
            k: p.default
            for k, p in sig.parameters.items()
            if p.default is not inspect.Parameter.empty
            and k not in ("maximize", "foreach", "fused")
        }
        object.__setattr__(self, "defaults", found)

    @property
    def rule(self) -> str:
        return self.cls.rule

    @property
    def state_names(self) -> tuple[str, ...]:
        return self.cls.state_names

    @property
    def memory(self) -> str:
        """Optimizer state as a multiple of the parameter memory (optional buffers in [ ])."""
        sized = [s for s in self.state_names if not s.endswith("(scalar)")]
        always = sum(1 for s in sized if not s.startswith("["))
        optional = len(sized) - always
        text = f"{always}×" if always else "0"
        return text + (f" (+{optional}× optional)" if optional else "")

    @property
    def paths(self) -> list[str]:
        """How it can run: single-tensor and foreach always, fused where it has a kernel."""
        fused = "fused" in inspect.signature(self.cls.__init__).parameters
        return ["single-tensor", "foreach"] + (["fused"] if fused else [])

    @property
    def update(self) -> str:
        return inspect.cleandoc(self.cls.__doc__ or "")

    def make(self, params, **hyper: Any) -> torch.optim.Optimizer:
        return self.cls(params, **hyper)


_REGISTRY: Registry[OptimizerSpec] = Registry("optimizer", "actopt.optim.names()")


def register(s: OptimizerSpec) -> OptimizerSpec:
    return _REGISTRY.register(s.name, s.aliases, s)


def names(aliases: bool = False) -> list[str]:
    """Registered optimizer names, in catalog order."""
    return _REGISTRY.names(aliases)


def spec(name: str) -> OptimizerSpec:
    """The spec for ``name`` (or an alias); ``KeyError`` listing the closest names."""
    return _REGISTRY[name]


def get(name: str) -> type[torch.optim.Optimizer]:
    """The optimizer class registered as ``name``: ``get("nag")(model.parameters(), lr=0.1)``."""
    return spec(name).cls


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def catalog_rows() -> list[dict[str, Any]]:
    """One row per optimizer: the ``actopt optimizers`` table."""
    return [
        {
            "name": s.name,
            "rule": s.rule,
            "defaults": {k: _fmt(v) for k, v in s.defaults.items()},
            "state": list(s.state_names),
            "memory": s.memory,
            "paths": s.paths,
            "torch": s.torch_equivalent[0].__name__ if s.torch_equivalent else "",
            "reference": s.cls.reference,
        }
        for s in (_REGISTRY[n] for n in names())
    ]

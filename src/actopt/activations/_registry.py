"""The activation registry: one table of specs, filled by one ``register`` call per activation."""

from __future__ import annotations

from typing import Any

from torch import nn

from ._catalog import CATALOG as _REGISTRY
from ._formula import from_formula, looks_like_formula
from ._module import Activation
from ._spec import ActivationSpec

__all__ = ["get", "names", "register", "resolve", "spec"]


def register(s: ActivationSpec) -> ActivationSpec:
    """Add a spec under its name and aliases; a name already taken is refused."""
    return _REGISTRY.register(s.name, s.aliases, s)


def names(aliases: bool = False) -> list[str]:
    """Registered activation names in catalog order (with ``aliases=True``, aliases too)."""
    return _REGISTRY.names(aliases)


def resolve(name: str) -> str:
    """The canonical name for ``name`` or an alias; ``KeyError`` listing the closest names."""
    return _REGISTRY.resolve(name)


def spec(name: str, **params: Any) -> ActivationSpec:
    """The spec registered as ``name`` — or, when ``name`` is a formula such as
    ``"x*tanh(softplus(x))"``, the spec built from it — with ``params`` bound and validated."""
    if looks_like_formula(name):
        return from_formula(name, **params)
    s = _REGISTRY[name]
    return s.bind(**params) if params else s


def get(name: str, *, inplace: bool = False, **params: Any) -> nn.Module:
    """A ``torch.nn.Module`` for activation ``name`` with ``params``, usable in any model.

    ``inplace=True`` (timm passes it) overwrites the input where torch has an in-place kernel
    for the activation (relu, leaky_relu, elu, …) and is accepted and ignored elsewhere: the
    results are the same either way (see :class:`Activation`).

    >>> import torch, actopt.activations as A
    >>> A.get("leaky_relu", negative_slope=0.1)(torch.tensor([-1.0, 2.0]))
    tensor([-0.1000,  2.0000])
    >>> A.get("relu", inplace=True)
    Activation(relu, inplace=True)
    """
    return Activation(spec(name, **params), inplace=inplace)

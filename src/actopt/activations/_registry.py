"""The activation registry: one table of specs, filled by one ``register`` call per activation."""

from __future__ import annotations

import difflib
from typing import Any

from torch import nn

from ._spec import ActivationSpec

__all__ = ["get", "names", "register", "resolve", "spec"]

_SPECS: dict[str, ActivationSpec] = {}
_ALIASES: dict[str, str] = {}  # alias -> canonical name


def register(s: ActivationSpec) -> ActivationSpec:
    """Add a spec under its name and aliases; a name already taken is refused."""
    for key in (s.name, *s.aliases):
        if key != key.lower():
            raise ValueError(f"activation names are lower-case: {key!r}")
        if key in _SPECS or key in _ALIASES:
            raise ValueError(f"activation {key!r} is already registered")
    _SPECS[s.name] = s
    _ALIASES.update(dict.fromkeys(s.aliases, s.name))
    return s


def names(aliases: bool = False) -> list[str]:
    """Registered activation names in catalog order (with ``aliases=True``, aliases too)."""
    return [*_SPECS, *_ALIASES] if aliases else list(_SPECS)


def resolve(name: str) -> str:
    """The canonical name for ``name`` or an alias; ``KeyError`` listing the closest names."""
    key = name.strip().lower().replace("-", "_")
    if key in _SPECS:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    close = difflib.get_close_matches(key, names(aliases=True), n=4, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise KeyError(f"unknown activation {name!r}{hint} (see actopt.activations.names())")


def spec(name: str, **params: Any) -> ActivationSpec:
    """The spec registered as ``name``, with ``params`` bound and validated."""
    s = _SPECS[resolve(name)]
    return s.bind(**params) if params else s


def get(name: str, **params: Any) -> nn.Module:
    """A ``torch.nn.Module`` for activation ``name`` with ``params``, usable in any model.

    >>> import torch, actopt.activations as A
    >>> A.get("leaky_relu", negative_slope=0.1)(torch.tensor([-1.0, 2.0]))
    tensor([-0.1000,  2.0000])
    """
    return spec(name, **params).module()

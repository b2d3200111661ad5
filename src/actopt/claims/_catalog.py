"""The claims, in the issue's order: each family module registers its claims on import."""

from __future__ import annotations

from . import (  # noqa: F401  (imported for their registrations)
    _adaptive,
    _approximation,
    _choices,
    _descent,
    _escape,
    _gradients,
    _linear,
    _momentum,
    _regularise,
    _saturation,
    _speed,
    _units,
)
from ._claim import REGISTRY, Claim

__all__ = ["get", "names"]


def names() -> list[str]:
    """Every claim id, in the order of the list (nonlinearity, behaviour, optimizers)."""
    return sorted(REGISTRY.names(), key=lambda i: REGISTRY[i].number)


def get(claim_id: str) -> Claim:
    """The claim ``claim_id`` (``KeyError`` with the closest ids when there is none)."""
    return REGISTRY[claim_id]

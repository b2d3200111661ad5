"""The catalog table itself: canonical name → spec, below both the registry and formulas.

It sits under :mod:`._formula` (which calls catalog activations by name, ``relu(x) + 0.1*x``)
and :mod:`._registry` (which adds formulas to the names), so neither imports the other's user.
"""

from __future__ import annotations

from .._registry import Registry
from ._spec import ActivationSpec

__all__ = ["CATALOG"]

CATALOG: Registry[ActivationSpec] = Registry("activation", "actopt.activations.names()")

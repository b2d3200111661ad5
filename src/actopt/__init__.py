"""actopt: a laboratory for activation functions and optimizers.

The subpackages load on first use (PEP 562), so ``import actopt`` stays light: torch is
imported by the first subpackage that needs it, not before.

>>> import actopt
>>> actopt.activations.names()[:2]
['identity', 'step']
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# the public subpackages, loaded on first attribute access (the CLI is an entry point, not a
# library API); tests/test_package.py checks this against the folders on disk
__all__ = [
    "__version__",
    "activations",
    "audit",
    "bench",
    "claims",
    "data",
    "landscapes",
    "models",
    "optim",
    "playground",
    "report",
    "search",
    "train",
]
_SUBPACKAGES = frozenset(__all__) - {"__version__"}  # audit: a callable package

if TYPE_CHECKING:  # for type checkers and editors, which do not run __getattr__
    from . import (
        activations,
        audit,
        bench,
        claims,
        data,
        landscapes,
        models,
        optim,
        playground,
        report,
        search,
        train,
    )


def __getattr__(name: str) -> ModuleType:
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)  # also sets it on this module
    raise AttributeError(f"module 'actopt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

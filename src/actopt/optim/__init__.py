"""Optimizers as real ``torch.optim.Optimizer`` subclasses, built from shared update pieces.

>>> import actopt.optim as O
>>> O.names()[:3]
['sgd', 'momentum', 'nag']
>>> opt = O.get("adam")(model.parameters(), lr=1e-3)     # doctest: +SKIP
>>> opt = O.spec("adam").make(model.parameters(), lr=1e-3)  # the same       # doctest: +SKIP
>>> opt = O.create(model, "adamw", lr=1e-3, weight_decay=0.05)  # doctest: +SKIP
"""

# isort: off
# each family registers its specs when imported: this order is the catalog's
from ._sgd import NAG, SGD, Momentum
from ._adaptive import Adadelta, Adagrad, RMSprop
from ._adam import Adam, Adamax, AdamW, NAdam, RAdam
from ._lion import Lion

# isort: on
from ._base import ActoptOptimizer
from ._create import create
from ._registry import OptimizerSpec, catalog_rows, get, names, register, registered, spec

__all__ = [
    "NAG",
    "SGD",
    "ActoptOptimizer",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "Momentum",
    "NAdam",
    "OptimizerSpec",
    "RAdam",
    "RMSprop",
    "catalog_rows",
    "create",
    "get",
    "names",
    "register",
    "registered",
    "spec",
]

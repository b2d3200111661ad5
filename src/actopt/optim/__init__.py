"""Optimizers as real ``torch.optim.Optimizer`` subclasses, built from shared update pieces.

>>> import actopt.optim as O
>>> O.names()[:3]
['sgd', 'momentum', 'nag']
>>> opt = O.get("adam")(model.parameters(), lr=1e-3)     # doctest: +SKIP
>>> opt = O.create(model, "adamw", lr=1e-3, weight_decay=0.05)  # doctest: +SKIP
"""

import torch

from ._adam import Adam, Adamax, AdamW, NAdam, RAdam
from ._adaptive import Adadelta, Adagrad, RMSprop
from ._base import ActoptOptimizer
from ._create import create
from ._lion import Lion
from ._registry import OptimizerSpec, catalog_rows, get, names, register, spec
from ._sgd import NAG, SGD, Momentum

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
    "spec",
]

T = torch.optim
for _spec in (
    OptimizerSpec(
        "sgd",
        SGD,
        "Plain gradient descent (batch, stochastic or mini-batch).",
        (T.SGD, {}),
        aliases=("gd",),
    ),
    OptimizerSpec(
        "momentum",
        Momentum,
        "Heavy-ball momentum.",
        (T.SGD, {"momentum": 0.9}),
        aliases=("heavy_ball",),
    ),
    OptimizerSpec(
        "nag",
        NAG,
        "Nesterov accelerated gradient.",
        (T.SGD, {"momentum": 0.9, "nesterov": True}),
        aliases=("nesterov",),
    ),
    OptimizerSpec(
        "adagrad", Adagrad, "Per-coordinate steps shrinking with summed g².", (T.Adagrad, {})
    ),
    OptimizerSpec(
        "adadelta", Adadelta, "AdaGrad with a window and unit-matched steps.", (T.Adadelta, {})
    ),
    OptimizerSpec("rmsprop", RMSprop, "Divide by a running RMS of gradients.", (T.RMSprop, {})),
    OptimizerSpec("adam", Adam, "Bias-corrected momentum over running RMS.", (T.Adam, {})),
    OptimizerSpec("adamw", AdamW, "Adam with decoupled weight decay.", (T.AdamW, {})),
    OptimizerSpec("nadam", NAdam, "Adam with Nesterov momentum.", (T.NAdam, {})),
    OptimizerSpec(
        "radam", RAdam, "Adam with a rectified warm-up of the adaptive step.", (T.RAdam, {})
    ),
    OptimizerSpec("adamax", Adamax, "Adam with the infinity norm.", (T.Adamax, {})),
    OptimizerSpec("lion", Lion, "Sign of interpolated momentum (program search).", None),
):
    register(_spec)
del _spec, T

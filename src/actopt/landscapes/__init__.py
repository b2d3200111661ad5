"""Optimizer landscapes: 2-D test functions, trajectories and their pictures.

>>> import actopt.landscapes as L
>>> fn = L.function("rosenbrock")
>>> t = L.run_optimizer(fn, "adam", lr=0.1, steps=300)
>>> t.final_distance < 0.1
True
"""

from ._functions import TestFunction, function, names, register
from ._plot import plot_contour, plot_gif, plot_surface
from ._run import DEFAULT_LR_GRID, Trajectory, check_race, run_optimizer, tune

__all__ = [
    "DEFAULT_LR_GRID",
    "TestFunction",
    "Trajectory",
    "check_race",
    "function",
    "names",
    "plot_contour",
    "plot_gif",
    "plot_surface",
    "register",
    "run_optimizer",
    "tune",
]

"""The bench: grids of activation × optimizer × dataset × seed, a result store, statistics.

>>> from actopt.bench import grid_from_dict, run_grid, load, leaderboard
>>> grid = grid_from_dict({"act": ["relu", "tanh"], "seeds": 3, "epochs": 5})
>>> run_grid(grid, "out")                                # doctest: +SKIP
>>> leaderboard(load("out"), baseline="relu/adam")      # doctest: +SKIP
"""

from ._grid import DEFAULT_GRID, Grid, OptConfig, grid_from_dict, load_grid
from ._runner import BenchError, BenchInterrupted, Summary, run_grid
from ._stats import ALPHA, config_label, leaderboard, load, to_frame
from ._store import FINAL_STATUSES, Store

__all__ = [
    "ALPHA",
    "DEFAULT_GRID",
    "FINAL_STATUSES",
    "BenchError",
    "BenchInterrupted",
    "Grid",
    "OptConfig",
    "Store",
    "Summary",
    "config_label",
    "grid_from_dict",
    "leaderboard",
    "load",
    "load_grid",
    "run_grid",
    "to_frame",
]

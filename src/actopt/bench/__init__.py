"""The bench: grids of activation × optimizer × dataset × seed, a result store, statistics.

>>> from actopt.bench import grid_from_dict, run_grid, load, leaderboard
>>> grid = grid_from_dict({"act": ["relu", "tanh"], "seeds": 3, "epochs": 5})
>>> run_grid(grid, "out")                                # doctest: +SKIP
>>> leaderboard(load("out"), baseline=grid.baseline)     # doctest: +SKIP

Reading a store (``Store``, ``load``, ``leaderboard``) imports no training stack: the parts
that train (grids, runners, ``compare_activations``) load on first use.
"""

from importlib import import_module
from typing import Any

from ._stats import ALPHA, config_label, leaderboard, load, to_frame
from ._store import FINAL_STATUSES, Store

_LAZY = {
    **dict.fromkeys(
        ("DEFAULT_GRID", "Grid", "grid_from_dict", "grid_with_overrides", "load_grid", "read_grid"),
        "_grid",
    ),
    **dict.fromkeys(
        ("BenchError", "BenchInterrupted", "Summary", "run_grid", "run_specs"), "_runner"
    ),
    "compare_activations": "_compare",
}

__all__ = [
    "ALPHA",
    "DEFAULT_GRID",
    "FINAL_STATUSES",
    "BenchError",
    "BenchInterrupted",
    "Grid",
    "Store",
    "Summary",
    "compare_activations",
    "config_label",
    "grid_from_dict",
    "grid_with_overrides",
    "leaderboard",
    "load",
    "load_grid",
    "read_grid",
    "run_grid",
    "run_specs",
    "to_frame",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value

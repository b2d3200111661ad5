"""The bench: grids of activation × optimizer × dataset × seed, a result store, statistics.

>>> from actopt.bench import grid_from_dict, run_grid, load, leaderboard
>>> grid = grid_from_dict({"act": ["relu", "tanh"], "seeds": 3, "epochs": 5})
>>> run_grid(grid, "out")                                # doctest: +SKIP
>>> leaderboard(load("out"), baseline=grid.baseline)     # doctest: +SKIP

Reading a store (``Store``, ``load``, ``leaderboard``) imports no training stack: the parts
that train (grids, runners, ``compare_activations``) load on first use. From a script, call
``run_grid`` under ``if __name__ == "__main__":``: as with any process pool, each worker imports
the script's module, and a bench started at its top level would start again there.
"""

from importlib import import_module
from typing import Any

# everything loads on first use: a pool worker imports ``_worker`` through this package and must
# not wait for pandas before it arms its parent-death signal
_LAZY = {
    **dict.fromkeys(
        (
            "ALPHA",
            "NOT_RUN",
            "VERDICTS",
            "config_label",
            "holm",
            "leaderboard",
            "load",
            "run_spec",
            "seed_test",
            "spec_labels",
            "t_interval",
            "to_frame",
            "unique_labels",
            "verdict",
        ),
        "_stats",
    ),
    **dict.fromkeys(("FINAL_STATUSES", "Store", "StoreError"), "_store"),
    **dict.fromkeys(
        (
            "DEFAULT_GRID",
            "Grid",
            "grid_from_dict",
            "grid_with_overrides",
            "load_grid",
            "parse_opt_label",
            "read_grid",
        ),
        "_grid",
    ),
    **dict.fromkeys(
        ("BenchError", "BenchInterrupted", "Summary", "run_grid", "run_specs"), "_runner"
    ),
    "compare_activations": "_compare",
    **dict.fromkeys(("pool_context", "start_pool_server"), "_worker"),
}

__all__ = [
    "ALPHA",
    "DEFAULT_GRID",
    "FINAL_STATUSES",
    "NOT_RUN",
    "VERDICTS",
    "BenchError",
    "BenchInterrupted",
    "Grid",
    "Store",
    "StoreError",
    "Summary",
    "compare_activations",
    "config_label",
    "grid_from_dict",
    "grid_with_overrides",
    "holm",
    "leaderboard",
    "load",
    "load_grid",
    "parse_opt_label",
    "pool_context",
    "read_grid",
    "run_grid",
    "run_spec",
    "run_specs",
    "seed_test",
    "spec_labels",
    "start_pool_server",
    "t_interval",
    "to_frame",
    "unique_labels",
    "verdict",
]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

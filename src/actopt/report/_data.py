"""What every report reads: the store opened read-only, the runs of the grid last asked for,
the runs of other grids apart, the leaderboard, the tuning choices and the environment."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .._numbers import counted
from ..bench import NOT_RUN, Store, StoreError, grid_from_dict, leaderboard, to_frame

__all__ = ["Bench", "read_bench"]


@dataclass
class Bench:
    """One bench folder as the reports see it."""

    out: Path
    grid: dict[str, Any]  # the grid as asked (defaults filled in)
    df: pd.DataFrame  # the runs of that grid
    board: pd.DataFrame  # its leaderboard
    others: pd.DataFrame  # runs in the store from other grids (not in any statistic)
    tuning: dict[str, Any] | None = None
    env: dict[str, Any] = field(default_factory=dict)

    @property
    def baseline(self) -> str | None:
        return self.grid.get("baseline")

    def sections(self) -> list[tuple[str, str, pd.DataFrame, pd.DataFrame]]:
        """(dataset, model, its runs, its leaderboard) in the leaderboard's order."""
        out = []
        for (data, model), part in self.board.groupby(["data", "model"], sort=False):
            runs = self.df[(self.df["data"] == data) & (self.df["model"] == model)]
            out.append((data, model, runs, part))
        return out


# the folders other commands fill through the bench's store, and how each is reported
_OTHER_FOLDERS = {
    "claims": "a claims folder ({n} runs); 'actopt claims --out {out}' (with the options it ran "
              "with) reports it from the store, and its page is {out}/claims.html",
    "search": "a search folder ({n} runs); its page is {out}/search.html, and 'actopt search "
              "--out {out}' (with the options it ran with) prints its leaderboard",
}  # fmt: skip


def _not_a_bench(roles: dict[str, set[str]], measured: int, out: Path) -> str:
    """Why a store holds no bench run: nothing finished yet, or it is another command's (a
    claims folder may hold only measurements: timings, landscapes, no training)."""
    for role, text in _OTHER_FOLDERS.items():
        n = sum(any(r.startswith(role) for r in rs) for rs in roles.values())
        if n:
            return "no bench runs: this is " + text.format(n=n, out=out)
    if measured:
        text = _OTHER_FOLDERS["claims"].replace("{n} runs", "{n}")
        return "no bench runs: this is " + text.format(n=counted(measured, "measurement"), out=out)
    return "no finished runs yet"


def _measurements(store: Store) -> int:
    """Rows of the claims' measurement table, 0 where the store has none."""
    try:
        return store.db.execute("SELECT COUNT(*) FROM claim_measurements").fetchone()[0]
    except sqlite3.Error:
        return 0


def read_bench(out: str | Path) -> Bench:
    """``out``'s store, read-only. ``StoreError`` (one line naming the file) when there is no
    store, it is damaged, or it holds no finished run yet."""
    out = Path(out)
    with Store(out, readonly=True) as store:
        grid = store.get_meta("grid") or {}
        tuning = store.get_meta("tuning")
        run_ids = store.get_meta("run_ids")
        rows = store.rows("run")
        roles = store.roles() if not rows else {}
        measured = _measurements(store) if not rows else 0
    if not rows:
        raise StoreError(f"{store.path}: {_not_a_bench(roles, measured, out)}")
    df = to_frame(rows, grid.get("target_acc"))
    mine = df["run_id"].isin(run_ids) if run_ids is not None else pd.Series(True, df.index)
    if not mine.any():  # a grid whose runs have not landed yet: nothing of it to show
        raise StoreError(f"{store.path}: no finished runs yet of the grid last asked for")
    df, others = df[mine].reset_index(drop=True), df[~mine].reset_index(drop=True)
    missing = _not_run(grid, tuning, run_ids, set(df["run_id"]))
    board = leaderboard(pd.concat([df, to_frame(missing)]) if missing else df, grid.get("baseline"))
    env = rows[-1]["env"] or {}
    return Bench(out, grid, df, board, others, tuning, env)


def _not_run(grid: dict, tuning: dict | None, run_ids: list | None, stored: set) -> list[dict]:
    """Store-like rows (status ``not run``) for the grid's runs that are in no store yet: a
    bench stopped before it started them. The leaderboard shows their configs as not run rather
    than leaving them out; none where the grid cannot be rebuilt (a store of another version).
    Rebuilding the grid's specs imports the training stack: only a stopped bench pays that."""
    if not grid or run_ids is None or not set(run_ids) - stored:
        return []
    try:
        g = grid_from_dict({k: v for k, v in grid.items() if k != "data_dir"})
    except (ValueError, TypeError, KeyError):
        return []
    runs = g.runs
    if g.tune:  # the tuned lr of each config tuning finished; the others at their first lr
        lrs = {key: c.get("lr") for key, c in (tuning or {}).items()}
        runs = g.final_runs({g.key(c): c.replace(lr=lrs[g.key(c)]) for c in g.configs
                             if lrs.get(g.key(c)) is not None})  # fmt: skip
    wanted = set(run_ids) - stored
    empty = dict.fromkeys(("final", "history", "diagnostics", "error", "host", "finished"))
    return [{**empty, "run_id": s.run_id, "role": "run", "status": NOT_RUN, "spec": s.to_dict(),
             "opt_label": s.opt_label} for s in runs if s.run_id in wanted]  # fmt: skip

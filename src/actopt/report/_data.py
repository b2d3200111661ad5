"""What every report reads: the store opened read-only, the runs of the grid last asked for,
the runs of other grids apart, the leaderboard, the tuning choices and the environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..bench import Store, StoreError, leaderboard, to_frame

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


def _not_a_bench(roles: dict[str, set[str]], out: Path) -> str:
    """Why a store holds no bench run: nothing finished yet, or it is another command's."""
    for role, text in _OTHER_FOLDERS.items():
        n = sum(any(r.startswith(role) for r in rs) for rs in roles.values())
        if n:
            return "no bench runs: this is " + text.format(n=n, out=out)
    return "no finished runs yet"


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
    if not rows:
        raise StoreError(f"{store.path}: {_not_a_bench(roles, out)}")
    df = to_frame(rows, grid.get("target_acc"))
    mine = df["run_id"].isin(run_ids) if run_ids is not None else pd.Series(True, df.index)
    if not mine.any():  # a grid whose runs have not landed yet: nothing of it to show
        raise StoreError(f"{store.path}: no finished runs yet of the grid last asked for")
    df, others = df[mine].reset_index(drop=True), df[~mine].reset_index(drop=True)
    board = leaderboard(df, grid.get("baseline"))
    env = rows[-1]["env"] or {}
    return Bench(out, grid, df, board, others, tuning, env)

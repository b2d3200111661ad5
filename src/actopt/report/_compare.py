"""``actopt compare OUT1 OUT2``: two benches side by side, the same configs matched.

Configs are matched by (dataset, model, config label); for each, the mean test accuracy in
both, the difference (second − first), a t-test over seeds (paired on common seeds, Welch's
otherwise) and its p Holm-adjusted over the configs matched. Configs found in one bench only
are listed apart. Matched configs whose runs differ in anything else (batch size, epochs, lr,
width, …) say so in ``differs``.

>>> compare_benches("bench-a", "bench-b")[["config", "diff", "p_holm"]]   # doctest: +SKIP
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from ..bench import holm, seed_test, unique_labels, verdict
from ._columns import Column, fmt_num, fmt_pct
from ._data import read_bench

__all__ = ["COMPARISON", "compare_benches"]

_KEY = ["data", "model", "config"]


def compare_benches(first: str | Path, second: str | Path) -> pd.DataFrame:
    """One row per config: ``acc_1``, ``acc_2``, ``diff``, ``seeds_1``/``seeds_2`` (ok runs),
    ``runs_1``/``runs_2`` (all its runs) and ``not_ok_1``/``not_ok_2`` (``"3 diverged"``: the
    others by status), ``test``, ``p_value``, ``p_holm``,
    ``verdict`` (``second better`` / ``second worse`` / ``tie`` / ``n/a …``: the words of
    ``bench.verdict``, as the leaderboard and search say them), ``only``
    (``""``, ``"first"`` or ``"second"`` for configs found in one bench only) and ``differs``
    (``"batch_size 128 (1) vs 64 (2)"``: the spec fields in which matched configs differ)."""
    a, b = read_bench(first), read_bench(second)
    board_a = a.board.set_index(_KEY)
    board_b = b.board.set_index(_KEY)
    keys = list(dict.fromkeys([*board_a.index, *board_b.index]))
    rows = []
    for key in keys:
        in_a, in_b = key in board_a.index, key in board_b.index
        row = dict(zip(_KEY, key, strict=True))
        row.update(acc_1=board_a.loc[key, "test_acc"] if in_a else math.nan,
                   acc_2=board_b.loc[key, "test_acc"] if in_b else math.nan,
                   seeds_1=int(board_a.loc[key, "ok"]) if in_a else 0,
                   seeds_2=int(board_b.loc[key, "ok"]) if in_b else 0,
                   only="" if in_a and in_b else "first" if in_a else "second",
                   p_value=math.nan, test="", verdict="", differs="")  # fmt: skip
        row["diff"] = row["acc_2"] - row["acc_1"]
        for i, (x, there) in enumerate(((a, in_a), (b, in_b)), start=1):
            row[f"runs_{i}"], row[f"not_ok_{i}"] = _counts(_runs(x.df, key)) if there else (0, "")
        if in_a and in_b:
            row["differs"] = _differs(*(_runs(x.df, key) for x in (a, b)))
            runs = [_ok(x.df, key) for x in (a, b)]
            if min(len(r) for r in runs) == 0:
                row["verdict"] = "n/a (no ok runs)"
            else:
                p, _, test = seed_test(runs[1], runs[0])
                row["p_value"], row["test"] = p, test
                if math.isnan(p):
                    row["verdict"] = "n/a (1 seed)"
        rows.append(row)
    table = pd.DataFrame(rows)
    tested = table["p_value"].notna()
    table["p_holm"] = math.nan
    table.loc[tested, "p_holm"] = holm(table.loc[tested, "p_value"])
    for i in table.index[tested]:
        said = verdict(table.at[i, "p_holm"], table.at[i, "diff"])
        table.at[i, "verdict"] = said if said == "tie" else f"second {said}"
    return table


def _diff(r: Any) -> str:
    return "—" if math.isnan(r["diff"]) else f"{r['diff'] * 100:+.2f} pt"


# the columns ``actopt compare`` prints, per (dataset, model), from a row of compare_benches
COMPARISON: tuple[Column, ...] = (
    Column("config", lambda r: str(r["config"]), align="left", whole=False, key="config"),
    Column("acc 1", lambda r: fmt_pct(r["acc_1"]), key="acc_1"),
    Column("acc 2", lambda r: fmt_pct(r["acc_2"]), key="acc_2"),
    Column("2 − 1", _diff, key="diff"),
    Column("ok/runs", lambda r: f"{_side(r, 1)} · {_side(r, 2)}", key="seeds_1",
           fields=("seeds_1", "runs_1", "seeds_2", "runs_2")),
    Column("test", lambda r: r["test"] or "—", align="left", whole=False, key="test"),
    Column("p", lambda r: fmt_num(r["p_value"], ".2g"), key="p_value"),
    Column("p (Holm)", lambda r: fmt_num(r["p_holm"], ".2g"), key="p_holm"),
    Column("verdict", lambda r: r["verdict"] or f"only in {r['only']}", align="left",
           key="verdict"),
)  # fmt: skip


def _side(r: Any, i: int) -> str:
    """One bench's ok runs of a config over its runs, and why the others are not ok:
    ``3/3``, ``0/3 (3 diverged)``; ``—`` where the bench has no such config."""
    if not r[f"runs_{i}"]:
        return "—"
    why = r[f"not_ok_{i}"]
    return f"{r[f'seeds_{i}']}/{r[f'runs_{i}']}" + (f" ({why})" if why else "")


def _counts(runs: pd.DataFrame) -> tuple[int, str]:
    """How many runs a config has, and its runs that are not ok by status: ``3 diverged``."""
    statuses = runs.loc[runs["status"] != "ok", "status"].value_counts()
    return len(runs), ", ".join(f"{n} {status}" for status, n in statuses.items())


def _runs(df: pd.DataFrame, key: tuple) -> pd.DataFrame:
    data, model, config = key

    df = df.assign(config=unique_labels(df))
    return df[(df["data"] == data) & (df["model"] == model) & (df["config"] == config)]


def _ok(df: pd.DataFrame, key: tuple) -> pd.DataFrame:
    runs = _runs(df, key)
    return runs[runs["status"] == "ok"]


def _differs(first: pd.DataFrame, second: pd.DataFrame) -> str:
    """The spec fields (the seed aside) in which two matched configs' runs differ."""
    cols = list(first.columns)  # to_frame's order: run_id, role, status, the spec, opt_label…
    spec = cols[cols.index("status") + 1 : cols.index("opt_label")]
    said = []
    for field in spec:
        # the spec's diagnostics flag shares its column with the diagnostics measured
        if field in ("seed", "diagnostics") or field not in second.columns:
            continue
        va, vb = (sorted({str(v) for v in x[field]}) for x in (first, second))
        if va != vb:
            said.append(f"{field} {', '.join(va)} (1) vs {', '.join(vb)} (2)")
    return "; ".join(said)

"""From stored runs to numbers: a DataFrame of runs, per-config statistics over seeds, and
comparisons against a baseline that say "tie" when the difference is not significant."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._store import Store

__all__ = ["ALPHA", "config_label", "leaderboard", "load", "to_frame"]

ALPHA = 0.05  # significance level for "better" / "worse"
_METRICS = (
    "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "gen_gap",
    "samples_per_s", "wall_s", "dead_fraction", "saturated_fraction", "parameters",
)  # fmt: skip


def _opt_label(row: dict) -> str:
    """The optimizer's label as stored with the run; a row from before labels were kept is
    named by its optimizer and every hyper-parameter it stored."""
    if row.get("opt_label"):
        return row["opt_label"]
    spec = row["spec"]
    extra = ",".join(f"{k}={v}" for k, v in sorted(spec["opt_params"].items()))
    return spec["opt"] + (f"({extra})" if extra else "")


def config_label(row: dict) -> str:
    """``act/opt`` — the grid's own label for a stored run's config (seed and lr aside)."""
    act = row["spec"]["act"]
    return f"{act if isinstance(act, str) else ','.join(act)}/{_opt_label(row)}"


def _to_target(history: list[dict], target: float | None) -> tuple[float, float]:
    """First epoch (and elapsed seconds) whose test accuracy reaches ``target``; NaN if never."""
    if target is None:
        return math.nan, math.nan
    for row in history:
        if row.get("test_acc") is not None and row["test_acc"] >= target:
            return float(row["epoch"]), float(row["elapsed_s"])
    return math.nan, math.nan


def to_frame(rows: list[dict[str, Any]], target_acc: float | None = None) -> pd.DataFrame:
    records = []
    for row in rows:
        spec, final = row["spec"], row["final"] or {}
        rec: dict[str, Any] = {"run_id": row["run_id"], "role": row["role"],
                               "status": row["status"]}  # fmt: skip
        for k, v in spec.items():
            rec[k] = json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v
        rec["act"] = spec["act"] if isinstance(spec["act"], str) else ",".join(spec["act"])
        rec["opt_label"] = _opt_label(row)
        rec["config"] = config_label(row)
        for m in _METRICS:
            v = final.get(m)
            rec[m] = float(v) if isinstance(v, (int, float)) else math.nan
        rec["epochs_to_target"], rec["time_to_target_s"] = _to_target(row["history"] or [],
                                                                      target_acc)  # fmt: skip
        rec["error"] = row["error"]
        rec["host"], rec["finished"] = row["host"], row["finished"]
        rec["history"] = row["history"] or []
        rec["diagnostics"] = row["diagnostics"] or []
        records.append(rec)
    return pd.DataFrame.from_records(records)


def load(out: str | Path, role: str | None = "run") -> pd.DataFrame:
    """All runs in ``out``'s store as one DataFrame: a column per spec field and final metric.

    ``role="tune"`` gives the learning-rate search runs, ``None`` both.
    """
    path = Path(out) / "actopt.db"
    if not path.exists():
        raise FileNotFoundError(f"no results in {out} (expected {path}); run 'actopt bench' first")
    with Store(out) as store:
        grid = store.get_meta("grid") or {}
        rows = store.rows(role)
    return to_frame(rows, grid.get("target_acc"))


def _ci(values: np.ndarray) -> tuple[float, float]:
    n = len(values)
    if n < 2:
        return math.nan, math.nan
    half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)
    return float(values.mean() - half), float(values.mean() + half)


def _compare(a: pd.DataFrame, b: pd.DataFrame) -> tuple[str, float, str]:
    """(better | worse | tie, p-value, test) for config ``a`` against baseline ``b``."""
    xa, xb = a.set_index("seed")["test_acc"], b.set_index("seed")["test_acc"]
    common = xa.index.intersection(xb.index)
    if len(common) >= 2 and len(common) == len(xa) == len(xb):
        diff = (xa[common] - xb[common]).to_numpy()
        test = "paired t-test"
        p = 1.0 if np.allclose(diff, diff[0]) and abs(diff[0]) < 1e-12 else (
            float(stats.ttest_rel(xa[common], xb[common]).pvalue))  # fmt: skip
        delta = float(diff.mean())
    elif len(xa) >= 2 and len(xb) >= 2:
        test = "Welch t-test"
        p = float(stats.ttest_ind(xa, xb, equal_var=False).pvalue)
        delta = float(xa.mean() - xb.mean())
    else:
        return "tie", math.nan, "too few seeds"
    if math.isnan(p):  # zero variance on both sides: equal or all-different
        p = 0.0 if abs(delta) > 1e-12 else 1.0
    if p >= ALPHA:
        return "tie", p, test
    return ("better" if delta > 0 else "worse"), p, test


def leaderboard(df: pd.DataFrame, baseline: str | None = None) -> pd.DataFrame:
    """Per config over seeds: mean/std/95% CI of test accuracy and the other metrics, a rank,
    and (with ``baseline``) better / worse / tie against it with the test and its p-value."""
    rows = []
    for (data, model, config), g in df.groupby(["data", "model", "config"], sort=False):
        ok = g[g["status"] == "ok"]
        acc = ok["test_acc"].to_numpy()
        lo, hi = _ci(acc)
        rows.append({
            "data": data, "model": model, "config": config,
            "lr": float(g["lr"].iloc[0]) if g["lr"].notna().all() else math.nan,
            "seeds": len(g), "ok": len(ok), "failed": int((g["status"] != "ok").sum()),
            "test_acc": float(acc.mean()) if len(acc) else math.nan,
            "test_acc_std": float(acc.std(ddof=1)) if len(acc) > 1 else math.nan,
            "ci_low": lo, "ci_high": hi,
            "test_loss": float(ok["test_loss"].mean()) if len(ok) else math.nan,
            "epochs_to_target": float(ok["epochs_to_target"].mean()) if len(ok) else math.nan,
            "reached_target": int(ok["epochs_to_target"].notna().sum()),
            "time_to_target_s": float(ok["time_to_target_s"].mean()) if len(ok) else math.nan,
            "gen_gap": float(ok["gen_gap"].mean()) if len(ok) else math.nan,
            "dead_fraction": float(ok["dead_fraction"].mean()) if len(ok) else math.nan,
            "wall_s": float(g["wall_s"].mean()),
        })  # fmt: skip
    board = pd.DataFrame(rows)
    if board.empty:
        return board
    board["rank"] = board.groupby(["data", "model"])["test_acc"].rank(ascending=False,
                                                                     method="min")  # fmt: skip
    board["vs_baseline"], board["p_value"], board["test"] = "", math.nan, ""
    if baseline is not None:
        for (data, model), part in board.groupby(["data", "model"]):
            base = df[(df["data"] == data) & (df["model"] == model) & (df["config"] == baseline)
                      & (df["status"] == "ok")]  # fmt: skip
            if base.empty:
                continue
            for i in part.index:
                cfg = board.at[i, "config"]
                if cfg == baseline:
                    board.at[i, "vs_baseline"] = "baseline"
                    continue
                mine = df[(df["data"] == data) & (df["model"] == model) & (df["config"] == cfg)
                          & (df["status"] == "ok")]  # fmt: skip
                verdict, p, test = _compare(mine, base)
                board.at[i, "vs_baseline"], board.at[i, "p_value"], board.at[i, "test"] = (
                    verdict, p, test)  # fmt: skip
    return board.sort_values(["data", "model", "rank"]).reset_index(drop=True)

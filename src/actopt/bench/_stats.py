"""From stored runs to numbers: a DataFrame of runs, per-config statistics over seeds, and
comparisons against a baseline that a reviewer accepts.

- A config is a full spec less its seed (``config_id``): runs that differ in anything else
  (epochs, width, lr) are never pooled, even under one label.
- Every statistic is per (dataset, model).
- The 95% CI of the mean test accuracy is Student's t interval; where it reaches past [0, 1]
  it is clipped to the bounds and flagged (``ci_clipped``). One ok seed has no interval and no
  test: ``n/a (1 seed)``.
- Each config is compared with the baseline by a paired t-test over common seeds (Welch's
  t-test when the seeds differ; where the seeds leave no spread to test with — every paired
  difference equal, or both sides flat — the exact sign or rank test, never an infinite t);
  the p-values of one (dataset, model) are Holm-adjusted over the configs compared there, and
  only the adjusted p decides better / worse / tie.
- A config with no ok run is labelled ``no ok runs``, never ``tie``.
"""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special

from ._store import Store

if TYPE_CHECKING:
    from ..train import RunSpec

__all__ = ["ALPHA", "NOT_RUN", "VERDICTS", "config_label", "holm", "leaderboard", "load",
           "run_spec", "seed_test", "spec_labels", "t_interval", "to_frame", "unique_labels",
           "verdict"]  # fmt: skip

ALPHA = 0.05  # family-wise significance level for "better" / "worse" (after Holm)
# every verdict a leaderboard row can carry
VERDICTS = ("baseline", "better", "worse", "tie", "n/a (1 seed)", "no ok runs",
            "n/a (baseline failed)", "not run yet")  # fmt: skip
NOT_RUN = "not run"  # the status of a grid's run that is in no store yet (a bench stopped early)
_PENDING = (NOT_RUN, "interrupted")  # not finished: the same command trains them again
_METRICS = (
    "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "gen_gap",
    "samples_per_s", "wall_s", "dead_fraction", "saturated_fraction", "parameters",
)  # fmt: skip
_BASE_COLUMNS = ("run_id", "role", "status", "data", "model", "act", "opt", "lr", "seed",
                 "opt_label", "config", "config_id", *_METRICS, "target_acc",
                 "epochs_to_target", "time_to_target_s", "error", "host", "finished", "history",
                 "diagnostics", "diag_records", "spec")  # fmt: skip


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


def _config_id(spec: dict) -> str:
    """The spec less its seed, hashed: one config, however many seeds."""
    rest = {k: v for k, v in spec.items() if k != "seed"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()[:12]


def _to_target(history: list[dict], target: float | None) -> tuple[float, float]:
    """First epoch (and elapsed seconds) whose test accuracy reaches ``target``; NaN if never."""
    if target is None:
        return math.nan, math.nan
    for row in history:
        if row.get("test_acc") is not None and row["test_acc"] >= target:
            return float(row["epoch"]), float(row["elapsed_s"])
    return math.nan, math.nan


def to_frame(rows: list[dict[str, Any]], target_acc: float | None = None) -> pd.DataFrame:
    """One row per run: every spec field, every final metric, ``config`` (its label),
    ``config_id`` (its full spec less the seed), ``target_acc`` (NaN: none) and the first epoch
    and second whose test accuracy reached it (NaN: never reached)."""
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
        rec["config_id"] = _config_id(spec)
        for m in _METRICS:
            v = final.get(m)
            rec[m] = float(v) if isinstance(v, (int, float)) else math.nan
        rec["target_acc"] = math.nan if target_acc is None else float(target_acc)
        rec["epochs_to_target"], rec["time_to_target_s"] = _to_target(row["history"] or [],
                                                                      target_acc)  # fmt: skip
        rec["error"] = row["error"]
        rec["host"], rec["finished"] = row["host"], row["finished"]
        rec["history"] = row["history"] or []
        # the measured records; ``diagnostics`` keeps them too, as older scripts read them, so the
        # spec's flag of that name is in ``spec`` (``run_spec`` rebuilds the RunSpec from it)
        rec["diag_records"] = rec["diagnostics"] = row["diagnostics"] or []
        rec["spec"] = spec
        records.append(rec)
    return pd.DataFrame.from_records(records, columns=None if records else list(_BASE_COLUMNS))


def run_spec(row: Any) -> RunSpec:
    """The ``RunSpec`` a row of ``load``/``to_frame`` was trained from (its ``run_id`` again),
    from the row's ``spec`` column: the spec as stored, every field as given.

    >>> specs = [run_spec(row) for _, row in load("bench-out").iterrows()]   # doctest: +SKIP
    """
    from ..train import RunSpec

    return RunSpec.from_dict(row["spec"])


def load(out: str | Path, role: str | None = "run") -> pd.DataFrame:
    """All runs in ``out``'s store as one DataFrame: a column per spec field and final metric,
    and ``in_grid``: whether the run belongs to the grid last asked for in ``out``.

    ``history`` and ``diag_records`` hold each run's per-epoch records (metrics, and the
    diagnostics measured: dead units, gradient norms…); ``diagnostics`` holds those records too,
    for scripts written before ``diag_records``, so the spec's flag of that name is not a column:
    ``spec`` holds the whole spec as stored, and ``run_spec(row)`` rebuilds each row's RunSpec.

    ``role="tune"`` gives the learning-rate search runs, ``None`` every run. The store is
    opened read-only; a missing one raises ``FileNotFoundError``.
    """
    path = Path(out) / "actopt.db"
    if not path.exists():
        raise FileNotFoundError(f"no results in {out} (expected {path}); run 'actopt bench' first")
    with Store(out, readonly=True) as store:
        grid = store.get_meta("grid") or {}
        rows = store.rows(role)
        run_ids = store.get_meta("run_ids")
    df = to_frame(rows, grid.get("target_acc"))
    df["in_grid"] = df["run_id"].isin(run_ids) if run_ids is not None else True
    return df


def t_interval(values: Sequence[float]) -> tuple[float, float]:
    """Student's t 95% interval of the mean of ``values``; NaN bounds under two values."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n < 2:
        return math.nan, math.nan
    half = special.stdtrit(n - 1, 0.975) * values.std(ddof=1) / math.sqrt(n)
    return float(values.mean() - half), float(values.mean() + half)


def _ci(values: np.ndarray) -> tuple[float, float, bool]:
    """``t_interval`` clipped to [0, 1] (an accuracy's range); whether it was clipped."""
    lo, hi = t_interval(values)
    if math.isnan(lo):
        return lo, hi, False
    return max(lo, 0.0), min(hi, 1.0), lo < 0.0 or hi > 1.0


def seed_test(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, float, str]:
    """(p-value, mean difference, test) for config ``a`` against baseline ``b``; NaN p when no
    test is possible (fewer than two seeds)."""
    with warnings.catch_warnings():  # near-identical seeds: scipy warns, the p-value stands
        warnings.simplefilter("ignore", RuntimeWarning)
        return _seed_test(a, b)


def _seed_test(a: pd.DataFrame, b: pd.DataFrame) -> tuple[float, float, str]:
    xa, xb = a.set_index("seed")["test_acc"], b.set_index("seed")["test_acc"]
    common = xa.index.intersection(xb.index)
    if len(common) >= 2 and len(common) == len(xa) == len(xb):
        diff = (xa[common] - xb[common]).to_numpy()
        delta = float(diff.mean())
        if np.allclose(diff, diff[0], rtol=0, atol=1e-9):  # no spread: t is 0/0 or infinite
            # the exact sign test: every seed moved the same way (p = 2 / 2^n), or none moved
            p = 1.0 if abs(diff[0]) < 1e-9 else min(1.0, 2 * 0.5 ** len(diff))
            return p, delta, "sign test (equal differences)"
        p = _two_sided(delta, diff.var(ddof=1) / len(diff), len(diff) - 1)
        return p, delta, "paired t-test"
    if len(xa) >= 2 and len(xb) >= 2:
        delta = float(xa.mean() - xb.mean())
        if np.ptp(xa) < 1e-9 and np.ptp(xb) < 1e-9:  # both flat: no variance to test with
            # exact rank test: all of one side above the other is the most extreme ordering
            p = 1.0 if abs(delta) < 1e-9 else min(1.0, 2 / math.comb(len(xa) + len(xb), len(xa)))
            return p, delta, "rank test (flat seeds)"
        va, vb = xa.var(ddof=1) / len(xa), xb.var(ddof=1) / len(xb)  # squared standard errors
        df = (va + vb) ** 2 / (va**2 / (len(xa) - 1) + vb**2 / (len(xb) - 1))  # Welch–Satterthwaite
        return _two_sided(delta, va + vb, df), delta, "Welch t-test"
    return math.nan, float(xa.mean() - xb.mean()), "too few seeds"


def _two_sided(delta: float, var: float, df: float) -> float:
    """The two-sided p of Student's t = delta / sqrt(var) on df degrees of freedom (NaN for 0/0).
    From ``scipy.special``: the same numbers as ``scipy.stats.ttest_*`` (tested against them)
    without importing scipy.stats, a second of every bench command's start."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.float64(delta) / np.sqrt(np.float64(var))
    return float(2 * special.stdtr(df, -abs(t))) if not np.isnan(t) else math.nan


def verdict(p_holm: float, delta: float) -> str:
    """The one rule for a Holm-adjusted comparison: ``tie`` unless the adjusted p is below
    ``ALPHA``, then ``better`` or ``worse`` by the sign of the difference."""
    return "tie" if p_holm >= ALPHA else "better" if delta > 0 else "worse"


def holm(p: pd.Series) -> pd.Series:
    """Holm's step-down adjustment of the (non-NaN) p-values: a family-wise error rate."""
    out = pd.Series(math.nan, index=p.index, dtype=float)
    valid = p.dropna().sort_values()
    m, running = len(valid), 0.0
    for i, (idx, value) in enumerate(valid.items()):
        running = max(running, min(1.0, (m - i) * value))
        out[idx] = running
    return out


def unique_labels(df: pd.DataFrame) -> pd.Series:
    """Each run's config label, made unique per (dataset, model): configs sharing a label
    (runs of two grids) get the spec fields they differ in, ``relu/adam [epochs=1]``."""
    labels = df["config"].copy()
    skip = {"run_id", "role", "status", "seed", "config", "config_id", "finished", "host",
            "error", "history", "diagnostics", "diag_records", "spec", "in_grid", "label",
            *_METRICS, "target_acc", "epochs_to_target", "time_to_target_s"}  # fmt: skip
    for _, g in df.groupby(["data", "model", "config"], sort=False):
        if g["config_id"].nunique() < 2:
            continue
        fields = [c for c in g.columns if c not in skip and g[c].astype(str).nunique() > 1]
        for cid, part in g.groupby("config_id", sort=False):
            first = part.iloc[0]
            extra = ",".join(f"{f}={first[f]}" for f in fields)
            labels[part.index] = f"{first['config']} [{extra or cid}]"
    return labels


def spec_labels(specs: Sequence[Any]) -> list[str]:
    """Each config's label as the leaderboard prints it (``unique_labels``) for configs not run
    yet: ``relu/adam [lr=0.01]`` where the grid holds relu/adam at two lrs, else ``relu/adam``.
    ``specs`` are ``RunSpec``\\ s (anything with ``to_dict()``, ``run_id`` and ``opt_label``)."""
    empty = dict.fromkeys(("final", "history", "diagnostics", "error", "host", "finished"))
    rows = [{**empty, "run_id": s.run_id, "role": "run", "status": NOT_RUN, "spec": s.to_dict(),
             "opt_label": s.opt_label} for s in specs]  # fmt: skip
    return list(unique_labels(to_frame(rows))) if rows else []


def _baseline_label(runs: pd.DataFrame, baseline: str) -> tuple[str | None, list[str]]:
    """The config of one (dataset, model) that ``baseline`` names, and the labels it could mean
    when it names several: a label as the leaderboard prints it (``relu/adam [lr=0.01]``), or a
    grid's label (``relu/adam``) that only one config of the section carries. A baseline whose
    bracket no longer matches (an lr tuned since) is read by its grid label. ``runs``: the
    section's runs, ``config`` made unique and ``label`` the grid's label."""
    if (runs["config"] == baseline).any():
        return baseline, []
    stem = baseline.split(" [", 1)[0]
    meant = list(dict.fromkeys(runs.loc[runs["label"] == stem, "config"]))
    return (meant[0], []) if len(meant) == 1 else (None, meant)


def leaderboard(df: pd.DataFrame, baseline: str | None = None) -> pd.DataFrame:
    """Per (dataset, model, config) over seeds: the lr used, mean/std/95% CI of test accuracy
    and the other metrics, a rank, and with ``baseline`` a verdict against it: the test, its raw
    p-value and the Holm-adjusted one (adjusted over the configs compared per dataset/model).
    ``baseline`` is a label as the leaderboard prints it, or a grid's label (``relu/adam``) where
    it names one config; ``is_baseline`` marks the config compared against, and where the label
    names several, ``baseline_could_be`` lists them and nothing is compared.
    Rows with status ``not run`` (a grid's runs a stopped bench never started) or
    ``interrupted`` (stopped in flight) count in ``seeds`` and ``not_run`` only: a config none of
    whose runs finished is "not run yet", not failed, and keeps its row. ``epochs_to_target``
    and ``time_to_target_s`` are means over the ok seeds that reached ``target_acc``;
    ``reached_target`` says how many did."""
    if df.empty:
        return pd.DataFrame()
    df = df.assign(label=df["config"], config=unique_labels(df))
    rows = []
    for (data, model, _), g in df.groupby(["data", "model", "config_id"], sort=False):
        ok = g[g["status"] == "ok"]
        acc = ok["test_acc"].to_numpy()
        lo, hi, clipped = _ci(acc)
        mean = lambda col, ok=ok: float(ok[col].mean()) if len(ok) else math.nan  # noqa: E731
        rows.append({
            "data": data, "model": model, "config": g["config"].iloc[0],
            "act": g["act"].iloc[0], "opt_label": g["opt_label"].iloc[0],
            "lr": float(g["lr"].iloc[0]) if g["lr"].notna().all() else math.nan,
            "seeds": len(g), "ok": len(ok),
            "failed": int((~g["status"].isin(["ok", *_PENDING])).sum()),
            "not_run": int(g["status"].isin(_PENDING).sum()),
            "test_acc": float(acc.mean()) if len(acc) else math.nan,
            "test_acc_std": float(acc.std(ddof=1)) if len(acc) > 1 else math.nan,
            "ci_low": lo, "ci_high": hi, "ci_clipped": clipped,
            "test_loss": mean("test_loss"), "target_acc": float(g["target_acc"].iloc[0]),
            "epochs_to_target": mean("epochs_to_target"),
            "reached_target": int(ok["epochs_to_target"].notna().sum()),
            "time_to_target_s": mean("time_to_target_s"), "gen_gap": mean("gen_gap"),
            "dead_fraction": mean("dead_fraction"), "wall_s": float(g["wall_s"].mean()),
            "seed_accs": [float(v) for v in acc],
        })  # fmt: skip
    board = pd.DataFrame(rows)
    board["rank"] = board.groupby(["data", "model"])["test_acc"].rank(ascending=False,
                                                                     method="min")  # fmt: skip
    board["vs_baseline"], board["test"] = "", ""
    board["p_value"] = board["p_holm"] = board["delta"] = math.nan
    board["is_baseline"], board["baseline_could_be"] = False, ""
    board.loc[board["ok"] == 0, "vs_baseline"] = "no ok runs"
    board.loc[board["not_run"] == board["seeds"], "vs_baseline"] = "not run yet"
    if baseline is not None:
        for (data, model), part in board.groupby(["data", "model"], sort=False):
            _compare_part(df, board, part, data, model, baseline)
    return board.sort_values(["data", "model", "rank"], na_position="last").reset_index(drop=True)


def _compare_part(df: pd.DataFrame, board: pd.DataFrame, part: pd.DataFrame, data: str,
                  model: str, baseline: str) -> None:  # fmt: skip
    """Fill one (dataset, model)'s verdicts against ``baseline`` (in place)."""
    section = df[(df["data"] == data) & (df["model"] == model)]
    baseline, meant = _baseline_label(section, baseline)
    board.loc[part.index, "baseline_could_be"] = ", ".join(meant)
    if baseline is None:
        return
    here = section[section["status"] == "ok"]
    base = here[here["config"] == baseline]
    board.loc[part.index, "is_baseline"] = part["config"] == baseline
    for i in part.index:
        cfg = board.at[i, "config"]
        if cfg == baseline:
            board.at[i, "vs_baseline"] = "baseline" if len(base) else "no ok runs"
        elif board.at[i, "ok"] == 0:
            continue  # "no ok runs" already
        elif base.empty:
            board.at[i, "vs_baseline"] = "n/a (baseline failed)"
        else:
            p, delta, test = seed_test(here[here["config"] == cfg], base)
            board.at[i, "p_value"], board.at[i, "delta"], board.at[i, "test"] = p, delta, test
            if math.isnan(p):
                board.at[i, "vs_baseline"] = "n/a (1 seed)"
    tested = part.index[board.loc[part.index, "p_value"].notna()]
    board.loc[tested, "p_holm"] = holm(board.loc[tested, "p_value"])
    for i in tested:
        board.at[i, "vs_baseline"] = verdict(board.at[i, "p_holm"], board.at[i, "delta"])

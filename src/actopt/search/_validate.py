"""Validation: do the search's best formulas hold up on another dataset and a deeper net?

The top ``k`` of the leaderboard (MNIST-1D, a 2×64 MLP) are trained again on Fashion-MNIST with
``NET``, a 6×128 MLP (3 epochs of Adam, batch 128), beside the baselines relu, swish and gelu,
all on the same seeds, through the bench store (role ``search-validate``: cached, resumable).
Each formula is compared with each baseline on test accuracy by the bench's test (a paired
t-test over the common seeds, ``actopt.bench.seed_test``), and the p-values of all k × 3
comparisons are Holm-adjusted together; only the adjusted p decides better / worse / tie.

>>> doc = validate("search-out", k=5)                 # doctest: +SKIP
>>> doc["rows"][0]["vs"]["swish"]["verdict"]          # doctest: +SKIP
'tie'
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from .._json import dumps
from ..bench import (
    ALPHA,
    FINAL_STATUSES,
    Store,
    holm,
    run_specs,
    seed_test,
    t_interval,
    verdict,
)
from ..data import check_n_train
from ..train import RunSpec
from ._evaluate import fmt_score
from ._search import leaderboard, read_results

__all__ = ["BASELINES", "NET", "ROLE", "check_validation", "fmt_accuracy", "fmt_comparison",
           "read_validation", "validate", "validation_path"]  # fmt: skip

ROLE = "search-validate"
BASELINES = ("relu", "swish", "gelu")
# the deeper net: 6 hidden layers of 128 on Fashion-MNIST, 3 epochs of Adam (lr 1e-3), batch 128
NET = {"data": "fashion-mnist", "model": "mlp", "depth": 6, "width": 128, "epochs": 3,
       "batch_size": 128, "opt": "adam"}  # fmt: skip


def validation_path(out: str | Path) -> Path:
    return Path(out) / "validation.json"


def read_validation(out: str | Path) -> dict[str, Any] | None:
    """The last validation written in ``out``, or None."""
    path = validation_path(out)
    return json.loads(path.read_text()) if path.exists() else None


def _frame(rows: dict[str, dict], specs: list[tuple[str, RunSpec]]) -> pd.DataFrame:
    """One row per finished run of ``specs`` (label, spec): act (the label), seed, status,
    test accuracy."""
    recs = []
    for act, s in specs:
        row = rows.get(s.run_id)
        if row is not None:
            final = row["final"] or {}
            recs.append({"act": act, "seed": s.seed, "status": row["status"],
                         "test_acc": final.get("test_acc", math.nan)})  # fmt: skip
    return pd.DataFrame.from_records(recs, columns=["act", "seed", "status", "test_acc"])


def _summary(ok: pd.DataFrame, runs: int) -> dict[str, Any]:
    accs = [float(a) for a in ok.sort_values("seed")["test_acc"]]
    lo, hi = t_interval(accs)
    mean = sum(accs) / len(accs) if accs else math.nan
    return {"mean": mean, "lo": lo, "hi": hi, "ok": len(accs), "failed": runs - len(accs),
            "accs": accs}  # fmt: skip


def _compare(df: pd.DataFrame, board: list[dict], seeds: int) -> dict[str, Any]:
    """Every formula's summary and its test against each baseline, Holm over all of them."""
    ok = df[df["status"] == "ok"]
    baselines = {b: _summary(ok[ok["act"] == b], seeds) for b in BASELINES}
    rows, tests = [], {}
    for e in board:
        mine = ok[ok["act"] == e["formula"]]
        row = {"formula": e["formula"], "text": e["text"], "search_rank": e["rank"],
               "search_val": e["score"]["mean"], "swish": e["swish"],
               **_summary(mine, seeds), "vs": {}}  # fmt: skip
        for b in BASELINES:
            base = ok[ok["act"] == b]
            if len(mine) and len(base):
                p, delta, test = seed_test(mine, base)
            else:
                p, delta, test = math.nan, math.nan, "no ok runs"
            row["vs"][b] = {"delta": delta, "p": p, "test": test, "p_holm": math.nan,
                            "verdict": "n/a" if math.isnan(p) else ""}  # fmt: skip
            if not math.isnan(p):
                tests[(len(rows), b)] = p
        rows.append(row)
    if tests:
        adjusted = holm(pd.Series(list(tests.values()), index=range(len(tests))))
        for (i, b), p_holm in zip(tests, adjusted, strict=True):
            vs = rows[i]["vs"][b]
            vs["p_holm"] = float(p_holm)
            vs["verdict"] = verdict(vs["p_holm"], vs["delta"])
    return {"baselines": baselines, "rows": rows}


def fmt_accuracy(s: dict[str, Any]) -> str:
    """A function's test accuracy over seeds as the terminal and the page show it."""
    failed = f" ({s['failed']} failed)" if s["failed"] else ""
    return f"{fmt_score(s)}{failed}"


def fmt_comparison(v: dict[str, Any]) -> str:
    """One comparison with a baseline: verdict (mean difference, Holm-adjusted p)."""
    if v["verdict"] == "n/a":
        return f"n/a ({v['test']})"
    return f"{v['verdict']} ({v['delta']:+.3f}, p={v['p_holm']:.2g})"


def check_validation(k: int, seeds: int, **net: Any) -> dict[str, Any]:
    """The validation net's fields (``NET`` with ``net`` on top), or ``ValueError`` for a bad
    k, seed count or field: checked before a search that precedes the validation starts."""
    if k < 1:
        raise ValueError(f"--validate K: K must be at least 1 formula, got {k}")
    if seeds < 2:
        raise ValueError(
            f"--validate-seeds: validation needs at least 2 seeds for a paired test, got {seeds}"
        )
    config = {**NET, **net}
    try:  # the image subset is the loader's to check, but only once the search is over
        check_n_train((config.get("data_options") or {}).get("n_train"))
    except ValueError as e:
        raise ValueError(f"--validate-images: {e}") from None
    RunSpec(**config, act=BASELINES[0])  # raises ValueError naming a bad field
    return config


def validate(
    out: str | Path,
    k: int,
    *,
    seeds: int = 5,
    backend: str = "local",
    workers: int | None = None,
    data_dir: str | None = None,
    download: bool = True,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable | None = None,
    **net: Any,
) -> dict[str, Any]:
    """Train the top ``k`` formulas of the searches in ``out`` and the baselines on ``NET``
    (``net`` overrides its fields: a smaller net in tests) for ``seeds`` seeds, what the store
    lacks; compare, write ``OUT/validation.json`` and return the same document."""
    config = check_validation(k, seeds, **net)
    results = read_results(out)
    if not any(r.trained() for r in results):
        raise ValueError(f"no trained candidates in {out} to validate: run a search first")
    board = [{**e, "rank": i} for i, e in enumerate(leaderboard(results, k), 1)]
    acts = [e["formula"] for e in board] + list(BASELINES)
    specs = [(a, RunSpec(**config, act=a, seed=s)) for a in acts for s in range(seeds)]
    with Store(out) as store:
        done = {r["run_id"] for r in store.rows(None) if r["status"] in FINAL_STATUSES}
    if not {s.run_id for _, s in specs} <= done:  # all stored: no dataset needed to read them
        run_specs([s for _, s in specs], out, role=ROLE, backend=backend, workers=workers,
                  data_dir=data_dir, download=download, on_start=on_start,
                  on_done=on_done)  # fmt: skip
    with Store(out) as store:
        stored = {r["run_id"]: r for r in store.rows(None)}
    spec_dict = specs[0][1].to_dict()
    shown = {f: spec_dict[f] for f in ("data", "model", "depth", "width", "epochs", "steps",
                                       "batch_size", "opt", "lr", "data_options")}  # fmt: skip
    doc = {"k": k, "seeds": seeds, "net": shown, "alpha": ALPHA,
           **_compare(_frame(stored, specs), board, seeds)}  # fmt: skip
    path = validation_path(out)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(dumps(doc, indent=1, default=str))
    tmp.replace(path)
    return doc

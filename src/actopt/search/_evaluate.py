"""Evaluation: each candidate trains the child network on MNIST-1D over a few seeds, through
the bench store (cached by run id, resumable, shared by concurrent runners).

``evaluate`` is the one door: it runs every (candidate, seed) not yet in the store with
``actopt.bench.run_specs`` and reads the scores back, so a killed search that is started again
trains only what is missing. (The batched replica engine of issue #15 would slot in here.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..bench import Store, run_specs, t_interval
from ..train import RunSpec

__all__ = ["CHILD", "ROLE", "Score", "child_spec", "evaluate", "fmt_score", "scores"]

ROLE = "search"
# the child network: a 2-hidden-layer MLP of width 64 on MNIST-1D, 300 Adam steps of 128
CHILD = {"data": "mnist1d", "model": "mlp", "depth": 2, "width": 64, "steps": 300,
         "batch_size": 128, "opt": "adam"}  # fmt: skip


@dataclass
class Score:
    """Validation accuracy over seeds: mean and 95% t-interval; test accuracy alongside."""

    formula: str
    mean: float
    lo: float
    hi: float
    test: float
    accs: list[float] = field(default_factory=list)
    failed: int = 0  # seeds that diverged or errored (scored as accuracy 0)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def fmt_score(s: dict) -> str:
    """A mean accuracy with its 95% CI as the terminal and the pages show it; a CI the seeds
    cannot give (one seed: NaN, read back from JSON as null) reads "no CI".

    >>> fmt_score({"mean": 0.5, "lo": 0.4, "hi": 0.6}), fmt_score({"mean": 0.5, "lo": None})
    ('0.500 [0.400, 0.600]', '0.500 [no CI]')
    """
    lo, hi = s.get("lo"), s.get("hi")
    if lo is None or hi is None or not math.isfinite(lo) or not math.isfinite(hi):
        return f"{s['mean']:.3f} [no CI]"
    return f"{s['mean']:.3f} [{lo:.3f}, {hi:.3f}]"


def child_spec(formula: str, seed: int, **child: object) -> RunSpec:
    return RunSpec(**{**CHILD, **child}, act=formula, seed=seed)


def _score(formula: str, finals: list[tuple[str, dict]]) -> Score:
    accs = [f.get("val_acc", 0.0) if status == "ok" else 0.0 for status, f in finals]
    tests = [f.get("test_acc", 0.0) if status == "ok" else 0.0 for status, f in finals]
    n = len(accs)
    lo, hi = t_interval(accs)
    failed = sum(status != "ok" for status, _ in finals)
    return Score(formula, sum(accs) / n, lo, hi, sum(tests) / n, accs, failed)


def scores(out: str | Path, specs: Sequence[RunSpec]) -> dict[str, Score]:
    """The stored results of ``specs`` (all finished), one ``Score`` per formula."""
    with Store(out) as store:
        rows = {r["run_id"]: r for r in store.rows(ROLE)}
    by_formula: dict[str, list[tuple[str, dict]]] = {}
    for s in specs:
        row = rows.get(s.run_id)
        if row is not None:
            by_formula.setdefault(str(s.act), []).append((row["status"], row["final"] or {}))
    return {f: _score(f, finals) for f, finals in by_formula.items()}


def evaluate(
    formulas: Sequence[str],
    seeds: Sequence[int],
    out: str | Path,
    *,
    backend: str = "local",
    workers: int | None = None,
    on_done: Callable | None = None,
    **child: object,
) -> dict[str, Score]:
    """Train each formula on the child network for each seed (what the store lacks), then
    return its ``Score``. ``child`` overrides fields of ``CHILD`` (a smaller net in tests).

    >>> evaluate(["x*sigmoid(x)"], [0, 1, 2], "out")["x*sigmoid(x)"].mean  # doctest: +SKIP
    0.61
    """
    specs = [child_spec(f, s, **child) for f in formulas for s in seeds]
    if specs:
        run_specs(specs, out, role=ROLE, backend=backend, workers=workers, on_done=on_done)
    return scores(out, specs)

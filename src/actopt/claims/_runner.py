"""Run claims: every run through the bench's store, every measurement through its cache, then
each claim's rule on what the store holds.

All the claims' runs go to the bench runner at once (one pool, cached, resumable, on Ray with
``backend="ray"``), then the measurements (a local pool; timings alone), then the analyses.
A second call with the same settings trains and measures nothing and gives the same verdicts.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bench import FINAL_STATUSES, Store
from ._catalog import get, names
from ._claim import Claim, Evidence, Experiment, Setting, Verdict
from ._measure import Context, MeasurementStore, measure_all
from ._stats import INCONCLUSIVE

__all__ = ["Outcome", "Report", "evaluate", "run"]


@dataclass
class Outcome:
    """One claim's verdict with its setup and what its evidence cost (stored wall time)."""

    claim: Claim
    setup: str
    verdict: Verdict
    runs: int
    measurements: int
    compute_s: float  # the stored wall time of its runs and measurements (from the store)
    error: str | None = None  # the analysis raised: a bug, reported rather than hidden

    def to_dict(self) -> dict[str, Any]:
        c = self.claim
        return {
            "id": c.id,
            "number": c.number,
            "family": c.family,
            "statement": c.statement,
            "source": c.source,
            "setup": self.setup,
            "rule": c.rule,
            **self.verdict.to_dict(),
            "runs": self.runs,
            "measurements": self.measurements,
            "compute_s": round(self.compute_s, 1),
            "error": self.error,
        }


@dataclass
class Report:
    """Every outcome, the setting, and what this call did (trained, measured, took)."""

    setting: Setting
    outcomes: list[Outcome]
    out: Path
    trained: int = 0
    measured: int = 0
    cached: int = 0  # runs and measurements already in the store
    failures: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "quick": self.setting.quick,
            "seeds": self.setting.seeds,
            "claims": [o.to_dict() for o in self.outcomes],
            "trained": self.trained,
            "measured": self.measured,
            "cached": self.cached,
            "failures": self.failures,
            "wall_s": round(self.wall_s, 1),
        }


def _select(ids: Sequence[str] | None) -> list[Claim]:
    """The claims named (aliases and '_' for '-' forgiven), in the list's order; all by default.
    An unknown id raises ``KeyError`` with the closest names before anything runs."""
    if not ids:
        return [get(i) for i in names()]
    chosen = {get(i).id: get(i) for i in ids}
    return sorted(chosen.values(), key=lambda c: c.number)


def evaluate(
    claims: Sequence[Claim], experiments: dict[str, Experiment], setting: Setting, out: str | Path
) -> list[Outcome]:
    """Each claim's rule on what ``out``'s store holds (missing evidence makes NaNs)."""
    wanted = {s.run_id for e in experiments.values() for s in e.runs}
    with Store(out) as store:
        rows = [r for r in store.rows(None) if r["run_id"] in wanted]
    results = {r["run_id"]: Store.result(r) for r in rows if r["status"] in FINAL_STATUSES}
    keys = [m.key for e in experiments.values() for m in e.measurements]
    with MeasurementStore(out) as ms:
        measured = ms.get(keys)
    values = {k: v for k, (v, _) in measured.items()}
    outcomes = []
    for claim in claims:
        exp = experiments[claim.id]
        ev = Evidence(setting, results, values)
        spent = sum(
            float(r.final.get("wall_s") or 0.0) for s in exp.runs if (r := results.get(s.run_id))
        )
        spent += sum(measured[m.key][1] for m in exp.measurements if m.key in measured)
        error = None
        try:
            verdict = claim.analyse(ev)
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
            verdict = Verdict(INCONCLUSIVE, f"the analysis could not run ({error})")
            traceback.print_exc()
        outcomes.append(
            Outcome(claim, exp.setup, verdict, len(exp.runs), len(exp.measurements), spent, error)
        )
    return outcomes


def run(
    ids: Sequence[str] | None = None,
    *,
    quick: bool = False,
    seeds: int | None = None,
    out: str | Path = "claims-out",
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    data_dir: str | None = None,
    download: bool = True,
    on_start: Callable[[int], None] | None = None,
    on_advance: Callable[[str], None] | None = None,
) -> Report:
    """Run the claims ``ids`` (all by default) and return their verdicts.

    ``quick`` shrinks every experiment (fewer seeds, epochs, starts: CI's setting, whose
    verdicts may be inconclusive); ``seeds`` overrides the seeds where a statistical test
    decides. ``on_start(total)`` gets the number of runs and measurements, ``on_advance(kind)``
    one call per finished (or cached) one.

    >>> import actopt.claims as C
    >>> report = C.run(["relu-is-cheap"], quick=True, out="claims-out")   # doctest: +SKIP
    >>> report.outcomes[0].verdict.verdict                                 # doctest: +SKIP
    'supported'
    """
    from ..bench import run_specs  # the training stack: loaded when something runs

    t0 = time.time()
    claims = _select(ids)
    setting = Setting.make(quick, seeds)
    experiments = {c.id: c.experiment(setting) for c in claims}
    specs = list(dict.fromkeys(s for e in experiments.values() for s in e.runs))
    measurements = list({m.key: m for e in experiments.values() for m in e.measurements}.values())
    advance = on_advance or (lambda kind: None)
    report = Report(setting, [], Path(out))
    with Store(out) as store:
        finished = store.finished()
    with MeasurementStore(out) as ms:
        have = set(ms.get([m.key for m in measurements]))
    cached = [s for s in specs if s.run_id in finished]
    cached_m = [m for m in measurements if m.key in have]
    report.cached = len(cached) + len(cached_m)
    if on_start:
        on_start(len(specs) + len(measurements))
    for _ in range(report.cached):
        advance("cached")
    todo = [s for s in specs if s.run_id not in finished]
    if todo:

        def done(spec, result) -> None:
            advance("run")

        summary = run_specs(
            todo,
            out,
            role="claims",
            backend=backend,
            workers=workers,
            address=address,
            data_dir=data_dir,
            download=download,
            on_done=done,
        )
        report.trained = summary.trained
    todo_m = [m for m in measurements if m.key not in have]
    if todo_m:
        n, failures = measure_all(
            todo_m,
            out,
            Context(data_dir, download),
            workers=workers,
            on_done=lambda m: advance("measurement"),
        )
        report.measured, report.failures = n, failures
    report.outcomes = evaluate(claims, experiments, setting, out)
    report.wall_s = time.time() - t0
    return report

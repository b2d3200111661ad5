"""Learning-rate tuning for a grid: each config's lr chosen on the validation split.

The search starts at ``tune_points`` lrs half a decade apart around the config's lr. When the
best of what was tried is at an edge (the smallest or the largest lr), one more half-decade is
tried beyond that edge, and again, up to ``EXTEND`` times per side; a best still at an edge
then is kept and reported as such (``edge`` in the stored choice: the terminal and the report
warn), never silently. Test data is never looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ._store import Store

if TYPE_CHECKING:
    from ..train import RunResult, RunSpec
    from ._grid import Grid
    from ._runner import Summary, _Session

__all__ = ["EXTEND", "tune"]

EXTEND = 3  # half-decades the search may widen on each side past its first points


def _choose(results: Sequence[RunResult]) -> RunResult | None:
    """The trial with the best validation accuracy (then loss); None if none finished ok."""
    ok = [r for r in results if r.status == "ok" and r.final.get("val_acc") is not None]
    if not ok:
        return None
    return max(ok, key=lambda r: (r.final["val_acc"], -r.final.get("val_loss", 0.0)))


def tune(
    grid: Grid, session: _Session, summary: Summary,
    execute: Callable[[list[RunSpec]], Any],
) -> dict[str, RunSpec]:  # fmt: skip
    """Per config key, the chosen spec (configs whose every trial failed are left out). The
    choice, every candidate and any edge are stored in the ``tuning`` meta entry."""
    span = {grid.key(c): [0, grid.tune_points - 1] for c in grid.configs}  # k tried, low–high
    configs = {grid.key(c): c for c in grid.configs}
    done: set[str] = set()  # trials already gone through (each is run, or skipped, once)
    while True:
        trials = {
            key: [grid.trial(configs[key], k) for k in range(lo, hi + 1)]
            for key, (lo, hi) in span.items()
        }
        new = [s for specs in trials.values() for s in specs if s.run_id not in done]
        execute(new)
        done.update(s.run_id for s in new)
        rows = {r["run_id"]: r for r in session.store.rows("tune")}
        chosen, choice, grown = {}, {}, 0
        for key, specs in trials.items():
            results = [Store.result(rows[s.run_id]) for s in specs if s.run_id in rows]
            best = _choose(results)
            lo, hi = span[key]
            edge = None
            if best is not None and len(results) == len(specs):
                at = next(i for i, s in enumerate(specs) if s.run_id == best.run_id)
                edge = "low" if at == 0 else "high" if at == len(specs) - 1 else None
            widened = -lo if edge == "low" else hi - (grid.tune_points - 1)
            if edge and widened < EXTEND:
                span[key] = [lo - 1, hi] if edge == "low" else [lo, hi + 1]
                grown += 1
            if best is not None:
                chosen[key] = best.spec
            choice[key] = {
                "lr": best.spec.lr if best else None, "edge": edge,
                "searched": [specs[0].lr, specs[-1].lr],
                "candidates": [{"lr": r.spec.lr, "status": r.status,
                                "val_acc": r.final.get("val_acc"),
                                "val_loss": r.final.get("val_loss")} for r in results],
            }  # fmt: skip
        if not grown:
            break
        summary.total += grown
        session.on_start(summary.total)
    session.store.set_meta("tuning", choice)
    summary.tuning = choice
    return chosen

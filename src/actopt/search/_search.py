"""The search loop: propose, screen, dedup, train in batches, tell the strategy; a log on disk.

Every decision is logged to ``OUT/search-<strategy>.json`` (each proposal: pruned with its
reasons, a duplicate of which formula, or trained with its score). The trainings live in the
bench store ``OUT/actopt.db``: a search that is killed and started again with the same
arguments proposes the same candidates and finds their runs finished, so nothing is trained
twice (``--minutes`` makes where it stops depend on the clock, never what it proposes). The
log is written before each round trains, and a restart takes its screens from it rather than
screening again: the screen's CPU-time limit could otherwise prune a candidate the first
time and pass it the second, and the two searches would part ways.

>>> result = search("out", strategy="evolution", budget=50, seeds=3)   # doctest: +SKIP
>>> result.top(3)[0]["formula"]                                       # doctest: +SKIP
'x*sigmoid(x)'
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._json import dumps
from ..activations import from_formula
from ._dedup import Seen, swish_distance
from ._evaluate import child_spec, evaluate
from ._prune import Screen, screen
from ._strategy import make_strategy

__all__ = ["SearchResult", "leaderboard", "log_path", "read_results", "search"]

SWISH_TOL = 1e-2  # "Swish-like": within this of x·σ(βx) on [−5, 5] for some β


def log_path(out: str | Path, strategy: str) -> Path:
    return Path(out) / f"search-{strategy}.json"


@dataclass
class SearchResult:
    strategy: str
    seed: int
    log: list[dict[str, Any]] = field(default_factory=list)
    wall_s: float = 0.0

    def counts(self) -> dict[str, int]:
        c = {"proposed": len(self.log), "pruned": 0, "duplicate": 0, "trained": 0}
        for e in self.log:
            if e["status"] in c:  # "queued": proposed, training now
                c[e["status"]] += 1
        return c

    def describe(self) -> str:
        """``219 proposed, 70 pruned, 21 duplicates, 128 trained in 25.0 min``."""
        c = self.counts()
        return (f"{c['proposed']} proposed, {c['pruned']} pruned, {c['duplicate']} duplicates, "
                f"{c['trained']} trained in {self.wall_s / 60:.1f} min")  # fmt: skip

    def trained(self) -> list[dict[str, Any]]:
        return [e for e in self.log if e["status"] == "trained"]

    def top(self, k: int = 10) -> list[dict[str, Any]]:
        """The ``k`` best trained candidates by mean validation accuracy."""
        return sorted(self.trained(), key=lambda e: -e["score"]["mean"])[:k]

    def curve(self) -> list[float]:
        """Best mean validation accuracy after each trained candidate."""
        best, out = 0.0, []
        for e in self.trained():
            best = max(best, e["score"]["mean"])
            out.append(best)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.strategy, "seed": self.seed, "wall_s": self.wall_s,
                "counts": self.counts(), "log": self.log}  # fmt: skip

    @classmethod
    def read(cls, path: str | Path) -> SearchResult:
        d = json.loads(Path(path).read_text())
        return cls(d["strategy"], d["seed"], d["log"], d.get("wall_s", 0.0))

    def write(self, out: str | Path) -> Path:
        path = log_path(out, self.strategy)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(dumps(self.to_dict(), indent=1))
        os.replace(tmp, path)  # never a half-written log
        return path


def read_results(out: str | Path) -> list[SearchResult]:
    """Every strategy's log in ``out`` (``search-<strategy>.json``)."""
    return [SearchResult.read(p) for p in sorted(Path(out).glob("search-*.json"))]


def leaderboard(results: list[SearchResult], k: int = 10) -> list[dict[str, Any]]:
    """The ``k`` best trained functions over all strategies (one row per fingerprint), each
    with ``found_by``."""
    best: dict[str, dict[str, Any]] = {}
    for r in results:
        for e in r.trained():
            row = best.setdefault(e["fp"], {**e, "found_by": []})
            if r.strategy not in row["found_by"]:
                row["found_by"].append(r.strategy)
    top = sorted(best.values(), key=lambda e: -e["score"]["mean"])[:k]
    for row in top:  # measured again: a log written under an older rule reads the same
        row["swish"] = _swish(from_formula(row["formula"]))
    return top


def _swish(spec: Any) -> dict[str, Any]:
    dist, beta = swish_distance(spec)
    return {"distance": dist, "beta": beta, "like": dist <= SWISH_TOL}


def _earlier_screens(out: str | Path, strategy: str, seed: int) -> dict[str, Screen]:
    """Formula → its screen, from this search's log if an earlier start left one."""
    try:
        earlier = SearchResult.read(log_path(out, strategy))
    except (OSError, ValueError, KeyError, TypeError):  # none yet, or not one we can read
        return {}
    if earlier.seed != seed:  # another search: its own screens
        return {}
    return {e["formula"]: Screen(e["formula"], e["status"] == "pruned", e["reasons"],
                                 text=e["text"], fp=e["fp"], cost=e["cost"])
            for e in earlier.log if {"reasons", "text", "fp", "cost"} <= e.keys()}  # fmt: skip


def _trained_entry(entry: dict[str, Any], score: Any) -> None:
    entry["status"] = "trained"
    entry["score"] = score.to_dict()
    spec = from_formula(entry["formula"])
    entry["latex"] = spec.latex
    entry["swish"] = _swish(spec)


def search(
    out: str | Path,
    *,
    strategy: str = "evolution",
    budget: int | None = None,
    minutes: float | None = None,
    seeds: int = 3,
    seed: int = 0,
    batch: int = 4,
    backend: str = "local",
    workers: int | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    **child: Any,
) -> SearchResult:
    """Search for activations: ``budget`` candidates trained (or ``minutes`` of wall time,
    whichever ends first), ``seeds`` trainings each, ``batch`` candidates per training round.
    ``child`` overrides the child network (``actopt.search.CHILD``)."""
    if budget is None and minutes is None:
        raise ValueError("give a budget (candidates to train) or minutes")
    if minutes is not None and minutes <= 0:
        raise ValueError(f"minutes must be above 0, got {minutes}")
    for name, value in (("budget", budget), ("seeds", seeds), ("batch", batch)):
        if value is not None and value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    if Path(out).exists() and not Path(out).is_dir():
        raise ValueError(f"{out}: not a folder")
    child_spec("x", 0, **child)  # a bad child network fails now, not after the first screens
    Path(out).mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    # one screen first, its result unused: what the first screen imports lazily (torch's
    # compiler stack: ~1.5 s) is not charged to a candidate's CPU limit
    screen("x*sigmoid(x)")
    deadline = t0 + minutes * 60 if minutes is not None else float("inf")
    budget = budget if budget is not None else 10**9
    strat = make_strategy(strategy, seed)
    result = SearchResult(strategy, seed)
    screened = _earlier_screens(out, strategy, seed)
    seen, fresh = Seen(), {}
    max_proposals = 200 * budget if budget < 10**9 else 10**9
    best: tuple[float, str] = (0.0, "")

    def progress() -> None:
        if on_progress:
            on_progress({**result.counts(), "best": best[0], "best_formula": best[1]})

    while len(result.trained()) < budget and time.time() < deadline:
        want = min(batch, budget - len(result.trained()))
        todo: list[tuple[dict[str, Any], Any]] = []
        while len(todo) < want and len(result.log) < max_proposals:
            cand = strat.propose()
            entry: dict[str, Any] = {"formula": cand.formula, "candidate": cand.to_list()}
            result.log.append(entry)
            sc = screened.get(cand.formula) or screen(cand.formula)
            entry.update(text=sc.text, reasons=sc.reasons, cost=sc.cost, fp=sc.fp)
            if sc.pruned:
                entry["status"] = "pruned"
            elif dup := seen.first(cand.formula, sc.text, sc.fp):
                entry.update(status="duplicate", duplicate_of=dup)
            else:
                entry["status"] = "queued"
                todo.append((entry, cand))
            progress()
        if not todo:
            break
        result.write(out)  # the round's screens, for a restart should this one be killed
        scores = evaluate([e["formula"] for e, _ in todo], range(seeds), out,
                          backend=backend, workers=workers, **child)  # fmt: skip
        for entry, cand in todo:
            score = scores.get(entry["formula"])
            if score is None:  # another runner holds its runs: left out
                continue
            _trained_entry(entry, score)
            strat.tell(cand, score.mean)
            fresh[entry["formula"]] = score
            best = max(best, (score.mean, entry["text"]))
        result.wall_s = time.time() - t0
        result.write(out)
        progress()
    result.log = [e for e in result.log if e["status"] != "queued"]
    result.wall_s = time.time() - t0
    result.write(out)
    return result

"""The leaderboard's columns: one table that the terminal (``actopt bench``/``report``), the
HTML report and the md/LaTeX/CSV tables all render, so they show the same numbers in the same
formats, and the caption that says how the numbers were tested."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .._numbers import counted
from ..bench import ALPHA

__all__ = ["LEADERBOARD", "Column", "caption", "fmt_ci", "fmt_num", "fmt_pct", "fmt_to_target",
           "verdict_class"]  # fmt: skip


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def fmt_pct(v: float | None) -> str:
    return "—" if _missing(v) else f"{v:.2%}"


def fmt_num(v: float | None, fmt: str = ".3g") -> str:
    return "—" if _missing(v) else format(v, fmt)


def fmt_ci(r: Mapping[str, Any]) -> str:
    """``61.20%–68.54%``; ``*`` when the t-interval was clipped to [0, 100%]; ``n/a (1 seed)``."""
    if _missing(r["ci_low"]):
        return "n/a (1 seed)" if r["ok"] == 1 else "—"
    return f"{fmt_pct(r['ci_low'])}–{fmt_pct(r['ci_high'])}{'*' if r['ci_clipped'] else ''}"


def fmt_to_target(r: Mapping[str, Any]) -> str:
    """Epochs to the target accuracy, the mean over the seeds that reached it, and how many did
    where not every ok seed did: ``8.0 (2/3)``, ``— (0/3)``; ``—`` with no target set."""
    shown = fmt_num(r["epochs_to_target"], ".1f")
    if _missing(r.get("target_acc")) or not r["ok"] or r["reached_target"] == r["ok"]:
        return shown
    return f"{shown} ({int(r['reached_target'])}/{int(r['ok'])})"


def _p(r: Mapping[str, Any]) -> str:
    """The raw p-value and the Holm-adjusted one: ``0.013 / 0.04``."""
    if _missing(r["p_value"]):
        return "—"
    return f"{fmt_num(r['p_value'], '.2g')} / {fmt_num(r['p_holm'], '.2g')}"


def verdict_class(text: str) -> str:
    """A CSS class / colour key for a verdict: better, worse, tie, baseline or na."""
    return text if text in ("better", "worse", "tie", "baseline") else "na"


@dataclass(frozen=True)
class Column:
    """One leaderboard column: its title, how a leaderboard row is written in it, alignment."""

    title: str
    cell: Callable[[Mapping[str, Any]], str]
    align: str = "right"  # "left" or "right"
    whole: bool = True  # a terminal never cuts or breaks it (numbers, verdicts); False: folds
    verdict: bool = False  # the cell is better / worse / tie / baseline: renderers colour it
    key: str = ""  # the leaderboard field it sorts by (the HTML table's sort key)
    fields: tuple[str, ...] = ()  # the leaderboard fields it shows (CSV columns); () = (key,)

    @property
    def raw(self) -> tuple[str, ...]:
        """The leaderboard fields behind the cell, as CSV writes them (numbers, not text)."""
        return self.fields or (self.key,)


LEADERBOARD: tuple[Column, ...] = (
    Column("rank", lambda r: fmt_num(r["rank"], ".0f"), key="rank"),
    Column("config", lambda r: str(r["config"]), align="left", whole=False, key="config"),
    Column("lr", lambda r: fmt_num(r["lr"], ".3g"), key="lr"),
    Column("test acc", lambda r: fmt_pct(r["test_acc"]), key="test_acc"),
    Column("95% CI", fmt_ci, key="ci_low", fields=("ci_low", "ci_high", "ci_clipped")),
    Column("vs baseline", lambda r: str(r["vs_baseline"]), align="left", verdict=True,
           key="vs_baseline"),
    Column("p / Holm", lambda r: _p(r), key="p_holm", fields=("p_value", "p_holm")),
    Column("ep→target", fmt_to_target, key="epochs_to_target",
           fields=("epochs_to_target", "reached_target")),
    Column("gen gap", lambda r: fmt_pct(r["gen_gap"]), key="gen_gap"),  # train − test acc
    Column("dead", lambda r: fmt_pct(r["dead_fraction"]), key="dead_fraction"),
    Column("ok/runs", lambda r: f"{r['ok']}/{r['seeds']}", key="ok", fields=("ok", "seeds")),
)  # fmt: skip


def caption(board: pd.DataFrame, baseline: str | None) -> str:
    """How the leaderboard was tested, in one paragraph (terminal, HTML, tables)."""
    if board.empty:
        return ""
    parts = []
    sections = board.groupby(["data", "model"])
    m = int(sections["p_value"].count().max())
    meant = board.get("baseline_could_be", pd.Series("", board.index))
    found = board.get("is_baseline", pd.Series(True, board.index))
    if baseline and "is_baseline" in board and found.any():  # as the leaderboard labels it
        baseline = str(board.loc[found, "config"].iloc[0])
    if baseline and meant.ne("").any():
        parts.append(f"vs baseline {baseline}: could mean {meant[meant.ne('')].iloc[0]}; "
                     "nothing compared (name one with --baseline)")  # fmt: skip
    elif baseline and not found.any():
        parts.append(f"vs baseline {baseline}: not a config of this table; nothing compared")
    elif baseline and not m and sections["config"].nunique().max() < 2:
        parts.append(f"vs baseline {baseline}: no other config to compare with")
    elif baseline and not m:
        parts.append(f"vs baseline {baseline}: no test possible (fewer than two ok seeds)")
    elif baseline:
        parts.append(
            f"vs baseline {baseline}: paired t-test over seeds (Welch's where the seeds differ); "
            f"p raw / Holm-adjusted over the {m} config(s) compared per dataset and model; "
            f"adjusted p ≥ {ALPHA:g} is a tie"
        )
    parts.append("95% CI: Student's t over seeds")
    if board["ci_clipped"].any():
        parts[-1] += ", * clipped to [0, 100%]"
    if (board["ok"] == 1).any():
        parts.append("one ok seed: no interval, no test (n/a)")
    not_run = board["not_run"] if "not_run" in board else pd.Series(0, board.index)
    if ((board["ok"] == 0) & (not_run == 0)).any():
        parts.append("no ok runs: every seed failed or was stopped (see the failures)")
    if n := int(not_run.sum()):
        parts.append(f"{counted(n, 'run')} of the grid not run or stopped before the end: "
                     "rerun the same command to train them")  # fmt: skip
    return "; ".join(parts) + "."

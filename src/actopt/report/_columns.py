"""The leaderboard's columns: one table that the terminal (``actopt bench``/``report``) and the
HTML report both render, so the two show the same numbers in the same formats."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["LEADERBOARD", "Column", "fmt_num", "fmt_pct"]


def fmt_pct(v: float | None) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2%}"


def fmt_num(v: float | None, fmt: str = ".3g") -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


@dataclass(frozen=True)
class Column:
    """One leaderboard column: its title, how a leaderboard row is written in it, alignment."""

    title: str
    cell: Callable[[Mapping[str, Any]], str]
    align: str = "right"  # "left" or "right"
    wrap: bool = True  # False: a terminal never breaks it over lines (config names)
    verdict: bool = False  # the cell is better / worse / tie / baseline: renderers colour it


LEADERBOARD: tuple[Column, ...] = (
    Column("rank", lambda r: fmt_num(r["rank"], ".0f")),
    Column("config", lambda r: str(r["config"]), align="left", wrap=False),
    Column("test acc", lambda r: fmt_pct(r["test_acc"])),
    Column("95% CI", lambda r: f"{fmt_pct(r['ci_low'])}–{fmt_pct(r['ci_high'])}"),
    Column("vs baseline", lambda r: str(r["vs_baseline"]), align="left", verdict=True),
    Column("p", lambda r: fmt_num(r["p_value"], ".2g")),
    Column("epochs→target", lambda r: fmt_num(r["epochs_to_target"], ".1f")),
    Column("gen gap", lambda r: fmt_num(r["gen_gap"], ".3f")),
    Column("dead", lambda r: fmt_pct(r["dead_fraction"])),
    Column("ok/runs", lambda r: f"{r['ok']}/{r['seeds']}"),
)

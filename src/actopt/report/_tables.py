"""The leaderboard as a table for papers and spreadsheets: Markdown or LaTeX (booktabs) in the
leaderboard's own columns and formats, one table per (dataset, model) with its caption; or CSV,
one table of numbers (accuracies as fractions, the CI's ends and the raw and Holm p apart).

>>> from actopt.report import leaderboard_table                       # doctest: +SKIP
>>> print(leaderboard_table(read_bench("bench-out"), "md"))           # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import numpy as np

from ._columns import LEADERBOARD, caption
from ._data import Bench

__all__ = ["TABLES", "leaderboard_table"]

TABLES = ("md", "latex", "csv")

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "—": "---", "–": "--", "→": r"$\to$"}  # fmt: skip


def _latex(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


_COUNTS = ("rank", "ok", "seeds", "reached_target")  # whole numbers (a rank is stored as a float)


def _number(v: Any, count: bool) -> Any:
    """A CSV cell: a number as Python writes it (accuracies as fractions), nothing for none."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)) or count:
        return int(v)
    return v.item() if isinstance(v, np.generic) else v


def leaderboard_table(bench: Bench, kind: str) -> str:
    """The leaderboard of every (dataset, model) as ``md``, ``latex`` or ``csv`` text."""
    if kind not in TABLES:
        raise ValueError(f"table: one of {', '.join(TABLES)}, got {kind!r}")
    titles = [c.title for c in LEADERBOARD]
    if kind == "csv":  # one table of numbers: dataset and model as columns, an empty cell: none
        fields = [f for c in LEADERBOARD for f in c.raw]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["data", "model", *fields])
        for data, model, _, part in bench.sections():
            for _, r in part.iterrows():
                w.writerow([data, model, *(_number(r[f], f in _COUNTS) for f in fields)])
        return buf.getvalue()
    blocks = []
    for data, model, _, part in bench.sections():
        note = caption(part, bench.baseline)
        title = f"{data} · {model}: test accuracy over seeds. {note}"
        rows = [[c.cell(r) for c in LEADERBOARD] for _, r in part.iterrows()]
        if kind == "md":
            align = ["---:" if c.align == "right" else ":---" for c in LEADERBOARD]
            lines = [f"**{data} · {model}**: test accuracy over seeds", "",
                     "| " + " | ".join(titles) + " |", "| " + " | ".join(align) + " |",
                     *("| " + " | ".join(_md(x) for x in row) + " |" for row in rows), "",
                     note]  # fmt: skip
        else:
            spec = "".join("r" if c.align == "right" else "l" for c in LEADERBOARD)
            lines = [r"\begin{table}[t]", r"\centering", r"\small",
                     rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
                     " & ".join(_latex(t) for t in titles) + r" \\", r"\midrule",
                     *(" & ".join(_latex(x) for x in row) + r" \\" for row in rows),
                     r"\bottomrule", r"\end{tabular}",
                     rf"\caption{{{_latex(title)}}}",
                     r"\end{table}"]  # fmt: skip
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"

"""``report.html``: one self-contained page (figures inlined as base64 PNG, no CDN, no script)."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..bench import Store, leaderboard, load, to_frame
from ._columns import LEADERBOARD, fmt_pct
from ._figures import FIGURES

__all__ = ["write_report"]

_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px}
th{background:#f3f3f3}.left{text-align:left}.right{text-align:right}
.better{color:#080;font-weight:bold}.worse{color:#b00;font-weight:bold}.tie{color:#777}
figure{margin:1.5em 0}img{max-width:100%;border:1px solid #eee}pre{background:#f7f7f7;
padding:1em;overflow:auto;font-size:12px}"""


def _board_html(board: pd.DataFrame) -> str:
    """One table per (dataset, model), in the leaderboard's columns."""
    head = "".join(f'<th class="{c.align}">{html.escape(c.title)}</th>' for c in LEADERBOARD)
    parts = []
    for (data, model), part in board.groupby(["data", "model"], sort=False):
        rows = []
        for _, r in part.iterrows():
            cells = []
            for c in LEADERBOARD:
                text = html.escape(c.cell(r))
                if c.verdict:
                    text = f'<span class="{text}">{text}</span>'
                cells.append(f'<td class="{c.align}">{text}</td>')
            rows.append(f"<tr>{''.join(cells)}</tr>")
        parts.append(f"<h3>{html.escape(f'{data} · {model}')}</h3>"
                     f"<table><tr>{head}</tr>{''.join(rows)}</table>")  # fmt: skip
    return "".join(parts)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def write_report(out: str | Path) -> dict[str, Any]:
    """Write ``out/report.html`` and ``out/figures/*.png``; return the leaderboard and paths."""
    out = Path(out)
    if not (out / "actopt.db").exists():
        load(out)  # raises the FileNotFoundError that tells the user what to run
    with Store(out) as store:
        grid = store.get_meta("grid") or {}
        tuning = store.get_meta("tuning")
        rows = store.rows("run")
    df = to_frame(rows, grid.get("target_acc"))
    env = rows[-1]["env"] if rows else {}
    board = leaderboard(df, grid.get("baseline"))
    figdir = out / "figures"
    figdir.mkdir(exist_ok=True)
    sections, written = [], {}
    for name, draw in FIGURES.items():
        fig = draw(df, board)
        if fig is None:
            continue
        data = _png(fig)
        (figdir / f"{name}.png").write_bytes(data)
        written[name] = figdir / f"{name}.png"
        b64 = base64.b64encode(data).decode()
        sections.append(f'<figure id="{name}"><img alt="{name}" src="data:image/png;base64,{b64}">'
                        "</figure>")  # fmt: skip
    failures = df[df["status"] != "ok"][["config", "seed", "status", "error"]]
    fail_html = ("<h2>Runs that did not finish ok</h2>" + failures.to_html(index=False, escape=True)
                 if not failures.empty else "")  # fmt: skip
    target = grid.get("target_acc")
    seeds = sorted(df["seed"].unique().tolist())
    target_text = fmt_pct(target) if target else "—"
    baseline = html.escape(str(grid.get("baseline")))
    tuning_text = html.escape(json.dumps(tuning, indent=2)) if tuning else "off"
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>actopt bench report</title>
<style>{_CSS}</style></head><body>
<h1>actopt bench report</h1>
<p>{len(df)} runs · {df["config"].nunique()} configs · seeds {seeds} · target accuracy
{target_text} · baseline {baseline}. Differences with p ≥ 0.05 (paired t-test over seeds) are
ties.</p>
<h2>Leaderboard</h2>{_board_html(board)}
{fail_html}
<h2>Charts</h2>{"".join(sections)}
<h2>Learning-rate tuning</h2><pre>{tuning_text}</pre>
<h2>Spec</h2><pre>{html.escape(json.dumps(grid, indent=2, default=str))}</pre>
<h2>Environment</h2><pre>{html.escape(json.dumps(env, indent=2))}</pre>
</body></html>"""
    (out / "report.html").write_text(page, encoding="utf-8")
    return {"board": board, "html": out / "report.html", "figures": written}

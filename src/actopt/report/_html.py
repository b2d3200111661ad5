"""``report.html``: one self-contained, offline, explorable page.

plotly.js comes from the ``plotly`` Python package (its bundled ``plotly.min.js``, inlined: no
CDN, nothing fetched). The page has one section per (dataset, model): a sortable leaderboard
(click a column title), the accuracy bars with every seed, learning curves, the activation ×
optimizer heatmap, a parallel-coordinates view of hyper-parameters → test accuracy and the
diagnostics; a filter box above hides leaderboard rows in every section. Then the tuning
search, the runs of other grids in the same store, failures, the spec and the environment.
"""

from __future__ import annotations

import html
import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from .._json import dumps
from ._columns import LEADERBOARD, caption, fmt_pct, verdict_class
from ._data import Bench
from ._plots import section_plots, tuning_plot

__all__ = ["render_html", "slug", "warnings", "write_html"]

_CSS = """
:root{--ink:#1d232b;--muted:#667085;--line:#e4e7ec;--bg:#f7f8fa;--accent:#0072B2}
*{box-sizing:border-box}body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;
color:var(--ink);background:var(--bg);margin:0}
header{background:#fff;border-bottom:1px solid var(--line);padding:18px 32px 12px;position:sticky;
top:0;z-index:10}header h1{font-size:20px;margin:0 0 2px}header p{margin:0;color:var(--muted)}
nav{margin-top:8px;display:flex;gap:6px;flex-wrap:wrap;align-items:center}
nav a{padding:3px 10px;border:1px solid var(--line);border-radius:14px;text-decoration:none;
color:var(--accent);background:#fff;font-size:13px}nav a:hover{background:#eef5fb}
#filter{margin-left:auto;padding:5px 10px;border:1px solid #cfd4dc;border-radius:6px;width:260px}
main{max-width:1280px;margin:0 auto;padding:8px 32px 40px}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 20px;
margin:18px 0}h2{font-size:17px;margin:2px 0 10px}h3{font-size:14px;margin:18px 0 6px}
.caption{color:var(--muted);font-size:12.5px;margin:6px 0 0}
.warn{background:#fff8e6;border:1px solid #f3d37a;border-radius:8px;padding:8px 12px;margin:10px 0}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 9px;border-bottom:1px solid var(--line);white-space:nowrap}
th{background:#f2f4f7;position:sticky;top:0;cursor:pointer;user-select:none;font-weight:600}
th:hover{background:#e6e9ef}th.asc:after{content:" ▲"}th.desc:after{content:" ▼"}
tbody tr:hover{background:#f5f9ff}.left{text-align:left}.right{text-align:right}
td.config{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
.better{color:#067647;font-weight:600}.worse{color:#b42318;font-weight:600}
.tie{color:#667085}.baseline{font-weight:700}.na{color:#b54708}
.plots{display:grid;grid-template-columns:1fr 1fr;gap:14px}.plot{min-height:260px}
.plot.wide{grid-column:1/-1}details{margin:8px 0}summary{cursor:pointer;color:var(--accent)}
pre{background:var(--bg);padding:10px;overflow:auto;font-size:12px;border-radius:6px}
.count{color:var(--muted);font-size:12.5px}
@media (max-width:900px){.plots{grid-template-columns:1fr}}
"""

# sort by the raw value (numbers numerically, missing last), toggle on a second click; the
# filter hides rows whose text lacks every word typed; each figure is drawn once, responsive
_JS = """
function sortTable(th){const table=th.closest('table'),body=table.tBodies[0],
i=[...th.parentNode.children].indexOf(th),asc=!th.classList.contains('asc');
table.querySelectorAll('th').forEach(h=>h.classList.remove('asc','desc'));
th.classList.add(asc?'asc':'desc');const key=r=>r.children[i].dataset.v;
const rows=[...body.rows].sort((a,b)=>{const x=key(a),y=key(b);
const nx=x===''?NaN:Number(x),ny=y===''?NaN:Number(y);
if(isNaN(nx)&&isNaN(ny))return asc?x.localeCompare(y):y.localeCompare(x);
if(isNaN(nx))return 1;if(isNaN(ny))return -1;return asc?nx-ny:ny-nx});
rows.forEach(r=>body.appendChild(r))}
function filterRows(q){const words=q.toLowerCase().split(/\\s+/).filter(Boolean);
document.querySelectorAll('table.board').forEach(t=>{let shown=0;
[...t.tBodies[0].rows].forEach(r=>{const ok=words.every(w=>r.textContent.toLowerCase()
.includes(w));r.style.display=ok?'':'none';shown+=ok});
const c=t.parentNode.querySelector('.count');if(c)c.textContent=shown+' of '+
t.tBodies[0].rows.length+' configs shown'})}
document.querySelectorAll('table.board th').forEach(th=>th.addEventListener('click',
()=>sortTable(th)));
document.getElementById('filter').addEventListener('input',e=>filterRows(e.target.value));
const FIGS=JSON.parse(document.getElementById('figures').textContent);
for(const [id,fig] of Object.entries(FIGS)){Plotly.newPlot(id,fig.data,fig.layout,
{responsive:true,displaylogo:false,modeBarButtonsToRemove:['lasso2d','select2d']})}
"""


_WIDE = ("learning_curves", "parallel", "diagnostics", "grad_norms")  # the full page width


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    """plotly.js as shipped inside the plotly package (offline, no CDN)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def slug(text: str) -> str:
    """A name safe in an HTML id and a file name, from any label (formulas with / and ,)."""
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in text)
    return "-".join(part for part in keep.split("-") if part) or "x"


def _sort_value(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return str(float(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def _board_table(part: pd.DataFrame) -> str:
    head = "".join(f'<th class="{c.align}" title="sort by {html.escape(c.title)}">'
                   f"{html.escape(c.title)}</th>" for c in LEADERBOARD)  # fmt: skip
    rows = []
    for _, r in part.iterrows():
        cells = []
        for c in LEADERBOARD:
            text = html.escape(c.cell(r))
            if c.verdict:
                text = f'<span class="{verdict_class(c.cell(r))}">{text}</span>'
            kind = " config" if c.key == "config" else ""
            value = html.escape(_sort_value(r[c.key]))
            cells.append(f'<td class="{c.align}{kind}" data-v="{value}">{text}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (f'<table class="board"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>"
            f'<p class="count">{len(part)} configs</p>')  # fmt: skip


def _others(bench: Bench) -> str:
    """The runs of other grids in this store: listed, never in a statistic (issue #14.11)."""
    o = bench.others
    if o.empty:
        return ""
    rows = []
    for (data, model, config), g in o.groupby(["data", "model", "config"], sort=False):
        ok = g[g["status"] == "ok"]
        epochs = ", ".join(sorted({str(e) for e in g["epochs"]}))
        rows.append(f"<tr><td class='left'>{html.escape(data)}</td><td class='left'>"
                    f"{html.escape(model)}</td><td class='left config'>{html.escape(config)}"
                    f"</td><td class='right'>{epochs}</td><td class='right'>{len(ok)}/{len(g)}"
                    f"</td><td class='right'>{fmt_pct(ok['test_acc'].mean() if len(ok) else None)}"
                    "</td></tr>")  # fmt: skip
    return (f'<section id="other-grids"><h2>Runs of other grids in this store ({len(o)})</h2>'
            "<p class='caption'>Earlier benches wrote these to the same folder with another "
            "grid. They are listed here and kept out of every statistic above.</p><table>"
            "<thead><tr><th class='left'>data</th><th class='left'>model</th>"
            "<th class='left'>config</th><th class='right'>epochs</th><th class='right'>ok/runs"
            "</th><th class='right'>mean test acc</th></tr></thead><tbody>"
            f"{''.join(rows)}</tbody></table></section>")  # fmt: skip


def warnings(bench: Bench) -> list[str]:
    """What the reader must know before trusting the numbers (terminal and page)."""
    out = []
    for key, choice in (bench.tuning or {}).items():
        if choice.get("edge"):
            lo, hi = choice["searched"]
            out.append(
                f"{key}: the best lr {choice['lr']:.3g} is at the {choice['edge']} edge "
                f"of the search ({lo:.3g} … {hi:.3g}, widened as far as allowed)"
            )
    failed = bench.df[bench.df["status"] != "ok"]
    if len(failed):
        out.append(f"{len(failed)} run(s) did not finish ok (see Failures)")
    if len(bench.others):
        out.append(
            f"{len(bench.others)} run(s) of other grids in this store are not in these "
            "statistics (see Runs of other grids)"
        )
    return out


def render_html(bench: Bench) -> str:
    """The page for ``bench`` as one string."""
    figures: dict[str, Any] = {}
    sections, nav = [], []
    for data, model, runs, part in bench.sections():
        sid = slug(f"{data}-{model}")
        nav.append(f'<a href="#{sid}">{html.escape(f"{data} · {model}")}</a>')
        plots = []
        for name, fig in section_plots(runs, part, bench.grid.get("target_acc")):
            pid = f"{sid}-{name}"
            figures[pid] = fig
            wide = " wide" if name in _WIDE else ""
            plots.append(f'<div class="plot{wide}" id="{pid}"></div>')
        sections.append(
            f'<section id="{sid}"><h2>{html.escape(f"{data} · {model}")} — test accuracy over '
            f"seeds</h2>{_board_table(part)}<p class='caption'>"
            f"{html.escape(caption(part, bench.baseline))}</p>"
            f'<div class="plots">{"".join(plots)}</div></section>'
        )
    extra = []
    if bench.tuning:
        fig = tuning_plot(bench.tuning)
        if fig is not None:
            figures["tuning"] = fig
            nav.append('<a href="#tuning-section">tuning</a>')
            every = html.escape(json.dumps(bench.tuning, indent=1))
            extra.append(
                '<section id="tuning-section"><h2>Learning-rate tuning</h2>'
                '<div class="plot" id="tuning"></div><details><summary>every '
                f"candidate</summary><pre>{every}</pre></details></section>"
            )
    others = _others(bench)
    if others:
        nav.append('<a href="#other-grids">other grids</a>')
        extra.append(others)
    failures = bench.df[bench.df["status"] != "ok"][["data", "model", "config", "seed",
                                                    "status", "error"]]  # fmt: skip
    if not failures.empty:
        extra.append(
            "<section><h2>Failures</h2>"
            f"{failures.to_html(index=False, escape=True, border=0)}</section>"
        )
    df = bench.df
    seeds = sorted(int(s) for s in df["seed"].unique())
    summary = (f"{len(df)} runs · {df['config_id'].nunique()} configs · "
               f"{df[['data', 'model']].drop_duplicates().shape[0]} dataset × model · seeds "
               f"{seeds} · baseline {bench.baseline or '—'} · target accuracy "
               f"{fmt_pct(bench.grid.get('target_acc'))}")  # fmt: skip
    warns = "".join(f'<div class="warn">⚠ {html.escape(w)}</div>' for w in warnings(bench))
    spec = html.escape(json.dumps(bench.grid, indent=2, default=str))
    env = html.escape(json.dumps(bench.env, indent=2))
    blob = dumps(figures, default=str).replace("</", "<\\/")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>actopt bench report · {html.escape(str(bench.out.name))}</title><style>{_CSS}</style>
<script>{_plotly_js()}</script></head><body>
<header><h1>actopt bench report</h1><p>{html.escape(summary)}</p>
<nav>{"".join(nav)}<input id="filter" type="search" placeholder="filter configs (e.g. adam tie)"
aria-label="filter the leaderboards"></nav></header><main>{warns}
{"".join(sections)}{"".join(extra)}
<section><h2>Spec</h2><details><summary>the grid as asked (defaults filled in)</summary>
<pre>{spec}</pre></details><h2>Environment</h2><details><summary>versions and hardware
</summary><pre>{env}</pre></details></section></main>
<script type="application/json" id="figures">{blob}</script><script>{_JS}</script>
</body></html>"""


def write_html(bench: Bench, path: Path) -> Path:
    path.write_text(render_html(bench), encoding="utf-8")
    return path

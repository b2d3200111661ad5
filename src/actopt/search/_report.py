"""``OUT/search.html``: the leaderboard, the best functions and their derivatives, accuracy
against backprop cost (Pareto front), and best-so-far curves of every strategy run in OUT.
One self-contained page, figures inlined as PNG, like the bench report."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import torch

from .._numbers import counted
from ..activations import from_formula
from ._dedup import BETA_RANGE
from ._evaluate import fmt_score
from ._search import SearchResult, leaderboard, read_results
from ._validate import BASELINES, fmt_accuracy, fmt_comparison, read_validation

__all__ = ["validation_html", "write_search_report"]

_CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px}
th{background:#f3f3f3}code{font-size:12px}img{max-width:100%;border:1px solid #eee}"""


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _functions(board: list[dict[str, Any]]):
    import matplotlib.pyplot as plt

    fig, (ax_f, ax_g) = plt.subplots(1, 2, figsize=(11, 4))
    x = torch.linspace(-5, 5, 401, dtype=torch.float64)
    for rank, e in enumerate(board[:6], 1):
        s = from_formula(e["formula"])
        with torch.no_grad():
            ax_f.plot(x, s.forward(x), label=f"#{rank}")
            ax_g.plot(x, s.derivative(x), label=f"#{rank}")
    with torch.no_grad():
        for ax, y in (
            (ax_f, x * torch.sigmoid(x)),
            (ax_g, torch.sigmoid(x) * (1 + x * (1 - torch.sigmoid(x)))),
        ):
            ax.plot(x, y, "k--", lw=1, label="swish")
    ax_f.set(title="f(x), the best functions", ylim=(-3, 5))
    ax_g.set(title="f'(x)", ylim=(-2, 3))
    ax_f.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _pareto(results: list[SearchResult]):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    points = [(e["cost"], e["score"]["mean"]) for r in results for e in r.trained()]
    if points:
        ax.scatter(*zip(*points, strict=True), s=10, alpha=0.5, label="trained")
        front, best = [], -1.0
        for cost, acc in sorted(points):
            if acc > best:
                front.append((cost, acc))
                best = acc
        ax.step(*zip(*front, strict=True), where="post", color="C3", label="Pareto front")
    ax.set(xlabel="backprop cost (nodes in f'(x))", ylabel="validation accuracy (mean of seeds)",
           xscale="log", title="accuracy vs backprop cost")  # fmt: skip
    ax.legend()
    fig.tight_layout()
    return fig


def _curves(results: list[SearchResult]):
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in results:
        curve = r.curve()
        ax.plot(range(1, len(curve) + 1), curve, label=f"{r.strategy} (seed {r.seed})")
    ax.set(xlabel="candidates trained", ylabel="best validation accuracy so far",
           title="search curves")  # fmt: skip
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no "1.5 candidates"
    ax.legend()
    fig.tight_layout()
    return fig


def _table(board: list[dict[str, Any]]) -> str:
    head = ("<tr><th>#</th><th>f(x)</th><th>LaTeX</th><th>val acc [95% CI]</th><th>test acc</th>"
            "<th>cost</th><th>to swish</th><th>found by</th></tr>")  # fmt: skip
    rows = []
    for i, e in enumerate(board, 1):
        s = e["score"]
        sw = e["swish"]
        rows.append(
            f"<tr><td>{i}</td><td><code>{html.escape(e['text'])}</code></td>"
            f"<td><code>{html.escape(e['latex'])}</code></td>"
            f"<td>{fmt_score(s)}</td><td>{s['test']:.3f}</td>"
            f"<td>{e['cost']}</td><td>{sw['distance']:.3g} (β={sw['beta']:.2f})</td>"
            f"<td>{', '.join(e['found_by'])}</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def validation_html(doc: dict[str, Any] | None) -> str:
    """The validation's section of the page: the net, then formulas and baselines side by side."""
    if doc is None:
        return ""
    net = html.escape(", ".join(f"{k}={v}" for k, v in doc["net"].items() if v not in (None, {})))
    head = "".join(f"<th>vs {b}</th>" for b in BASELINES)
    rows = [  # "baseline" in its own column, as the terminal table has it
        f"<tr><td>{b}</td><td></td><td>{fmt_accuracy(s)}</td>"
        + "".join(f"<td>{'baseline' if c == b else ''}</td>" for c in BASELINES)
        + "</tr>"
        for b, s in doc["baselines"].items()
    ]
    for r in doc["rows"]:
        cells = "".join(f"<td>{html.escape(fmt_comparison(r['vs'][b]))}</td>" for b in BASELINES)
        name = f"#{r['search_rank']} <code>{html.escape(r['text'])}</code>"
        rows.append(f"<tr><td>{name}</td><td>{r['search_val']:.3f}</td>"
                    f"<td>{fmt_accuracy(r)}</td>{cells}</tr>")  # fmt: skip
    return (f"<h2>Validation</h2><p>The top {doc['k']} retrained with {net}, "
            f"{counted(doc['seeds'], 'seed')} each (the same seeds for every function); paired "
            f"t-test on test accuracy against each baseline, Holm-adjusted over all comparisons "
            f"(α = {doc['alpha']}).</p><table><tr><th>function</th><th>search val acc</th>"
            f"<th>test acc [95% CI]</th>{head}</tr>{''.join(rows)}</table>")  # fmt: skip


def write_search_report(out: str | Path) -> Path:
    """Write ``out/search.html`` from the search logs in ``out``; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    out = Path(out)
    results = read_results(out)
    if not results:
        raise FileNotFoundError(f"no search logs (search-*.json) in {out}: run actopt search")
    board = leaderboard(results)
    figures = [_functions(board), _pareto(results), _curves(results)] if board else []
    imgs = "".join(f'<figure><img src="data:image/png;base64,{_png(f)}"></figure>' for f in figures)
    counts = "".join(
        f"<li>{html.escape(r.strategy)} (seed {r.seed}): {r.describe()}</li>" for r in results
    )
    validation = validation_html(read_validation(out))
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>actopt search</title>
<style>{_CSS}</style></head><body><h1>actopt activation search</h1><ul>{counts}</ul>
<h2>Leaderboard</h2>{_table(board)}<p>cost: nodes in f'(x); to swish: max |f − x·σ(βx)| on
[−5, 5] at the best β in [{BETA_RANGE[0]:g}, {BETA_RANGE[1]:g}].</p>{validation}
<h2>Figures</h2>{imgs}</body></html>"""
    path = out / "search.html"
    path.write_text(page, encoding="utf-8")
    return path

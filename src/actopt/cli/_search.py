"""``actopt search``: look for new activation functions (random search or evolution)."""

from __future__ import annotations

import argparse
import json

from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ._common import UsageError, add_command, add_json, emit_json, err, out, print_error

__all__ = ["add_parsers"]


def cmd_search(args: argparse.Namespace) -> int:
    from actopt.bench import BenchError, BenchInterrupted
    from actopt.search import search
    from actopt.search._report import leaderboard, read_results, write_search_report

    budget = args.budget if args.budget is not None or args.minutes is not None else 50
    child = {k: v for k, v in (("steps", args.steps), ("width", args.width)) if v is not None}
    bar = Progress(
        TextColumn(f"search ({args.strategy})"), BarColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[line]}"), console=err, disable=args.quiet,
    )  # fmt: skip
    task = bar.add_task("search", total=budget, line="")

    def on_progress(c: dict) -> None:
        bar.start()  # on the first report: a refused option is one error line, with no bar
        line = (f"proposed {c['proposed']} · pruned {c['pruned']} · duplicate "
                f"{c['duplicate']} · trained {c['trained']} · best {c['best']:.3f}")  # fmt: skip
        bar.update(task, completed=c["trained"], line=line)

    try:
        try:
            result = search(
                args.out, strategy=args.strategy, budget=budget, minutes=args.minutes,
                seeds=args.seeds, seed=args.seed, batch=args.batch, backend=args.backend,
                workers=args.workers, on_progress=on_progress, **child,
            )  # fmt: skip
        finally:
            if bar.live.is_started:  # stopping a bar never shown would print a blank line
                bar.stop()
    except ValueError as e:
        raise UsageError(str(e)) from None
    except BenchError as e:
        print_error(str(e))
        return 2
    except BenchInterrupted as e:
        err.print(f"[yellow]{e}[/]; run the same command again to resume")
        return 130
    board = leaderboard(read_results(args.out), args.top)
    page = write_search_report(args.out)
    doc = {"counts": result.counts(), "wall_s": result.wall_s, "top": board}
    if emit_json(args.json, json.loads(json.dumps(doc, default=str))):
        return 0
    table = Table(title=f"best of {len(board)} (all strategies in {args.out})")
    for col in ("#", "f(x)", "val acc [95% CI]", "test", "cost", "to swish", "LaTeX"):
        table.add_column(col, overflow="fold")
    for i, e in enumerate(board, 1):
        s, sw = e["score"], e["swish"]
        table.add_row(
            str(i), escape(e["text"]), f"{s['mean']:.3f} [{s['lo']:.3f}, {s['hi']:.3f}]",
            f"{s['test']:.3f}", str(e["cost"]), f"{sw['distance']:.2g} (β={sw['beta']:.2f})",
            escape(e["latex"]),
        )  # fmt: skip
    out.print(table)
    c = result.counts()
    out.print(f"{args.strategy}: {c['proposed']} proposed, {c['pruned']} pruned, "
              f"{c['duplicate']} duplicates, {c['trained']} trained in "
              f"{result.wall_s / 60:.1f} min; wrote {page}")  # fmt: skip
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub,
        "search",
        help="search for activation functions (random search or regularised evolution)",
        description="Candidates from the space of Ramachandran et al. (2017), b(u1(x), u2(x)) "
        "with one or two units, are screened by the auditor (bad ones never train), "
        "deduplicated by a fingerprint of f and f', and trained on MNIST-1D (2×64 MLP, 300 "
        "Adam steps) over --seeds seeds. Runs are kept in OUT/actopt.db: running the same "
        "command again resumes without retraining. Writes OUT/search-STRATEGY.json and "
        "OUT/search.html.",
        examples=[
            "actopt search --budget 20",
            "actopt search --strategy random --minutes 30 --out search-out",
            "actopt search --budget 5 --seeds 1 --steps 100 --json -",
        ],
    )
    a = p.add_argument
    a("--strategy", choices=("evolution", "random"), default="evolution")
    a("--budget", type=int, help="candidates to train (default 50 when --minutes is not given)")
    a("--minutes", type=float, help="stop after this many minutes (between training rounds)")
    a("--seeds", type=int, default=3, help="trainings per candidate (default 3)")
    a("--seed", type=int, default=0, help="the strategy's random seed")
    a("--batch", type=int, default=4, help="candidates per training round (default 4)")
    a("--out", default="search-out", help="output folder (default search-out)")
    a("--backend", choices=("local", "ray"), default="local")
    a("--workers", type=int, help="training processes (default: one per core)")
    a("--steps", type=int, help="child network's training steps (default 300)")
    a("--width", type=int, help="child network's hidden width (default 64)")
    a("--top", type=int, default=10, help="leaderboard length (default 10)")
    add_json(p, "the counts and the leaderboard")
    a("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_search)

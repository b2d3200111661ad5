"""``actopt search``: look for new activation functions (random search or evolution)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .._numbers import counted
from ._common import (
    UsageError,
    add_command,
    add_json,
    emit_json,
    err,
    out,
    output_dir,
    positive_int,
    print_error,
)

__all__ = ["add_parsers"]


def _bar(label: str, quiet: bool) -> tuple[Progress, Any]:
    bar = Progress(
        TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[line]}"), console=err, disable=quiet,
    )  # fmt: skip
    return bar, bar.add_task(label, total=None, line="")


@contextmanager
def _shown(bar: Progress) -> Iterator[None]:
    try:
        yield
    finally:
        if bar.live.is_started:  # stopping a bar never shown would print a blank line
            bar.stop()


def _search(args: argparse.Namespace, budget: int | None) -> Any:
    from actopt.search import search

    child = {k: v for k, v in (("steps", args.steps), ("width", args.width)) if v is not None}
    bar, task = _bar(f"search ({args.strategy})", args.quiet)
    bar.update(task, total=budget)

    def on_progress(c: dict) -> None:
        bar.start()  # on the first report: a refused option is one error line, with no bar
        line = (f"proposed {c['proposed']} · pruned {c['pruned']} · duplicate "
                f"{c['duplicate']} · trained {c['trained']} · best {c['best']:.3f}")  # fmt: skip
        bar.update(task, completed=c["trained"], line=line)

    with _shown(bar):
        return search(
            args.out, strategy=args.strategy, budget=budget, minutes=args.minutes,
            seeds=args.seeds, seed=args.seed, batch=args.batch, backend=args.backend,
            workers=args.workers, on_progress=on_progress, **child,
        )  # fmt: skip


def _net(args: argparse.Namespace) -> dict:
    """The validation net's fields the flags change."""
    net: dict = {"steps": args.validate_steps} if args.validate_steps is not None else {}
    if args.validate_images is not None:
        net["data_options"] = {"n_train": args.validate_images}
    return net


def _validate(args: argparse.Namespace) -> dict:
    from actopt.search import validate

    net = _net(args)
    bar, task = _bar("validate", args.quiet)

    def on_start(total: int) -> None:
        bar.start()
        bar.update(task, total=total, line="runs trained or found in the store")

    with _shown(bar):
        return validate(
            args.out, args.validate, seeds=args.validate_seeds, backend=args.backend,
            workers=args.workers, data_dir=args.data_dir, download=not args.no_download,
            on_start=on_start, on_done=lambda *_: bar.advance(task), **net,
        )  # fmt: skip


def _print_board(board: list[dict], folder: str) -> None:
    from actopt.search._evaluate import fmt_score

    table = Table(title=f"best of {len(board)} (all strategies in {folder})")
    for col in ("#", "f(x)", "val acc [95% CI]", "test", "cost", "to swish", "LaTeX"):
        table.add_column(col, overflow="fold")
    for i, e in enumerate(board, 1):
        s, sw = e["score"], e["swish"]
        table.add_row(
            str(i), escape(e["text"]), escape(fmt_score(s)),
            f"{s['test']:.3f}", str(e["cost"]), f"{sw['distance']:.2g} (β={sw['beta']:.2f})",
            escape(e["latex"]),
        )  # fmt: skip
    out.print(table)


def _print_validation(doc: dict) -> None:
    from actopt.search import BASELINES
    from actopt.search._validate import fmt_accuracy, fmt_comparison

    net = doc["net"]
    size = f"{net['steps']} steps" if net["steps"] else f"{net['epochs']} epochs"
    if n_train := (net.get("data_options") or {}).get("n_train"):
        size += f" on {n_train} images"
    table = Table(title=f"validation: {net['data']}, {net['depth']}×{net['width']} MLP, {size}, "
                  f"{counted(doc['seeds'], 'seed')}; paired t-test, Holm over all "
                  "comparisons")  # fmt: skip
    for col in ("f(x)", "search val", "test acc [95% CI]", *(f"vs {b}" for b in BASELINES)):
        table.add_column(col, overflow="fold")

    for b, s in doc["baselines"].items():
        table.add_row(b, "", escape(fmt_accuracy(s)),
                      *("baseline" if c == b else "" for c in BASELINES))  # fmt: skip
    for r in doc["rows"]:
        table.add_row(
            f"#{r['search_rank']} {escape(r['text'])}", f"{r['search_val']:.3f}",
            escape(fmt_accuracy(r)),
            *(fmt_comparison(r["vs"][b]) for b in BASELINES),
        )  # fmt: skip
    out.print(table)


def cmd_search(args: argparse.Namespace) -> int:
    from actopt.bench import BenchError, BenchInterrupted, start_pool_server

    if args.backend == "local":  # the workers' imports overlap the search's own (seconds)
        start_pool_server()
    from actopt.search import leaderboard, read_results
    from actopt.search._report import write_search_report

    searched = args.budget is not None or args.minutes is not None
    # --validate on a folder that holds a search, with no budget: validate what is there
    validate_only = args.validate is not None and not searched and any(
        r.trained() for r in read_results(args.out))  # fmt: skip
    result, validation = None, None
    try:
        if args.validate is not None:  # before a search: a bad value fails in a second
            from actopt.search._validate import check_validation

            check_validation(args.validate, args.validate_seeds, **_net(args))
        if not validate_only:
            if args.validate is not None and not searched:  # say so: a mistyped --out
                msg = (f"{escape(args.out)} holds no search yet: searching first (--budget 50;"
                       " choose with --budget or --minutes), then validating")  # fmt: skip
                err.print(msg)
            result = _search(args, args.budget if searched else 50)
        if args.validate is not None:
            validation = _validate(args)
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
    doc = {"counts": result.counts() if result else None,
           "wall_s": result.wall_s if result else None, "top": board,
           "validation": validation}  # fmt: skip
    if emit_json(args.json, doc):
        return 0
    _print_board(board, args.out)
    if validation is not None:
        _print_validation(validation)
    if result is not None:
        out.print(f"{args.strategy}: {result.describe()}; wrote {page}")
    else:
        out.print(f"validated the search in {args.out} (no new search); wrote {page}")
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
        "OUT/search.html. --validate K trains the top K again on Fashion-MNIST with a 6×128 "
        "MLP (3 epochs) beside relu, swish and gelu on the same seeds and tests each "
        "difference (paired t-test, Holm-adjusted); on a folder holding a search and with no "
        "--budget or --minutes it validates without searching.",
        examples=[
            "actopt search --budget 20",
            "actopt search --strategy random --minutes 30 --out search-out",
            "actopt search --budget 5 --seeds 1 --steps 100 --json -",
            "actopt search --validate 5 --out search-out",
        ],
    )
    a = p.add_argument
    a("--strategy", choices=("evolution", "random"), default="evolution")
    a("--budget", type=int,
      help="candidates to train (default 50 when --minutes is not given, unless --validate "
      "finds a search in OUT)")  # fmt: skip
    a("--minutes", type=float, help="stop after this many minutes (between training rounds)")
    a("--seeds", type=int, default=3, help="trainings per candidate (default 3)")
    a("--seed", type=int, default=0, help="the strategy's random seed")
    a("--batch", type=int, default=4, help="candidates per training round (default 4)")
    a("--out", default="search-out", type=output_dir, help="output folder (default search-out)")
    a("--backend", choices=("local", "ray"), default="local")
    a("--workers", type=positive_int, help="training processes (default: one per core)")
    a("--steps", type=int, help="child network's training steps (default 300)")
    a("--width", type=int, help="child network's hidden width (default 64)")
    a("--top", type=positive_int, default=10, help="leaderboard length (default 10)")
    a("--validate", type=int, metavar="K",
      help="train the top K again on Fashion-MNIST, a deeper net, against baselines")  # fmt: skip
    a("--validate-seeds", type=int, default=5, help="seeds per function in --validate (default 5)")
    a("--validate-steps", type=int, help="training steps in --validate (default 3 epochs)")
    a("--validate-images", type=int, metavar="N",
      help="train --validate on a seeded subset of N images (default all 60,000)")  # fmt: skip
    a("--data-dir", help="where fashion-mnist/ lives (for --validate)")
    a("--no-download", action="store_true", help="fail instead of downloading missing data")
    add_json(p, "the counts, the leaderboard and the validation")
    a("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_search)

"""``actopt bench``, ``actopt report`` and ``actopt export``: grids, leaderboards, reports."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ._common import (
    UsageError,
    add_command,
    err,
    out,
    parse_value,
    print_error,
    split_top_level,
)

__all__ = ["add_parsers", "print_leaderboard"]


def _list(text: str | None) -> list[str] | None:
    return split_top_level(text) if text else None


def _grid(args: argparse.Namespace):
    """The grid of --spec FILE.toml (or the defaults) with the flags on top."""
    from actopt.bench import grid_with_overrides, read_grid

    batch = args.batch_size
    flags = dict(
        data=_list(args.data), model=_list(args.model), act=_list(args.act), opt=_list(args.opt),
        seeds=args.seeds, epochs=args.epochs, steps=args.steps, lr=args.lr,
        batch_size=batch if batch in (None, "full") else parse_value(batch),
        tune=args.tune or None, target_acc=args.target_acc, baseline=args.baseline,
        data_dir=args.data_dir, download=False if args.no_download else None,
    )  # fmt: skip
    try:
        return grid_with_overrides(read_grid(args.spec) if args.spec else {}, **flags)
    except (ValueError, KeyError) as e:
        raise UsageError(str(e).strip("\"'")) from None


_VERDICT = {"better": "[green]better[/]", "worse": "[red]worse[/]", "tie": "[dim]tie[/]",
            "baseline": "[bold]baseline[/]"}  # fmt: skip


def print_leaderboard(board, title: str) -> None:
    from actopt.report import LEADERBOARD

    table = Table(title=title)
    for c in LEADERBOARD:
        table.add_column(c.title, justify=c.align, no_wrap=not c.wrap)
    for _, r in board.iterrows():
        cells = [(c, c.cell(r)) for c in LEADERBOARD]
        table.add_row(*(_VERDICT.get(text, "") if c.verdict else escape(text) for c, text in cells))
    out.print(table)


def _report(folder: str, quiet: bool = False) -> Any:
    from actopt.bench import Store
    from actopt.report import write_report

    written = write_report(folder)
    board = written["board"]
    with Store(folder) as store:
        grid = store.get_meta("grid") or {}
    for (data, model), part in board.groupby(["data", "model"], sort=False):
        print_leaderboard(part, f"{data} · {model} · test accuracy over seeds")
    if grid.get("baseline"):
        out.print(f"[dim]vs baseline {escape(grid['baseline'])}: paired t-test over seeds, "
                  "p ≥ 0.05 is a tie[/]")  # fmt: skip
    if not quiet:
        out.print(escape(f"report: {written['html']}  (figures in {Path(folder) / 'figures'})"))
    return written


def cmd_bench(args: argparse.Namespace) -> int:
    from actopt.bench import BenchError, BenchInterrupted, run_grid

    grid = _grid(args)
    bar = Progress(
        TextColumn("bench"), BarColumn(), MofNCompleteColumn(),
        TextColumn("[red]{task.fields[failed]} failed[/]"), TimeRemainingColumn(),
        console=err, disable=args.quiet,
    )  # fmt: skip
    counts = {"failed": 0}
    tasks: list = []  # the bar's one task, added once the runs are known (no bar on an error)

    def on_start(total: int) -> None:
        tasks.append(bar.add_task("runs", total=total, failed=0))

    def on_done(spec, result) -> None:
        if result is not None and result.status != "ok":
            counts["failed"] += 1
        bar.update(tasks[0], advance=1, failed=counts["failed"])

    t0 = time.time()
    try:
        with bar:
            summary = run_grid(
                grid, args.out, backend=args.backend, workers=args.workers,
                address=args.address, on_start=on_start, on_done=on_done,
            )  # fmt: skip
    except BenchError as e:
        print_error(str(e))
        return 2
    except BenchInterrupted as e:
        err.print(f"[yellow]{e}[/]; run the same command again to resume")
        return 130
    if not args.quiet:
        done = ", ".join(f"{n} {s}" for s, n in sorted(summary.statuses.items())) or "none"
        err.print(f"[dim]{summary.trained} runs trained ({done}), {summary.skipped} already in "
                  f"the store, {time.time() - t0:.0f} s[/]")  # fmt: skip
    _report(args.out, args.quiet)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    try:
        _report(args.out)
    except FileNotFoundError as e:
        raise UsageError(str(e)) from None
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from actopt.bench import load

    try:
        df = load(args.out, role=None).drop(columns=["history", "diagnostics"])
    except FileNotFoundError as e:
        raise UsageError(str(e)) from None
    if not args.csv and not args.parquet:
        df.to_csv(sys.stdout, index=False)
    if args.csv:
        df.to_csv(args.csv, index=False)
        out.print(escape(f"wrote {len(df)} runs to {args.csv}"))
    if args.parquet:
        try:
            df.to_parquet(args.parquet, index=False)
        except ImportError as e:
            raise UsageError(f"parquet needs pyarrow (pip install pyarrow): {e}") from None
        out.print(escape(f"wrote {len(df)} runs to {args.parquet}"))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "bench",
        help="train a grid of activations × optimizers × seeds and report with statistics",
        description="Without arguments: MNIST-1D (generated, no download), a 2×256 MLP, "
        "identity, sigmoid, tanh, relu, leaky_relu, elu and swish with Adam (lr 1e-2), 3 "
        "seeds, 15 epochs; prints the leaderboard with 95% CIs and writes OUT/report.html. "
        "Flags (comma lists) and --spec FILE.toml change the grid; both start from these "
        "defaults, and a flag replaces the file's key of the same name. Finished runs are kept in "
        "OUT/actopt.db (SQLite): running "
        "the same command again skips them, so an interrupted bench resumes.",
        examples=["actopt bench",
                  "actopt bench --data mnist,fashion-mnist --act relu,tanh,'x*tanh(softplus(x))' "
                  "--opt adam,momentum --seeds 5 --epochs 10 --tune --out my-bench",
                  "actopt bench --spec grid.toml --backend ray --address auto"],
    )  # fmt: skip
    a = p.add_argument
    a(
        "--spec",
        metavar="FILE.toml",
        help="grid spec (keys: data, model, act, opt, seeds, epochs, …)",
    )
    a("--data", help="datasets, comma-separated")
    a("--model", help="models: linear, mlp, cnn")
    a("--act", help="activations (names or formulas), comma-separated")
    a("--opt", help="optimizers, comma-separated")
    a("--seeds", type=int, help="number of seeds")
    a("--epochs", type=int)
    a("--steps", type=int, help="a step budget instead of epochs")
    a("--lr", type=float,
      help="one lr for every optimizer, replacing their own (default: each [[opt]] entry's "
      "lr, else the optimizer's default)")  # fmt: skip
    a("--batch-size", help="k, 1 or full")
    a("--tune", action="store_true",
      help="first pick each (act, opt) lr on the validation split (5-point grid)")  # fmt: skip
    a("--target-acc", type=float, help="accuracy for the convergence-speed columns")
    a("--baseline", help="config to compare against, e.g. relu/adam")
    a("--out", default="bench-out", help="results folder (default bench-out)")
    a("--workers", type=int, help="parallel runs (default: one per core)")
    a("--backend", choices=["local", "ray"], default="local")
    a("--address", help="Ray cluster address (with --backend ray)")
    a("--data-dir", help="where mnist/ and fashion-mnist/ live")
    a("--no-download", action="store_true", help="fail instead of downloading missing data")
    a("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_bench)

    p = add_command(sub, "report", help="print the leaderboard and write OUT/report.html",
                    description="Read OUT/actopt.db; print the leaderboard; write a self-"
                    "contained OUT/report.html and PNG figures in OUT/figures.",
                    examples=["actopt report bench-out"])  # fmt: skip
    p.add_argument("out", help="a bench results folder")
    p.set_defaults(func=cmd_report)

    p = add_command(sub, "export", help="every run of a bench as CSV or Parquet",
                    description="One row per run, one column per spec field and final "
                    "metric. Without --csv/--parquet, CSV goes to stdout.",
                    examples=["actopt export bench-out --csv runs.csv",
                              "actopt export bench-out | head"])  # fmt: skip
    p.add_argument("out", help="a bench results folder")
    p.add_argument("--csv", metavar="PATH")
    p.add_argument("--parquet", metavar="PATH")
    p.set_defaults(func=cmd_export)

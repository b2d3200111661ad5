"""``actopt bench``: a grid trained into a store, its leaderboard printed and its report written
(``report``, ``export`` and ``compare`` are in ``_report``; their parsers are added here)."""

from __future__ import annotations

import argparse
import time

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .._numbers import counted
from . import _report as _report_cli
from ._common import (
    CommaList,
    UsageError,
    add_command,
    comma_list,
    err,
    output_dir,
    parse_value,
    positive_int,
    print_error,
)

__all__ = ["add_parsers"]


def _grid(args: argparse.Namespace):
    """The grid of --spec FILE.toml (or the defaults) with the flags on top."""
    from actopt.bench import grid_with_overrides, read_grid

    batch = args.batch_size
    flags = dict(
        data=comma_list(args.data, "--data"), model=comma_list(args.model, "--model"),
        act=comma_list(args.act, "--act"), opt=comma_list(args.opt, "--opt"),
        seeds=args.seeds, epochs=args.epochs, steps=args.steps, lr=args.lr,
        batch_size=batch if batch in (None, "full") else parse_value(batch),
        tune=args.tune or None, target_acc=args.target_acc, baseline=args.baseline,
        data_dir=args.data_dir, download=False if args.no_download else None,
    )  # fmt: skip
    try:
        return grid_with_overrides(read_grid(args.spec) if args.spec else {}, **flags)
    except (ValueError, KeyError) as e:  # a KeyError's str() is its message quoted: unquote it
        raise UsageError(str(e.args[0]) if isinstance(e, KeyError) else str(e)) from None


def cmd_bench(args: argparse.Namespace) -> int:
    from actopt.bench import start_pool_server

    if args.backend == "local":  # first: the workers' imports overlap the driver's (seconds)
        start_pool_server()
    from actopt.bench import BenchError, BenchInterrupted, StoreError, run_grid

    grid = _grid(args)
    _report_cli.folder(args.out, "--out")
    if args.workers is not None:
        from actopt._resources import check_workers

        try:
            check_workers(args.workers, allow_large=args.allow_large)
        except ValueError as e:
            raise UsageError(f"--workers: {e}") from None  # more than the memory holds
    for note in grid.notes:  # what a model leaves out of the grid asked (once, not per run)
        err.print(f"[yellow]note:[/] {escape(note)}", soft_wrap=True)
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
                address=args.address, replicas=1 if args.no_vectorize else args.replicas,
                on_start=on_start, on_done=on_done,
            )  # fmt: skip
    except (BenchError, StoreError) as e:
        print_error(str(e))
        return 2
    except BenchInterrupted as e:
        err.print(f"[yellow]{e}[/]; run the same command again to resume")
        return 130
    if not args.quiet:
        done = ", ".join(f"{n} {s}" for s, n in sorted(summary.statuses.items())) or "none"
        err.print(f"[dim]{counted(summary.trained, 'run')} trained ({done}), {summary.skipped} "
                  f"already in the store, {time.time() - t0:.0f} s[/]")  # fmt: skip
    _report_cli.report(args.out, args.quiet)
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
    a("--data", action=CommaList, metavar="NAME,NAME", help="datasets")
    a("--model", action=CommaList, metavar="NAME,NAME", help="models: linear, mlp, cnn")
    a("--act", action=CommaList, metavar="NAME,NAME", help="activations: names or formulas")
    a("--opt", action=CommaList, metavar="NAME,NAME", help="optimizers")
    a("--seeds", type=int, help="number of seeds")
    a("--epochs", type=int)
    a("--steps", type=int, help="a step budget instead of epochs")
    a("--lr", type=float,
      help="one lr for every optimizer, replacing their own (default: each [[opt]] entry's "
      "lr, else the optimizer's default)")  # fmt: skip
    a("--batch-size", help="k, 1 or full")
    a("--tune", action="store_true",
      help="first pick each (act, opt) lr on the validation split (5-point grid)")  # fmt: skip
    a("--target-acc", type=float,
      help="test accuracy (a fraction, default 0.5) for ep→target: the first epoch a seed's "
      "test accuracy reaches it, averaged over the seeds that do; '8.0 (2/3)' where 2 of 3 ok "
      "seeds did, '— (0/3)' where none did")  # fmt: skip
    a("--baseline",
      help="config to compare against, as the leaderboard labels it: relu/adam, or "
      "'relu/adam [lr=0.01]' where the grid holds adam at two lrs (default: relu with the "
      "first optimizer entry)")  # fmt: skip
    a("--out", default="bench-out", type=output_dir, help="results folder (default bench-out)")
    a("--workers", type=positive_int, help="parallel runs (default: one per core)")
    a("--allow-large", action="store_true",
      help="allow more worker processes than half the machine's memory holds")  # fmt: skip
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--replicas", type=positive_int, metavar="K",
        help="at most K runs per replica group (default: each set of compatible runs split "
        "evenly over the workers, within half the free memory). Runs that differ "
        "only in seed, lr (or another optimizer number) or element-wise activation train as one "
        "batched computation (on 2 cores 1.2× faster than one by one for the default grid, "
        "1.4× for 48 runs of 1200 steps: see the README); a cap keeps groups small "
        "enough to share the machine",
    )  # fmt: skip
    group.add_argument(
        "--no-vectorize", action="store_true",
        help="train every run alone, one per task (same as --replicas 1): the old behaviour, to "
        "compare against or to rule the replica engine out",
    )  # fmt: skip
    a("--backend", choices=["local", "ray"], default="local")
    a("--address", help="Ray cluster address (with --backend ray)")
    a("--data-dir", help="where mnist/ and fashion-mnist/ live")
    a("--no-download", action="store_true", help="fail instead of downloading missing data")
    a("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_bench)

    _report_cli.add_parsers(sub)

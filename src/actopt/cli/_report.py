"""``actopt report``, ``actopt export`` and ``actopt compare``: reading bench folders (never
training). Each opens the store read-only; a missing, damaged or empty store is one ``error:``
line (exit 2)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from .._numbers import counted
from ._common import CommaList, UsageError, add_command, comma_list, err, out

if TYPE_CHECKING:  # the report package loads when a command needs it
    from actopt.report import Column

__all__ = ["add_parsers", "print_bench", "print_leaderboard", "print_table", "report"]

_STYLE = {"better": "green", "worse": "red", "tie": "dim", "baseline": "bold", "na": "yellow"}


_CONFIG_FLOOR = 12  # the narrowest a folding column (config) takes before a layout is refused
# in a terminal too narrow for every column, the secondary numbers go to a second table
_DETAILS = ("lr", "ep→target", "gen gap", "dead")
_COMPARE_DETAILS = ("ok/runs", "test", "p", "p (Holm)")


def _least(column, cells: list[str], wrap_title: bool) -> int:
    """The width a column takes: a whole column its widest cell and its title (or the title's
    widest word, where titles break at spaces); a folding column (config), down to a floor."""
    if not column.whole:
        return min(max(map(len, cells), default=0), _CONFIG_FLOOR)
    title = column.title.split() if wrap_title else [column.title]
    return max(len(t) for t in [*cells, *title])


def _layouts(columns, details) -> list[tuple[tuple[tuple[int, ...], ...], bool, bool]]:
    """The ways to lay a table out, best first: (the columns of each table, whether compact,
    whether titles break at spaces). The details go to a second table, beside the rank and
    config, in the last one."""
    every = tuple(range(len(columns)))
    detail = {i for i, c in enumerate(columns) if c.title in details}
    keep = {i for i, c in enumerate(columns) if c.title in ("rank", "config")}
    split = (tuple(i for i in every if i not in detail), tuple(sorted(keep | detail)))
    return [((every,), False, False), ((every,), False, True), ((every,), True, True),
            (split, True, True)]  # fmt: skip


def print_table(
    columns: Sequence[Column], records: Sequence[Mapping[str, Any]], title: str,
    details: tuple[str, ...] = _DETAILS,
) -> None:  # fmt: skip
    """``records`` (rows of a board) in ``columns`` as wide as the terminal allows, never
    cutting a number: the full table; narrower, with titles over two lines, then without
    padding or side rules; narrower still, split in two tables (the ``details`` apart). Only
    the folding columns (config) fold, at spaces first."""
    from rich import box

    from actopt.report._columns import verdict_class

    rows = [[c.cell(r) for c in columns] for r in records]
    for parts, compact, wrap_title in _layouts(columns, details):
        least = [_least(c, [row[i] for row in rows], wrap_title) for i, c in enumerate(columns)]
        overhead = (lambda n: n - 1) if compact else (lambda n: 3 * n + 1)
        if all(sum(least[i] for i in p) + overhead(len(p)) <= out.width for p in parts):
            break  # the last layout stands even when nothing fits
    style = dict(box=box.SIMPLE_HEAD, padding=(0, 0), show_edge=False) if compact else {}
    for k, part in enumerate(parts):
        table = Table(title=escape(title if k == 0 else f"{title} (continued)"), **style)
        for i in part:
            c = columns[i]
            table.add_column(c.title, justify=c.align, overflow="fold",
                             width=least[i] if c.whole else None)  # fmt: skip
        for row in rows:
            table.add_row(*(
                f"[{_STYLE[verdict_class(row[i])]}]{escape(row[i])}[/]"
                if columns[i].verdict else escape(row[i])
                for i in part
            ))  # fmt: skip
        out.print(table)


def print_leaderboard(board, title: str) -> None:
    """The leaderboard (see :func:`print_table`)."""
    from actopt.report import LEADERBOARD

    print_table(LEADERBOARD, [r for _, r in board.iterrows()], title)


def print_bench(bench) -> None:
    """Each (dataset, model)'s leaderboard with its caption, then what the report warns of."""
    from actopt.report import caption
    from actopt.report._html import warnings

    for data, model, _, part in bench.sections():
        print_leaderboard(part, f"{data} · {model} · test accuracy over seeds")
        out.print(f"[dim]{escape(caption(part, bench.baseline))}[/]")
    for line in warnings(bench):
        err.print(f"[yellow]warning:[/] {escape(line)}", soft_wrap=True)


def folder(text: str, flag: str = "OUT") -> str:
    """A folder argument: an empty one is refused (it would mean the current folder)."""
    if not text.strip():
        raise UsageError(f"{flag}: an empty path; name a folder")
    return text


def _library_errors():
    from actopt.bench import StoreError

    return (StoreError, ValueError, ImportError)


def report(folder: str, quiet: bool = False, **options: Any) -> Any:
    """Write the report of ``folder`` and print its leaderboards (the bench's last step too)."""
    from actopt.report import write_report

    try:
        written = write_report(folder, **options)
    except _library_errors() as e:
        raise UsageError(str(e)) from None
    print_bench(written["bench"])
    if not quiet:
        figures = f" and {len(written['figures'])} figures" if written["figures"] else ""
        out.print(f"report: {escape(str(written['html']))}{figures}")
    return written


def cmd_report(args: argparse.Namespace) -> int:
    from actopt.report import leaderboard_table, read_bench

    formats = comma_list(args.format, "--format") or []  # before the folder: a flag error first
    folder(args.out)
    if args.to is not None:
        folder(args.to, "--to")
    if args.table:
        try:
            sys.stdout.write(leaderboard_table(read_bench(args.out), args.table))
        except _library_errors() as e:
            raise UsageError(str(e)) from None
        return 0
    report(args.out, args.quiet, to=args.to, formats=formats, dpi=args.dpi)
    return 0


def _parquet_engine() -> None:
    """pandas writes Parquet through pyarrow (or fastparquet): neither is a dependency of
    actopt's core, so its absence is one line naming the extra, before any work."""
    if not any(importlib.util.find_spec(m) for m in ("pyarrow", "fastparquet")):
        raise UsageError("--parquet needs pyarrow: pip install 'actopt[parquet]' (or use --csv)")


def cmd_export(args: argparse.Namespace) -> int:
    from actopt.bench import StoreError, load
    from actopt.report import export_tensorboard

    if args.parquet:
        _parquet_engine()
    folder(args.out)
    try:
        df = load(args.out, role=None).drop(
            columns=["history", "diagnostics", "diag_records", "spec"]
        )
        if df.empty:
            raise StoreError(f"{args.out}/actopt.db: no finished runs yet")
        if args.tensorboard:
            n = export_tensorboard(args.out, args.tensorboard)
            out.print(f"wrote {counted(n, 'run')} to {escape(args.tensorboard)} "
                      f"(tensorboard --logdir {escape(args.tensorboard)})")  # fmt: skip
    except FileNotFoundError as e:
        raise UsageError(str(e)) from None
    except _library_errors() as e:
        raise UsageError(str(e)) from None
    except OSError as e:
        raise UsageError(f"{args.tensorboard}: cannot write there ({e.strerror})") from None
    if not args.csv and not args.parquet and not args.tensorboard:
        df.to_csv(sys.stdout, index=False)
    try:
        if args.csv:
            df.to_csv(args.csv, index=False)
            out.print(f"wrote {counted(len(df), 'run')} to {escape(args.csv)}")
        if args.parquet:
            df.to_parquet(args.parquet, index=False)
            out.print(f"wrote {counted(len(df), 'run')} to {escape(args.parquet)}")
    except OSError as e:
        raise UsageError(f"{args.csv or args.parquet}: cannot write there ({e})") from None
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from actopt.report import COMPARISON, compare_benches

    folder(args.first, "FIRST")
    folder(args.second, "SECOND")
    try:
        table = compare_benches(args.first, args.second)
    except _library_errors() as e:
        raise UsageError(str(e)) from None
    for (data, model), part in table.groupby(["data", "model"], sort=False):
        title = f"{data} · {model} · {args.first} (1) vs {args.second} (2) · test accuracy"
        print_table(COMPARISON, [r for _, r in part.iterrows()], title, _COMPARE_DETAILS)
    out.print("[dim]matched by dataset, model and config; t-test over seeds (paired where the "
              "seeds match), p Holm-adjusted over the configs compared; adjusted p ≥ 0.05 is "
              "a tie[/]")  # fmt: skip
    matched = table[table["only"] == ""]
    for differs, part in matched[matched["differs"] != ""].groupby("differs", sort=False):
        which = ("every matched config" if len(part) == len(matched)
                 else ", ".join(dict.fromkeys(part["config"])))  # fmt: skip
        out.print(f"[yellow]note:[/] {escape(which)} trained differently in (1) and (2): "
                  f"{escape(differs)}", soft_wrap=True)  # fmt: skip
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "report", help="print the leaderboard and write OUT/report.html",
        description="Read OUT/actopt.db (read-only); print the leaderboard; write the "
        "interactive, self-contained OUT/report.html (offline).",
        examples=["actopt report bench-out", "actopt report bench-out --format png,pdf --dpi 300",
                  "actopt report bench-out --table md"],
    )  # fmt: skip
    p.add_argument("out", help="a bench results folder")
    p.add_argument("--to", metavar="DIR", help="write report.html and figures/ here (default OUT)")
    p.add_argument(
        "--format",
        action=CommaList,
        metavar="png,svg,pdf",
        help="also write static figures per dataset and model into figures/",
    )
    p.add_argument("--dpi", type=int, default=150, help="resolution of PNG figures (default 150)")
    p.add_argument(
        "--table",
        choices=["md", "latex", "csv"],
        help="print the leaderboard as Markdown, LaTeX or CSV (and write nothing)",
    )
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_report)

    p = add_command(
        sub, "export", help="every run of a bench as CSV, Parquet or TensorBoard logs",
        description="One row per run, one column per spec field and final metric. Without "
        "--csv/--parquet/--tensorboard, CSV goes to stdout. Then: tensorboard --logdir LOGDIR.",
        examples=["actopt export bench-out --csv runs.csv", "actopt export bench-out | head",
                  "actopt export bench-out --tensorboard tb"],
    )  # fmt: skip
    p.add_argument("out", help="a bench results folder")
    p.add_argument("--csv", metavar="PATH")
    p.add_argument("--parquet", metavar="PATH",
                   help="write Parquet (needs pyarrow: pip install 'actopt[parquet]')")  # fmt: skip
    p.add_argument(
        "--tensorboard",
        metavar="LOGDIR",
        help="scalars per epoch and HParams (needs actopt[tensorboard])",
    )
    p.set_defaults(func=cmd_export)

    p = add_command(
        sub, "compare", help="two benches side by side, the same configs matched",
        description="Match configs by dataset, model and config label; print both mean test "
        "accuracies, the difference and a t-test over seeds with Holm-adjusted p.",
        examples=["actopt compare bench-a bench-b"],
    )  # fmt: skip
    p.add_argument("first", help="a bench results folder")
    p.add_argument("second", help="another bench results folder")
    p.set_defaults(func=cmd_compare)

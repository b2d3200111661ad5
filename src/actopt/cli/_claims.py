"""``actopt claims``: every textbook claim as an experiment with a verdict."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .._numbers import counted
from ._common import (
    CommaList,
    UsageError,
    add_command,
    add_json,
    comma_list,
    emit_json,
    err,
    out,
    output_dir,
    positive_int,
)

__all__ = ["add_parsers"]

_STYLE = {"supported": "green", "not supported": "red", "mixed": "yellow", "inconclusive": "dim"}


def _ids(text: str | None) -> list[str] | None:
    """The ids of ``--only``, checked before anything runs (unknown or none: one usage
    error)."""
    ids = comma_list(text, "--only")
    if ids is None:
        return None
    from actopt.claims import get

    try:
        return [get(i).id for i in ids]
    except KeyError as e:
        raise UsageError(str(e.args[0])) from None


def _list(json_target: str | None, ids: list[str] | None) -> int:
    """The claims (those of ``--only``, when given) as a table or JSON."""
    from actopt.claims import get, names

    rows = [get(i) for i in names() if ids is None or i in ids]  # in the catalog's order
    doc = [{"number": c.number, "id": c.id, "family": c.family, "claim": c.statement,
            "source": c.source} for c in rows]  # fmt: skip
    if emit_json(json_target, doc):
        return 0
    shown = len(rows) if ids is None else f"{len(rows)} of {len(names())}"
    table = Table(title=f"actopt claims ({shown})")
    for title in ("#", "id", "family", "claim", "source"):
        table.add_column(title, justify="right" if title == "#" else "left")
    for c in rows:
        table.add_row(str(c.number), c.id, c.family, escape(c.statement), escape(c.source))
    out.print(table)
    return 0


def _table(report) -> None:
    from actopt.claims._render import key_numbers

    kind = "quick" if report.setting.quick else "full"
    table = Table(title=f"actopt claims · {kind} · {counted(report.setting.seeds, 'seed')}")
    for title, justify in (
        ("#", "right"),
        ("id", "left"),
        ("claim", "left"),
        ("key numbers [95% CI]", "left"),
        ("verdict", "left"),
        ("time", "right"),
    ):
        table.add_column(title, justify=justify, no_wrap=title in ("id", "verdict", "time"))
    for o in report.outcomes:
        v = o.verdict.verdict
        table.add_row(
            str(o.claim.number),
            o.claim.id,
            escape(o.claim.statement),
            escape(key_numbers(o)),
            f"[{_STYLE[v]}]{v}[/]",
            f"{o.compute_s:.0f} s",
        )
    out.print(table)


def cmd_claims(args: argparse.Namespace) -> int:
    ids = _ids(args.only)
    if args.list:
        return _list(args.json, ids)
    if args.seeds is not None and args.seeds < 1:
        raise UsageError(f"--seeds must be >= 1, got {args.seeds}")
    from actopt.bench import BenchError, BenchInterrupted, start_pool_server

    if args.backend == "local":  # the workers' imports overlap the claims' own (seconds)
        start_pool_server()
    from actopt.claims import run, write_html, write_markdown

    bar = Progress(
        TextColumn("claims"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[now]}"),
        TimeRemainingColumn(),
        console=err,
        disable=args.quiet,
    )
    task = bar.add_task("runs", total=0, now="")

    def on_start(total: int) -> None:
        bar.update(task, total=total)

    def on_advance(kind: str) -> None:
        bar.update(task, advance=1, now=kind)

    try:
        with bar:
            report = run(
                ids,
                quick=args.quick,
                seeds=args.seeds,
                out=args.out,
                backend=args.backend,
                workers=args.workers,
                address=args.address,
                data_dir=args.data_dir,
                download=not args.no_download,
                on_start=on_start,
                on_advance=on_advance,
            )
    except BenchError as e:
        raise UsageError(str(e)) from None
    except BenchInterrupted as e:
        err.print(f"[yellow]{e}[/]; run the same command again to resume")
        return 130
    to_stdout = emit_json(args.json, report.to_dict())
    if not to_stdout:
        _table(report)
    page = write_html(report, Path(args.out) / "claims.html")
    if args.markdown:
        write_markdown(report, args.markdown)
    for failure in report.failures:
        err.print(f"[red]measurement failed:[/] {escape(failure)}", soft_wrap=True)
    if not args.quiet:
        err.print(
            f"[dim]{counted(report.trained, 'run')} trained, "
            f"{counted(report.measured, 'measurement')} taken, "
            f"{report.cached} already in the store; {report.wall_s:.0f} s. time = stored "
            "compute of each claim's runs and measurements.[/]"
        )
        (err if to_stdout else out).print(f"report: {page}")
    return 1 if report.failures or any(o.error for o in report.outcomes) else 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub,
        "claims",
        help="test the textbook's claims about activations and optimizers, with verdicts",
        description="Each claim is a small pre-registered experiment: its runs go through the "
        "bench's store in OUT/actopt.db (cached: a rerun trains nothing), its other measurements "
        "are cached beside them, and its rule gives supported, not supported, mixed or "
        "inconclusive with 95% CIs. Prints the verdict table and writes OUT/claims.html.",
        examples=[
            "actopt claims --list",
            "actopt claims --quick",
            "actopt claims --only dying-relu,adagrad-lr-vanishes --seeds 5",
            "actopt claims --markdown docs/claims.md",
        ],
    )
    a = p.add_argument
    a("--list", action="store_true", help="list the claims (with --only: those) and exit")
    a("--only", action=CommaList, metavar="ID,ID",
      help="run only these claims, ids as --list shows")  # fmt: skip
    a(
        "--quick",
        action="store_true",
        help="small experiments (CI): fewer seeds and epochs; verdicts may be inconclusive",
    )
    a("--seeds", type=int, help="seeds where a statistical test decides (default 5; quick 2)")
    a("--out", default="claims-out", type=output_dir, help="results folder (default claims-out)")
    a("--backend", choices=["local", "ray"], default="local", help="where the runs train")
    a("--address", help="Ray cluster address (with --backend ray)")
    a("--workers", type=positive_int, help="parallel runs (default: one per core)")
    add_json(p, "the verdicts (with --list: the claims)")
    a("--markdown", metavar="PATH", help="also write the verdicts as Markdown (figures beside it)")
    a("--data-dir", help="where mnist/ and fashion-mnist/ live")
    a("--no-download", action="store_true", help="fail instead of downloading missing data")
    a("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_claims)

"""``actopt audit`` (is this a good activation?) and ``actopt gallery`` (f and f' pictures)."""

from __future__ import annotations

import argparse

from rich.markup import escape
from rich.table import Table

from .._numbers import counted
from ._common import (
    UsageError,
    add_command,
    add_json,
    emit_json,
    err,
    make_dir,
    out,
    output_dir,
    parse_params,
)

__all__ = ["add_parsers"]

_STYLE = {"pass": "[green]pass[/]", "warn": "[yellow]warn[/]", "fail": "[red]fail[/]"}
_VERDICT = {"good": "[bold green]good[/]", "caveats": "[bold yellow]caveats[/]",
            "bad": "[bold red]bad[/]"}  # fmt: skip


def _spec(target: str, params: dict):
    from actopt import activations as A

    try:
        return A.spec(target, **params)
    except KeyError as e:  # str() of a KeyError quotes its message
        raise UsageError(e.args[0]) from None
    except ValueError as e:
        raise UsageError(str(e)) from None


def cmd_audit(args: argparse.Namespace) -> int:
    from actopt.audit import audit, plot_activation

    spec = _spec(args.target, parse_params(args.param))
    if spec.vector:
        raise UsageError(f"{spec.name} is vector-valued (softmax-like); audit element-wise ones")
    report = audit(spec, timing=not args.no_timing)
    doc = report.to_dict()
    if args.train:
        from actopt.bench import compare_activations

        if not args.quiet:
            err.print("[dim]training MNIST-1D MLPs with the candidate and relu, 3 seeds each…[/]")
        acts = [spec.name, "relu"] if spec.name != "relu" else ["relu"]
        params = {k: v for k, v in spec.values.items()}
        doc["training"] = compare_activations(acts, act_params=params, seeds=(0, 1, 2))
    if args.plot:
        doc["plot"] = str(plot_activation(spec, make_dir(args.plot) / "audit.png"))
    if emit_json(args.json, doc):
        return 0
    out.print(f"[bold]{escape(report.activation)}[/]   f(x) = {escape(report.formula)}")
    out.print(f"f'(x) = {escape(report.derivative)}", soft_wrap=True)
    table = Table()
    for col in ("check", "status", "evidence"):
        table.add_column(col, no_wrap=col != "evidence")
    for name, c in report.checks.items():
        table.add_row(escape(name), _STYLE[c.status], escape(c.detail))
    out.print(table)
    line = f"verdict: {_VERDICT[report.verdict]}"
    if report.reasons:
        line += " — " + escape("; ".join(report.reasons))
    out.print(line)
    if "training" in doc:
        for act, t in doc["training"].items():
            mean = t["test_acc_mean"]
            acc = "diverged" if mean is None else f"{mean:.2%} ± {t['test_acc_std']:.2%}"
            out.print(f"MNIST-1D MLP test accuracy, {escape(act)}: {acc} (seeds 0, 1, 2)")
    if "plot" in doc:
        out.print(f"wrote {escape(doc['plot'])}")
    return 0


def cmd_gallery(args: argparse.Namespace) -> int:
    from actopt import activations as A
    from actopt.audit import check_gallery, write_gallery

    given = list(dict.fromkeys(args.names or A.names()))  # a name typed twice: once
    try:
        check_gallery(len(given), allow_large=args.allow_large)
    except ValueError as e:
        raise UsageError(str(e)) from None
    specs, seen = [], {}  # canonical name → the name given for it
    for name in given:
        s = _spec(name, {})
        if s.name in seen:  # silu and swish: one activation, one picture
            err.print(f"[dim]{escape(name)}: already in the gallery as {escape(seen[s.name])}[/]")
            continue
        seen[s.name] = name
        specs.append(s)
    written = write_gallery(specs, make_dir(args.out))
    out.print(
        escape(
            f"wrote {counted(len(specs), 'picture')}, {written['gallery']} and {written['index']}"
        )
    )
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "audit",
        help="is this a good activation? checks with evidence and a verdict",
        description="Audit a catalog activation or any formula in x (parsed against a "
        "whitelist, never evaluated as Python): defined everywhere, continuous, "
        "differentiable, gradient signal, non-linear, monotonic, zero-centred, bounded, "
        "saturation, dead zone, sign preserving, exploding growth, backprop cost and signal "
        "propagation through 50 layers, then a verdict (good, caveats, bad) with reasons. "
        "No verdict depends on the machine's speed: backprop cost is judged by an operation "
        "count (the measured time is reported beside it).",
        examples=["actopt audit relu", "actopt audit 'sign(x)*sqrt(abs(x))'",
                  "actopt audit 'x*sigmoid(b*x)' -p b=1.5 --json report.json"],
    )  # fmt: skip
    p.add_argument("target", help="catalog name or formula in x")
    p.add_argument("--param", "-p", action="append", default=[], metavar="K=V",
                   help="activation parameter (declares a formula's parameters)")  # fmt: skip
    add_json(p, "the report")
    p.add_argument("--train", action="store_true",
                   help="also train MNIST-1D MLPs with it and relu (3 seeds each)")  # fmt: skip
    p.add_argument("--plot", metavar="DIR", type=output_dir,
                   help="write f and f' as DIR/audit.png")  # fmt: skip
    p.add_argument("--no-timing", action="store_true",
                   help="skip timing the backward pass (its operation count stays)")  # fmt: skip
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_audit)

    p = add_command(
        sub, "gallery",
        help="plot f and f' of activations (PNG each, a grid, an index page)",
        description="One PNG per activation with f and f' on the same axes, gallery.png with "
        "all of them, and index.html. Names may be catalog names or formulas; a name given "
        "twice is drawn once.",
        examples=["actopt gallery --out gallery",
                  "actopt gallery relu gelu 'x*tanh(softplus(x))' --out pictures"],
    )  # fmt: skip
    p.add_argument("names", nargs="*", help="activations (default: the whole catalog)")
    p.add_argument("--out", required=True, metavar="DIR", type=output_dir)
    p.add_argument("--allow-large", action="store_true",
                   help="draw past the size cap (a thousand pictures, or a grid beyond half "
                   "this machine's memory)")  # fmt: skip
    p.set_defaults(func=cmd_gallery)

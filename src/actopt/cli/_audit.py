"""``actopt audit`` (is this a good activation?) and ``actopt gallery`` (f and f' pictures)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from ._common import UsageError, err, out, parse_params

__all__ = ["add_parsers"]

_STYLE = {"pass": "[green]pass[/]", "warn": "[yellow]warn[/]", "fail": "[red]fail[/]"}
_VERDICT = {"good": "[bold green]good[/]", "caveats": "[bold yellow]caveats[/]",
            "bad": "[bold red]bad[/]"}  # fmt: skip


def _spec(target: str, params: dict):
    from actopt import activations as A

    try:
        return A.spec(target, **params)
    except (KeyError, ValueError) as e:
        raise UsageError(str(e).strip("\"'")) from None


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
        folder = Path(args.plot)
        folder.mkdir(parents=True, exist_ok=True)
        doc["plot"] = str(plot_activation(spec, folder / "audit.png"))
    if args.json:
        print(json.dumps(doc, indent=2, default=str))
        return 0
    out.print(f"[bold]{escape(report.activation)}[/]   f(x) = {escape(report.formula)}")
    out.print(f"f'(x) = {escape(report.derivative)}", soft_wrap=True)
    table = Table()
    for col in ("check", "status", "evidence"):
        table.add_column(col, no_wrap=col != "evidence")
    for name, c in report.checks.items():
        table.add_row(name, _STYLE[c.status], escape(c.detail))
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
        out.print(f"wrote {doc['plot']}")
    return 0


def cmd_gallery(args: argparse.Namespace) -> int:
    from actopt import activations as A
    from actopt.audit import write_gallery

    names = args.names or A.names()
    specs = [_spec(n, {}) for n in names]
    written = write_gallery(specs, args.out)
    out.print(f"wrote {len(specs)} pictures, {written['gallery']} and {written['index']}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "audit",
        help="is this a good activation? checks with evidence and a verdict",
        description="Audit a catalog activation or any formula in x (parsed against a "
        "whitelist, never evaluated as Python): defined everywhere, differentiable, gradient "
        "signal, non-linear, monotonic, zero-centred, bounded, saturation, dead zone, sign "
        "preserving, exploding growth, backprop cost and signal propagation through 50 "
        "layers, then a verdict (good, caveats, bad) with reasons. Examples: actopt audit "
        "relu; actopt audit 'sign(x)*sqrt(abs(x))'; actopt audit 'x*sigmoid(b*x)' -p b=1.5",
    )
    p.add_argument("target", help="catalog name or formula in x")
    p.add_argument("--param", "-p", action="append", default=[], metavar="K=V",
                   help="activation parameter (declares a formula's parameters)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--train", action="store_true",
                   help="also train MNIST-1D MLPs with it and relu (3 seeds each)")  # fmt: skip
    p.add_argument("--plot", metavar="DIR", help="write f and f' as DIR/audit.png")
    p.add_argument("--no-timing", action="store_true", help="skip the backprop timing check")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser(
        "gallery",
        help="plot f and f' of activations (PNG each, a grid, an index page)",
        description="One PNG per activation with f and f' on the same axes, gallery.png with "
        "all of them, and index.html. Names may be catalog names or formulas.",
    )
    p.add_argument("names", nargs="*", help="activations (default: the whole catalog)")
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(func=cmd_gallery)

"""``actopt activations`` and ``actopt optimizers``: the two catalogs as tables."""

from __future__ import annotations

import argparse
from typing import Any

from rich.markup import escape
from rich.table import Table

from ._common import UsageError, add_command, add_json, emit_json, out, parse_params

__all__ = ["add_parsers"]


def _mark(flag: bool) -> str:
    return "[green]yes[/]" if flag else "[dim]no[/]"


# -- actopt activations ---------------------------------------------------------------------


def cmd_activations(args: argparse.Namespace) -> int:
    from actopt import activations as A

    if args.action == "show":
        if not args.name:
            raise UsageError("usage: actopt activations show NAME [--param k=v ...]")
        try:
            info = A.details(A.spec(args.name, **parse_params(args.param)))
        except KeyError as e:  # str() of a KeyError quotes its message
            raise UsageError(e.args[0]) from None
        except ValueError as e:
            raise UsageError(str(e)) from None
        if not emit_json(args.json, info):
            _print_details(info)
        return 0
    rows = A.catalog_rows()
    if emit_json(args.json, rows):
        return 0
    table = Table(title=f"actopt activation catalog ({len(rows)} functions)")
    for col in ("name", "f(x)", "range", "monotonic", "smooth", "zero-centred", "saturates"):
        table.add_column(col, no_wrap=col in ("name", "range"))
    table.add_column("learnable")
    table.add_column("torch")
    for r in rows:
        table.add_row(
            r["name"],
            r["f"],
            r["range"],
            _mark(r["monotonic"]),
            _mark(r["smooth"]),
            _mark(r["zero_centered"]),
            r["saturates"],
            r["learnable"],
            r["torch"],
        )
    out.print(table)
    out.print("[dim]actopt activations show NAME — formula, derivative, properties, values[/]")
    return 0


def _print_details(info: dict[str, Any]) -> None:
    aliases = f"  (aliases: {', '.join(info['aliases'])})" if info["aliases"] else ""
    out.print(f"[bold]{escape(info['name'])}[/]{escape(aliases)}")
    out.print(info["summary"], markup=False)
    if info["reference"]:
        out.print(f"[dim]reference: {escape(info['reference'])}[/]")
    out.print(f"\n  f(x)  = {info['f']}\n  f'(x) = {info['df']}", markup=False)
    out.print(f"\n  LaTeX: {info['latex']}\n         {info['latex_df']}", markup=False)
    if info["params"]:
        out.print("\nparameters:")
        for p in info["params"]:
            out.print(f"  {p['name']} = {p['value']!r}  ({p['valid']}) {p['doc']}", markup=False)
    props = info["properties"]
    out.print("\nproperties:")
    for key, value in props.items():
        out.print(f"  {key:<14} {value}", markup=False)
    out.print(f"  {'learnable':<14} {info['learnable']}")
    if info["kinks"]:
        kinks, more = info["kinks"][:10], len(info["kinks"]) - 10
        listed = ", ".join(f"{k:g}" for k in kinks) + (f" and {more} more" if more > 0 else "")
        out.print(f"  {'kinks at':<14} {listed}")
    out.print(f"  {'torch':<14} {info['torch']}")
    table = Table(title="sample values")
    samples = info["samples"]
    table.add_column("")
    for x in samples["x"]:
        table.add_column(f"{x:g}", justify="right")
    for label, values in samples.items():
        if label != "x":
            table.add_row(escape(label), *(f"{v:.6g}" for v in values))
    out.print(table)


# -- actopt optimizers ----------------------------------------------------------------------


def cmd_optimizers(args: argparse.Namespace) -> int:
    from actopt import optim as O

    if args.action == "show":
        if not args.name:
            raise UsageError("usage: actopt optimizers show NAME")
        try:
            s = O.spec(args.name)
        except KeyError as e:  # str() of a KeyError quotes its message
            raise UsageError(e.args[0]) from None
        row = next(r for r in O.catalog_rows() if r["name"] == s.name)
        if emit_json(args.json, {**row, "update": s.update}):
            return 0
        out.print(f"[bold]{s.name}[/]  ({s.cls.__module__.split('._')[0]}.{s.cls.__name__})")
        out.print(s.update, markup=False, soft_wrap=True)
        out.print("\ndefaults: " + ", ".join(f"{k}={v}" for k, v in row["defaults"].items()))
        state = ", ".join(row["state"]) or "none"
        out.print(
            f"state per parameter: {state}  (memory {row['memory']} the parameters)", markup=False
        )
        if row["torch"]:
            out.print(f"same update as torch.optim.{row['torch']} (tested to 1e-12 in float64)")
        out.print(
            "paths: "
            + ", ".join(row["paths"])
            + (
                "  (fused=True: one pass over memory, a C kernel built on first use)"
                if "fused" in row["paths"]
                else ""
            )
        )
        return 0
    rows = O.catalog_rows()
    if emit_json(args.json, rows):
        return 0
    table = Table(title=f"actopt optimizers ({len(rows)})")
    for col in ("name", "update rule", "defaults", "state per parameter", "memory", "fused"):
        table.add_column(col, no_wrap=col in ("name", "fused"))
    for r in rows:
        defaults = ", ".join(f"{k}={v}" for k, v in r["defaults"].items())
        state = escape(", ".join(r["state"]) or "—")
        fused = "yes" if "fused" in r["paths"] else "—"
        table.add_row(r["name"], escape(r["rule"]), escape(defaults), state, r["memory"], fused)
    out.print(table)
    out.print(
        "[dim]actopt optimizers show NAME — the full update rule; \\[x] = optional state; "
        "fused: takes fused=True (a one-pass C kernel on CPU)[/]"
    )
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "activations",
        help="list the activation catalog, or show one activation",
        description="Without arguments: the catalog as a table. 'show NAME': the formula, "
        "hand-derived derivative, properties and sample values of one activation (a formula "
        "in x works too).",
        examples=["actopt activations", "actopt activations show swish -p beta=2",
                  "actopt activations --json catalog.json"],
    )  # fmt: skip
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    p.add_argument("name", nargs="?", help="activation name or alias (for 'show')")
    p.add_argument(
        "--param", "-p", action="append", default=[], metavar="K=V", help="set a parameter"
    )
    add_json(p, "the catalog (or the one activation)")
    p.set_defaults(func=cmd_activations)

    p = add_command(
        sub, "optimizers",
        help="list the optimizers, or show one update rule",
        description="Without arguments: every optimizer with its one-line update rule, default "
        "hyper-parameters and the state it keeps per parameter. 'show NAME': the full rule.",
        examples=["actopt optimizers", "actopt optimizers show nag",
                  "actopt optimizers --json -"],
    )  # fmt: skip
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    p.add_argument("name", nargs="?", help="optimizer name (for 'show')")
    add_json(p, "the optimizers (or the one optimizer)")
    p.set_defaults(func=cmd_optimizers)

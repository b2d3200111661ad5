"""The actopt command line: parse, call one library function, print.

Tables go to stdout, progress and errors to stderr; ``--json`` prints machine-readable output;
usage errors (unknown names, invalid values) exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["main"]

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class UsageError(Exception):
    """A bad name or value from the user: reported in one line, exit status 2."""


def parse_value(text: str) -> Any:
    """A command-line value as bool, int, float or str: parsed, never evaluated."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"expected NAME=VALUE, got {pair!r}")
        params[key.strip()] = parse_value(value)
    return params


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
        except (KeyError, ValueError) as e:
            raise UsageError(str(e).strip("\"'")) from e
        if args.json:
            print(json.dumps(info, indent=2))
        else:
            _print_details(info)
        return 0
    rows = A.catalog_rows()
    if args.json:
        print(json.dumps(rows, indent=2))
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
    out.print(f"[bold]{info['name']}[/]{aliases}")
    out.print(info["summary"])
    if info["reference"]:
        out.print(f"[dim]reference: {info['reference']}[/]")
    out.print(f"\n  f(x)  = {info['f']}\n  f'(x) = {info['df']}")
    out.print(f"\n  LaTeX: {info['latex']}\n         {info['latex_df']}", markup=False)
    if info["params"]:
        out.print("\nparameters:")
        for p in info["params"]:
            out.print(f"  {p['name']} = {p['value']!r}  ({p['valid']}) {p['doc']}", markup=False)
    props = info["properties"]
    out.print("\nproperties:")
    for key, value in props.items():
        out.print(f"  {key:<14} {value}")
    out.print(f"  {'learnable':<14} {info['learnable']}")
    if info["kinks"]:
        out.print(f"  {'kinks at':<14} {', '.join(f'{k:g}' for k in info['kinks'])}")
    out.print(f"  {'torch':<14} {info['torch']}")
    table = Table(title="sample values")
    samples = info["samples"]
    table.add_column("")
    for x in samples["x"]:
        table.add_column(f"{x:g}", justify="right")
    for label, values in samples.items():
        if label != "x":
            table.add_row(label, *(f"{v:.6g}" for v in values))
    out.print(table)


# -- the parser -----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="actopt",
        description="A laboratory for activation functions and optimizers.",
        epilog="Run 'actopt COMMAND --help' for the options of a command.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "activations",
        help="list the activation catalog, or show one activation",
        description="Without arguments: the catalog as a table. 'show NAME': the formula, "
        "hand-derived derivative, properties and sample values of one activation.",
    )
    p.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    p.add_argument("name", nargs="?", help="activation name or alias (for 'show')")
    p.add_argument(
        "--param", "-p", action="append", default=[], metavar="K=V", help="set a parameter"
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.set_defaults(func=cmd_activations)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except UsageError as e:
        err.print(f"[red]error:[/] {e}", markup=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())

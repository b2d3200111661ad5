"""The actopt command line: parse, call one library function, print.

Tables go to stdout, progress and errors to stderr; ``--json`` prints machine-readable output;
usage errors (unknown names, invalid values) exit with status 2. One module per command group.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from . import _audit, _bench, _catalogs, _claims, _landscape, _playground, _search, _train
from ._common import UsageError, err, parse_params, parse_value

__all__ = ["build_parser", "main", "parse_params", "parse_value"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="actopt",
        description="A laboratory for activation functions and optimizers.",
        epilog="Run 'actopt COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (_bench, _catalogs, _train, _audit, _landscape, _playground, _claims, _search):
        module.add_parsers(sub)
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
        err.print(f"[red]error:[/] {e}", markup=True, soft_wrap=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())

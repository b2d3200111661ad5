"""The actopt command line: parse, call one library function, print.

Tables go to stdout, progress and errors to stderr; ``--json PATH`` (``-``: stdout) writes
machine-readable output; usage errors (unknown names, invalid values, unwritable output paths)
are one ``error:`` line and exit status 2. One module per command group.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections.abc import Sequence

from .. import __version__
from . import _audit, _bench, _catalogs, _claims, _landscape, _playground, _search, _train
from ._common import Parser, UsageError, err, parse_params, parse_value, print_error
from ._interrupt import ctrl_c_raises_interrupted

__all__ = ["build_parser", "main", "parse_params", "parse_value"]

_EPIPE_STATUS = 1  # what rich's console exits with when a table meets a closed pipe


def build_parser() -> Parser:
    parser = Parser(
        prog="actopt",
        description="A laboratory for activation functions and optimizers.",
        epilog="Run 'actopt COMMAND --help' for the options of a command, with examples.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (_bench, _catalogs, _train, _audit, _landscape, _playground, _claims, _search):
        module.add_parsers(sub)
    return parser


def _did_you_mean(command: argparse.ArgumentParser, extra: Sequence[str]) -> str:
    """A close option for each unknown flag (``--seed`` → ``--seeds``): abbreviations are off."""
    flags = [f for a in command._actions for f in a.option_strings if f.startswith("--")]
    near = []
    for word in extra:
        if word.startswith("--"):
            near += difflib.get_close_matches(word.split("=")[0], flags, n=1, cutoff=0.75)
    return f" (did you mean {', '.join(near)}?)" if near else ""


def main(argv: Sequence[str] | None = None) -> int:
    with ctrl_c_raises_interrupted():
        return _main(argv)


_RESUMABLE = ("bench", "search", "claims")  # their finished work is stored as it finishes


def _main(argv: Sequence[str] | None) -> int:
    args = None
    try:
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if extra:  # named by the command's parser: "see 'actopt bench --help'", not the top's
            commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
            command = commands.get(getattr(args, "command", None) or "", parser)
            hint = _did_you_mean(command, extra)
            command.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
        if not getattr(args, "func", None):
            parser.print_help()
            return 0
        return args.func(args)
    except UsageError as e:
        print_error(str(e))
        return 2
    except KeyboardInterrupt:  # Ctrl-C outside a run loop (loading, screening): no traceback
        resume = getattr(args, "command", None) in _RESUMABLE
        err.print("[yellow]interrupted[/] (Ctrl-C)" + ("; run the same command again to "
                                                       "resume" if resume else ""))  # fmt: skip
        return 130
    except BrokenPipeError:  # piped into `head`, which has read enough: stop quietly
        _drop_stdout()
        return _EPIPE_STATUS


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush of what the closed pipe did
    not take raises nothing either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (captured in tests)
        pass


if __name__ == "__main__":
    sys.exit(main())

"""What every command shares: consoles, the parser and its one-line errors, ``K=V`` values,
output paths checked before any work, ``--json`` (a path, ``-`` for stdout) and examples."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console
from rich.markup import escape

from .._json import dumps
from .._numbers import parse_plain, split_outside_brackets

__all__ = [
    "CommaList",
    "Formatter",
    "Parser",
    "UsageError",
    "add_command",
    "add_json",
    "cli_hints",
    "comma_list",
    "emit_json",
    "err",
    "make_dir",
    "out",
    "output_dir",
    "output_file",
    "parse_params",
    "parse_value",
    "positive_int",
    "print_error",
    "split_top_level",
]

# piped or captured output is not cut to 80 columns: tables stay one row per line for grep and
# files (a terminal still gets its own width; $COLUMNS overrides both)
_PIPE_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 140
out = Console(highlight=False, width=_PIPE_WIDTH)
err = Console(stderr=True, highlight=False, width=_PIPE_WIDTH)

# the library's "see …" hints name Python functions; a CLI user is told the command instead
_CLI_HINTS = {
    "actopt.activations.names()": "`actopt activations`",
    "actopt.optim.names()": "`actopt optimizers`",
    "actopt.data.names()": "`actopt train --help`",
}


class UsageError(Exception):
    """A bad name or value from the user: reported in one line, exit status 2."""


def cli_hints(message: str) -> str:
    """``message`` with the library's pointers to Python functions turned into commands."""
    for python, command in _CLI_HINTS.items():
        message = message.replace(python, command)
    return message


def print_error(message: str) -> None:
    """``error: message`` as one line on stderr; the message is printed as written (user text
    in it may hold rich markup such as ``[/]``: it is shown, never interpreted)."""
    text = " ".join(cli_hints(str(message)).split())
    err.print(f"[red]error:[/] {escape(text)}", soft_wrap=True)


class Formatter(argparse.HelpFormatter):
    """argparse's formatter, except that a text with line breaks (the examples) is kept as
    written; one-line texts (descriptions) are wrapped as usual."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one ``error:`` line (exit status 2) and that takes
    no abbreviated option (``bench --seed 3`` would silently be ``--seeds 3``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        print_error(f"{message} (see '{self.prog} --help')")
        raise SystemExit(2)


def add_command(
    sub: argparse._SubParsersAction, name: str, *, help: str, description: str,
    examples: Sequence[str],
) -> argparse.ArgumentParser:  # fmt: skip
    """A subcommand whose ``--help`` ends with its examples (each one a full command line)."""
    epilog = "examples:\n" + "".join(f"  {e}\n" for e in examples)
    return sub.add_parser(name, help=help, description=description, epilog=epilog,
                          formatter_class=Formatter)  # fmt: skip


parse_value = parse_plain  # the CLI's name for it (exported by actopt.cli)


def parse_params(pairs: Sequence[str]) -> dict[str, Any]:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"expected NAME=VALUE, got {pair!r}")
        params[key.strip()] = parse_value(value)
    return params


def positive_int(text: str) -> int:
    """An argparse ``type`` for counts (threads, replicas): a whole number >= 1, else one
    usage error naming the option."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return n


def split_top_level(text: str) -> list[str]:
    """The non-empty items between commas outside brackets: ``relu,max(x, 0)`` →
    ``['relu', 'max(x, 0)']``."""
    return [p for p in split_outside_brackets(text) if p]


class _Given(list):
    """The texts of a comma-list flag as given, one per occurrence (not its default)."""


class CommaList(argparse.Action):
    """A comma-list flag (``--act relu,tanh``) that adds up when repeated: ``--act relu --act
    tanh`` is ``--act relu,tanh``, never the last one alone. Its help says so."""

    def __init__(self, *args: Any, help: str | None = None, **kwargs: Any) -> None:
        said = "comma-separated; a repeated flag adds to the list"
        super().__init__(*args, help=f"{help} ({said})" if help else said, **kwargs)

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        given = getattr(namespace, self.dest, None)  # the default, until the flag is given
        texts = [*given, values] if isinstance(given, _Given) else [values]
        setattr(namespace, self.dest, _Given(texts))


def comma_list(given: str | Sequence[str] | None, flag: str) -> list[str] | None:
    """The items of a comma-list flag, each once, in the order first given (None: the flag
    was not given). A flag given with no item (``--act ""``, ``--only ,``) is one usage error,
    never "all" or the defaults."""
    if given is None:
        return None
    items: list[str] = []
    for text in [given] if isinstance(given, str) else given:
        if not (found := split_top_level(text)):
            raise UsageError(f"{flag}: needs at least one value, got {text!r}")
        items += found
    return list(dict.fromkeys(items))


# -- output paths: checked when the command line is read, before any work ---------------------


def _cannot_write(folder: Path) -> str | None:
    """Why nothing can be created in ``folder`` (None: it can). A real try, not a permission
    bit: root ignores those, and a read-only file system shows only when written to."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return None
    except OSError as e:
        return e.strerror or str(e)


def _parent_ok(path: Path, text: str) -> None:
    parent = path.parent
    if not parent.exists():
        raise argparse.ArgumentTypeError(
            f"{text!r}: folder {str(parent)!r} does not exist (create it first)"
        )
    if not parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r}: {str(parent)!r} is a file, not a folder")
    if problem := _cannot_write(parent):
        raise argparse.ArgumentTypeError(f"{text!r}: cannot write in {str(parent)!r}: {problem}")


def output_file(text: str) -> str:
    """An argparse ``type``: a file that can be written (``-``: stdout), else one clear error."""
    if text == "-":
        return text
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give a file name (or - for stdout)")
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; give a file name")
    _parent_ok(path, text)
    if path.exists() and not os.access(path, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text!r} exists and cannot be written")
    return text


def output_dir(text: str) -> str:
    """An argparse ``type``: a folder that exists or can be created in an existing one, and
    can be written in; else one clear error. The command creates it when it writes."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give a folder name")
    path = Path(text)
    if path.exists():
        if not path.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a file, not a folder")
        if problem := _cannot_write(path):
            raise argparse.ArgumentTypeError(f"cannot write in {text!r}: {problem}")
        return text
    _parent_ok(path, text)
    return text


def make_dir(text: str) -> Path:
    """Create an output folder checked by :func:`output_dir` (a late failure: one error)."""
    try:
        Path(text).mkdir(exist_ok=True)
    except OSError as e:
        raise UsageError(f"cannot create folder {text!r}: {e.strerror or e}") from None
    return Path(text)


# -- --json: a path, or - for stdout, the same for every command -------------------------------


def add_json(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--json", nargs="?", const="-", type=output_file, metavar="PATH",
        help=f"write {what} as JSON to PATH ('-', or --json alone: stdout, instead of tables)",
    )  # fmt: skip


def emit_json(target: str | None, doc: Any) -> bool:
    """Write ``doc`` where ``--json`` says; True when it went to stdout (print no tables).
    Strict JSON: a non-finite number (NaN, ±inf) is written as null."""
    if target is None:
        return False
    text = doc if isinstance(doc, str) else dumps(doc, indent=2, default=str)
    if target == "-":
        sys.stdout.write(text + "\n")
        return True
    try:
        Path(target).write_text(text + "\n", encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {target!r}: {e.strerror or e}") from None
    return False

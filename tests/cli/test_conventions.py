"""What every command shares: examples in --help, --json (a path, - for stdout), errors that name
commands instead of Python functions, quiet pipes, the Ray hint, --threads."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import actopt
from actopt.cli import build_parser, main
from actopt.cli._common import CommaList, cli_hints, comma_list, print_error


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _examples(parser: argparse.ArgumentParser) -> list[str]:
    lines = (parser.epilog or "").splitlines()
    return [line.strip() for line in lines if line.strip().startswith("actopt ")]


@pytest.mark.parametrize("name", sorted(_subparsers()))
def test_every_help_has_examples_that_parse(name, capsys):
    parser = _subparsers()[name]
    examples = _examples(parser)
    assert examples, f"actopt {name} --help shows no example"
    for example in examples:
        argv = shlex.split(example.split(" | ")[0])[1:]  # what a pipe feeds is not ours
        assert argv[0] == name, example
        build_parser().parse_args(argv)  # an example that does not parse exits here
    with pytest.raises(SystemExit):
        main([name, "--help"])
    assert "examples:\n  actopt " + name in capsys.readouterr().out


JSON_COMMANDS = [n for n, p in _subparsers().items() if "--json" in p._option_string_actions]


def test_json_means_one_thing_everywhere():
    """Every --json takes a PATH, '-' (or nothing) for stdout, checked like any output file."""
    assert {"activations", "optimizers", "train", "audit", "landscape"} <= set(JSON_COMMANDS)
    for name in JSON_COMMANDS:
        action = _subparsers()[name]._option_string_actions["--json"]
        assert (action.nargs, action.const, action.metavar) == ("?", "-", "PATH"), name
        assert action.type.__name__ == "output_file", name


@pytest.mark.parametrize("argv", [
    ["activations"], ["optimizers"], ["activations", "show", "elu"],
    ["landscape", "quadratic", "--opt", "sgd", "--steps", "20"],
    ["audit", "relu", "--no-timing"],
])  # fmt: skip
def test_json_to_stdout_or_to_a_file(argv, tmp_path, capsys):
    assert main([*argv, "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)  # stdout holds the JSON and nothing else
    path = tmp_path / "out.json"
    assert main([*argv, "--json", str(path)]) == 0
    assert _rounded(json.loads(path.read_text())) == _rounded(doc)
    capsys.readouterr()  # a file given: the tables are printed as usual
    assert main([*argv, "--json"]) == 0  # --json alone: stdout
    assert _rounded(json.loads(capsys.readouterr().out)) == _rounded(doc)


def _rounded(doc):
    """Floats to 9 digits: a measurement's last bits vary with torch's thread scheduling."""
    if isinstance(doc, float):
        return float(f"{doc:.9g}")
    if isinstance(doc, dict):
        return {k: _rounded(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_rounded(v) for v in doc]
    return doc


def test_train_json_to_stdout_is_pure_json(capsys):
    argv = ["train", "--data", "moons", "--width", "8", "--epochs", "1", "-q", "--json", "-"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "ok" and result["spec"]["data"] == "moons"


@pytest.mark.parametrize("argv, command", [
    (["train", "--act", "relux"], "`actopt activations`"),
    (["train", "--opt", "adamm"], "`actopt optimizers`"),
    (["audit", "x*relux(x)"], "`actopt activations`"),
    (["landscape", "quadratic", "--opt", "adamm"], "`actopt optimizers`"),
])  # fmt: skip
def test_errors_name_commands_not_python_functions(argv, command, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert command in err and "names()" not in err


def test_every_registry_hint_has_a_command():
    """A registry's "see …" hint is a command already, or the CLI maps it to one."""
    from actopt.activations._catalog import CATALOG
    from actopt.data._registry import _REGISTRY as DATA
    from actopt.landscapes._functions import _REGISTRY as LANDSCAPES
    from actopt.optim._registry import _REGISTRY as OPTIM

    for registry in (CATALOG, OPTIM, DATA, LANDSCAPES):
        hint = cli_hints(registry.listing)
        assert hint.strip("`").startswith("actopt "), registry.listing


def _actopt(*argv: str, **kwargs) -> subprocess.Popen:
    here = str(Path(actopt.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "actopt", *argv], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)  # fmt: skip


def test_a_closed_pipe_ends_quietly():
    """``actopt optimizers --json | head -0``: the reader has gone; no BrokenPipeError."""
    for argv in (["optimizers", "--json"], ["optimizers"]):
        child = _actopt(*argv)
        child.stdout.close()  # what head does once it has read enough
        err = child.stderr.read()
        assert child.wait(timeout=120) == 1, err
        assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_markup_in_messages_is_printed_as_written(capsys):
    print_error("the Ray backend needs Ray: pip install 'actopt[ray]'")
    assert (
        capsys.readouterr().err == "error: the Ray backend needs Ray: pip install 'actopt[ray]'\n"
    )


def test_the_ray_install_hint_is_intact(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    argv = ["bench", "--data", "moons", "--act", "relu", "--seeds", "1", "--epochs", "1",
            "--backend", "ray", "--out", str(tmp_path / "b"), "-q"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: the Ray backend needs Ray: pip install 'actopt[ray]'"


def test_train_threads(monkeypatch):
    calls = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    argv = ["train", "--data", "moons", "--width", "8", "--epochs", "1", "-q"]
    assert main([*argv, "--threads", "1"]) == 0 and calls == [1]
    assert main(argv) == 0 and calls == [1]  # default: torch's own (one per core)
    with pytest.raises(SystemExit, match="2"):  # argparse's usage error
        main([*argv, "--threads", "0"])


# what a command needs beside the flag (an output folder: nothing lands in the working folder)
_NEEDS = {"landscape": ["quadratic"], "report": ["{tmp}"], "bench": ["--out", "{tmp}"],
          "claims": ["--out", "{tmp}"]}  # fmt: skip
LIST_FLAGS = [
    (name, flag)
    for name, parser in sorted(_subparsers().items())
    for flag, action in parser._option_string_actions.items()
    if flag.startswith("--") and "," in (action.metavar or "")
]


@pytest.mark.parametrize("value", ["", ",", " , "])
@pytest.mark.parametrize(("name", "flag"), LIST_FLAGS, ids=[f"{n}{f}" for n, f in LIST_FLAGS])
def test_an_empty_list_flag_is_one_usage_error(name, flag, value, tmp_path, capsys):
    """A comma-list flag given no item is refused, never read as "all" or as the defaults (it
    ran all 24 claims, or the 7 default activations)."""
    argv = [a.replace("{tmp}", str(tmp_path)) for a in _NEEDS.get(name, [])]
    assert main([name, *argv, f"{flag}={value}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and flag in err and "\n" not in err, err


def test_every_command_with_a_list_flag_is_covered():
    assert {("bench", "--act"), ("bench", "--data"), ("claims", "--only")} <= set(LIST_FLAGS)


# the comma flags that are lists (landscape --start X,Y is one point, not a list)
LISTS = [
    (n, f) for n, f in LIST_FLAGS if _subparsers()[n]._option_string_actions[f].metavar != "X,Y"
]


@pytest.mark.parametrize(("name", "flag"), LISTS, ids=[f"{n}{f}" for n, f in LISTS])
def test_a_repeated_list_flag_adds_up(name, flag, tmp_path, capsys):
    """``bench --act relu --act tanh`` trained tanh alone: the last flag replaced the others.
    Now every list flag adds up, each value once, in the order first given; its help says so;
    an empty one among them is still the one usage error."""
    parser = _subparsers()[name]
    action = parser._option_string_actions[flag]
    assert isinstance(action, CommaList) and "a repeated flag adds to the list" in action.help
    argv = [a.replace("{tmp}", str(tmp_path)) for a in _NEEDS.get(name, [])]
    args = parser.parse_args([*argv, flag, "b,a", f"{flag}=c", flag, "a,d"])
    assert comma_list(getattr(args, action.dest), flag) == ["b", "a", "c", "d"]
    assert main([name, *argv, flag, "b", flag, ","]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and flag in err and "','" in err and "\n" not in err, err


def test_no_parser_takes_abbreviated_options():
    """``bench --seed 3`` silently became ``--seeds 3``: no parser expands a prefix."""
    parser = build_parser()
    assert not parser.allow_abbrev
    for name, sub in _subparsers().items():
        assert not sub.allow_abbrev, name


def _main_under_python_m(tmp_path, build_parser: str, **modules: str):
    """``main`` run as the CLI runs, ``python -m``, with ``build_parser`` (its body) doing what
    the test needs while Ctrl-C comes; ``modules`` are written beside it to be imported."""
    program = "import os, signal, sys, time\nimport actopt.cli as cli\ndef build_parser():\n"
    program += build_parser + "cli.build_parser = build_parser\nsys.exit(cli.main([]))\n"
    for name, source in {"program": program, **modules}.items():
        (tmp_path / f"{name}.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    return subprocess.run([sys.executable, "-m", "program"], env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


def test_ctrl_c_caught_while_loading_exits_130_under_python_m(tmp_path):
    """A Ctrl-C that passes through code exec'd from a string (dataclasses does it as torch
    loads) is caught by main, and the exit status stays 130: CPython had ended the process by
    SIGINT (status -2) as if nothing caught it. (In an import it is held: here the code runs
    as the program.)"""
    done = _main_under_python_m(
        tmp_path,
        "    exec('os.kill(os.getpid(), signal.SIGINT)\\nfor _ in range(10**6): pass',\n"
        "         {'os': os, 'signal': signal, '__name__': '__main__'})\n",  # not an import
    )
    assert done.returncode == 130, done.stderr
    assert "interrupted (Ctrl-C)" in done.stderr and "Traceback" not in done.stderr


_CTRL_C_IN_ITS_BODY = (
    "import os, signal, sys, time\n"
    "os.kill(os.getpid(), signal.SIGINT)\n"
    "t0 = time.time()\n"
    "while time.time() - t0 < 0.3: pass\n"
    "sys.stderr.write('loaded whole\\n')\n"
)


def test_ctrl_c_inside_an_import_is_held_until_it_has_ended(tmp_path):
    """Raised inside an import, Ctrl-C aborted the process (torch's C++ calling back into Python:
    SIGABRT) or came out as "RuntimeError: Error calling __set_name__" (a class statement). It is
    raised once the module has loaded. A stand-in module gets the Ctrl-C in its body."""
    done = _main_under_python_m(
        tmp_path,
        "    import slow_module\n    t0 = time.time()\n    while time.time() - t0 < 30: pass\n",
        slow_module=_CTRL_C_IN_ITS_BODY,
    )
    assert done.returncode == 130, done.stderr
    assert "loaded whole" in done.stderr and "interrupted (Ctrl-C)" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_held_ctrl_c_goes_to_whoever_handles_ctrl_c_once_the_import_ends(tmp_path):
    """The bench's runner sets its own Ctrl-C handler (finish what is stored, mark the rest):
    a Ctrl-C held through an import just before is its to handle, not raised past it."""
    done = _main_under_python_m(
        tmp_path,
        "    import slow_module\n"
        "    signal.signal(signal.SIGINT, lambda *_: sys.stderr.write('the runner has it\\n'))\n"
        "    t0 = time.time()\n"
        "    while time.time() - t0 < 2: pass\n"
        "    sys.exit(0)\n",
        slow_module=_CTRL_C_IN_ITS_BODY,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "loaded whole\nthe runner has it\n"


def test_main_gives_ctrl_c_back_as_it_found_it():
    import signal

    before = signal.getsignal(signal.SIGINT)
    assert main(["activations", "--json", os.devnull]) == 0
    assert signal.getsignal(signal.SIGINT) is before

"""Bad invocations, one table: each row is an argv (with its setup) that must end in exit status
2, exactly one ``error:`` line on stderr, no traceback and no pointer to a Python function.

Rows run in-process (``main(argv)``) under a time limit, except those whose regression would
take the tests down (a hang inside C code, 12 GB of memory, a server that keeps serving): they
run as a separate process under a time limit. Placeholders in an argv: ``{tmp}`` a fresh
folder, ``{file}`` an existing file, ``{dir}`` an existing folder, ``{ro}`` a folder nobody may
write in, ``{missing}`` a folder that does not exist, ``{store}`` an empty bench store. Keep
adding rows: a bad invocation found is a row here.
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch

import actopt
from actopt.cli import build_parser, main

BIG = "1" * 100  # an integer far beyond float32, within float64
HUGE = "1" * 400  # an integer beyond float64
TINY_TRAIN = ["train", "--data", "moons", "--width", "8", "--epochs", "1", "-q"]
TINY_BENCH = ["bench", "--data", "moons", "--act", "relu", "--seeds", "1", "--epochs", "1", "-q"]
TIME_LIMIT = 120  # seconds a separate-process row may take (import, parse, one error line)
CUDA = torch.cuda.is_available()
_PY_HINT = re.compile(r"actopt\.[\w.]+\(\)")  # "see actopt.optim.names()": not for CLI users


def row(klass: str, *argv: str, marks=(), process: bool = False, literal: str = "", id="",
        code: int = 2):  # fmt: skip
    """One bad invocation of class ``klass``; ``literal``: text the error line must show as
    typed (rich markup in it printed, not eaten); ``process``: run as a separate process;
    ``code``: the exit status (2, a usage error; 1, a run that started and failed)."""
    return pytest.param(klass, list(argv), process, literal, code, marks=marks,
                        id=id or f"{klass}:{' '.join(argv)}"[:90])  # fmt: skip


# fmt: off
ROWS = [
    # -- an output path that is an existing file, or a folder where a file is expected ----------
    row("out-is-file", *TINY_TRAIN, "--json", "{file}/run.json"),
    row("out-is-file", *TINY_TRAIN, "--json", "{dir}"),
    row("out-is-file", "gallery", "relu", "--out", "{file}"),
    row("out-is-file", "audit", "relu", "--plot", "{file}"),
    row("out-is-file", "audit", "relu", "--json", "{dir}"),
    row("out-is-file", "landscape", "quadratic", "--out", "{file}", "--no-gif"),
    row("out-is-file", "landscape", "quadratic", "--json", "{dir}"),
    row("out-is-file", "activations", "--json", "{dir}"),
    row("out-is-file", "optimizers", "--json", "{dir}"),
    row("out-is-file", *TINY_BENCH, "--out", "{file}"),
    row("out-is-file", "search", "--budget", "1", "--out", "{file}"),
    row("out-is-file", "claims", "--only", "universal-approximation", "--out", "{file}"),
    row("out-is-file", "export", "{store}", "--csv", "{dir}"),
    row("out-is-file", "playground", "--no-browser", "--port", "0", "--store", "{file}",
        process=True),
    # -- an output path under a folder nobody may write in --------------------------------------
    row("out-read-only", *TINY_TRAIN, "--json", "{ro}/run.json"),
    row("out-read-only", "gallery", "relu", "--out", "{ro}/gallery"),
    row("out-read-only", "audit", "relu", "--plot", "{ro}/plot"),
    row("out-read-only", "audit", "relu", "--json", "{ro}/audit.json"),
    row("out-read-only", "landscape", "quadratic", "--out", "{ro}/plots", "--no-gif"),
    row("out-read-only", "landscape", "quadratic", "--json", "{ro}/l.json"),
    row("out-read-only", "activations", "--json", "{ro}/a.json"),
    row("out-read-only", *TINY_BENCH, "--out", "{ro}/bench"),
    row("out-read-only", "export", "{store}", "--csv", "{ro}/runs.csv"),
    # -- an output path inside a folder that does not exist -------------------------------------
    row("out-missing-folder", *TINY_TRAIN, "--json", "{missing}/run.json"),
    row("out-missing-folder", "gallery", "relu", "--out", "{missing}/gallery"),
    row("out-missing-folder", "audit", "relu", "--plot", "{missing}/plot"),
    row("out-missing-folder", "audit", "relu", "--json", "{missing}/audit.json"),
    row("out-missing-folder", "landscape", "quadratic", "--out", "{missing}/p", "--no-gif"),
    row("out-missing-folder", "landscape", "quadratic", "--json", "{missing}/l.json"),
    row("out-missing-folder", "optimizers", "--json", "{missing}/o.json"),
    row("out-missing-folder", "export", "{store}", "--csv", "{missing}/runs.csv"),
    # -- an empty output path ---------------------------------------------------------------------
    row("out-empty", *TINY_TRAIN, "--json", ""),
    row("out-empty", "gallery", "relu", "--out", ""),
    row("out-empty", "audit", "relu", "--plot", ""),
    row("out-empty", "landscape", "quadratic", "--out", ""),
    row("out-empty", *TINY_BENCH, "--out", ""),
    # -- a device this machine does not have ------------------------------------------------------
    *(
        row("device", *TINY_TRAIN, "--device", d, marks=pytest.mark.skipif(CUDA, reason="CUDA"))
        for d in ("cuda", "cuda:3")
    ),
    row("device", *TINY_TRAIN, "--device", "tpu"),
    # -- an integer parameter too large for a float -----------------------------------------------
    row("big-number", *TINY_TRAIN, "--act", "swish", "-p", f"beta={BIG}"),
    row("big-number", *TINY_TRAIN, "--act", "elu", "-p", f"alpha={HUGE}"),
    row("big-number", "audit", "swish", "-p", f"beta={HUGE}"),
    row("big-number", "audit", "x*b", "-p", f"b={HUGE}"),
    row("big-number", "activations", "show", "elu", "-p", f"alpha={HUGE}"),
    row("big-number", *TINY_TRAIN, "-o", f"weight_decay={HUGE}"),
    row("big-number", *TINY_TRAIN, "--act", "x*b", "-p", f"b={BIG}"),
    row("big-number", "landscape", "quadratic", "-p", f"kappa={HUGE}"),
    # -- a formula piecewise() cannot take --------------------------------------------------------
    row("piecewise", "audit", "piecewise(x, 1, 0)"),
    row("piecewise", *TINY_TRAIN, "--act", "piecewise(x, 1, 0)"),
    row("piecewise", "activations", "show", "piecewise(x+1, x, 0)"),
    row("piecewise", "gallery", "piecewise(x, x, 0)", "--out", "{tmp}/g"),
    # -- rich markup in user text: printed as typed, never interpreted ----------------------------
    row("markup", "audit", "x[/]", literal="x[/]"),
    row("markup", "audit", "[bold]x", literal="[bold]x"),
    row("markup", *TINY_TRAIN, "--opt", "adam[/]", literal="adam[/]"),
    row("markup", *TINY_TRAIN, "--act", "relu[/]", literal="relu[/]"),
    row("markup", *TINY_TRAIN, "--data", "moons[/]", literal="moons[/]"),
    row("markup", *TINY_TRAIN, "-o", "x[/]=1", literal="x[/]"),
    row("markup", "gallery", "relu", "--out", "dir[/]", literal="dir[/]"),
    row("markup", "landscape", "quadratic[/]", literal="quadratic[/]"),
    row("markup", "landscape", "quadratic", "--opt", "adam[/]", literal="adam[/]"),
    row("markup", "activations", "show", "relu[/]", literal="relu[/]"),
    row("markup", "optimizers", "show", "adam[/]", literal="adam[/]"),
    row("markup", "report", "dir[/]", literal="dir[/]"),
    row("markup", "export", "dir[/]", literal="dir[/]"),
    row("markup", "bench", "--act", "relu[/]", literal="relu[/]"),
    # -- unknown names ----------------------------------------------------------------------------
    row("unknown-name", *TINY_TRAIN, "--act", "relux"),
    row("unknown-name", *TINY_TRAIN, "--opt", "adamm"),
    row("unknown-name", *TINY_TRAIN, "--data", "cifar"),
    row("unknown-name", *TINY_TRAIN, "--model", "resnet"),
    row("unknown-name", *TINY_TRAIN, "--init", "kaiming"),
    row("unknown-name", *TINY_TRAIN, "--schedule", "linear"),
    row("unknown-name", "audit", "relux"),
    row("unknown-name", "audit", "x*foo(x)"),
    row("unknown-name", "gallery", "relux", "--out", "{tmp}/g"),
    row("unknown-name", "activations", "show", "relux"),
    row("unknown-name", "optimizers", "show", "adamm"),
    row("unknown-name", "landscape", "rosenbrok"),
    row("unknown-name", "landscape", "quadratic", "--opt", "adamm"),
    row("unknown-name", "bench", "--opt", "adamm"),
    row("unknown-name", "report", "{missing}"),
    row("unknown-name", "export", "{missing}"),
    row("unknown-name", "compare", "{missing}", "{store}"),
    row("unknown-name", "claims", "--only", "no-such-claim", "--out", "{tmp}/c"),
    row("bad-value", "search", "--budget", "0", "--out", "{tmp}/s"),
    row("bad-value", "search", "--seeds", "0", "--out", "{tmp}/s"),
    row("bad-value", "search", "--validate", "0", "--out", "{tmp}/s"),
    # the child network is checked before any screening (it failed after ~30 s of it)
    row("bad-value", "search", "--budget", "1", "--steps", "0", "--out", "{tmp}/s"),
    row("bad-value", "search", "--budget", "1", "--width", "-3", "--out", "{tmp}/s"),
    row("bad-value", "search", "--validate", "3", "--validate-seeds", "1", "--out", "{tmp}/s"),
    row("bad-value", "search", "--validate", "3", "--validate-steps", "0", "--out", "{tmp}/s"),
    # checked before the search it would follow starts (it used to fail only after the search)
    row("bad-value", "search", "--validate", "2", "--validate-images", "5", "--budget", "2",
        "--out", "{tmp}/s"),
    row("unknown-name", "train", "--bogus"),
    row("unknown-name", "frobnicate"),
    # -- bad K=V pairs and unknown keys -----------------------------------------------------------
    row("bad-pair", *TINY_TRAIN, "-p", "alpha"),
    row("bad-pair", *TINY_TRAIN, "-p", "=1"),
    row("bad-pair", *TINY_TRAIN, "-o", "momentum"),
    row("bad-pair", *TINY_TRAIN, "-o", "foo=1"),
    row("bad-pair", *TINY_TRAIN, "-d", "foo=1"),
    row("bad-pair", *TINY_TRAIN, "--schedule-param", "gamma"),
    row("bad-pair", *TINY_TRAIN, "--schedule", "cosine", "--schedule-param", "foo=1"),
    row("bad-pair", *TINY_TRAIN, "--schedule", "step", "--schedule-param", "step_size=0"),
    row("bad-pair", *TINY_TRAIN, "--schedule-param", "gamma=0.5"),
    row("bad-pair", "audit", "relu", "-p", "x"),
    row("bad-pair", "audit", "relu", "-p", "alpha=1"),
    row("bad-pair", "activations", "show", "elu", "-p", "alpha"),
    row("bad-pair", "landscape", "quadratic", "-p", "kappa"),
    row("bad-pair", "landscape", "quadratic", "-p", "foo=1"),
    row("bad-pair", "landscape", "quadratic", "--start", "1"),
    # -- values that must be refused --------------------------------------------------------------
    row("bad-value", *TINY_TRAIN, "--act", "swish", "-p", "beta=inf"),
    row("bad-value", *TINY_TRAIN, "--act", "swish", "-p", "beta=nan"),
    row("bad-value", *TINY_TRAIN, "--act", "x*b", "-p", "b=inf"),
    row("bad-value", "audit", "swish", "-p", "beta=inf"),
    row("bad-value", *TINY_TRAIN, "--lr", "inf"),
    row("bad-value", *TINY_TRAIN, "--lr", "nan"),
    row("bad-value", *TINY_TRAIN, "-o", "weight_decay=inf"),
    row("bad-value", *TINY_TRAIN, "-o", "amsgrad=yes"),
    row("bad-value", *TINY_TRAIN, "-o", "amsgrad=1"),
    row("bad-value", *TINY_TRAIN, "--opt", "sgd", "-o", "nesterov=maybe"),
    row("bad-value", *TINY_TRAIN, "--val-fraction", "inf"),
    row("bad-value", *TINY_TRAIN, "--dropout", "nan"),
    row("bad-value", *TINY_TRAIN, "--epochs", "0"),
    row("bad-value", *TINY_TRAIN, "--depth", "abc"),
    row("bad-value", *TINY_TRAIN, "--threads", "0"),
    row("bad-value", "landscape", "quadratic", "-p", "kappa=-1"),
    row("bad-value", "landscape", "quadratic", "-p", "kappa=inf"),
    row("bad-value", "landscape", "rosenbrock", "-p", "b=nan"),
    row("bad-value", "landscape", "quadratic", "--lr", "inf"),
    row("bad-value", "landscape", "quadratic", "--noise", "inf"),
    row("bad-value", "landscape", "quadratic", "--tol", "-1"),
    row("bad-value", "landscape", "quadratic", "--start", "inf,0"),
    row("bad-value", "landscape", "quadratic", "--steps", "0"),
    row("bad-value", "bench", "--lr", "inf"),
    row("bad-value", *TINY_BENCH, "--lr", "0", "--tune", "--out", "{tmp}/b"),
    row("bad-value", "playground", "--port", "70000"),
    row("bad-value", "playground", "--no-browser", "--port", "0", "--host", "8.8.8.8",
        "--store", "{tmp}/p", process=True, literal="not an address of this machine"),
    row("bad-value", *TINY_TRAIN, "-d", "noise=-1", literal="noise >= 0"),
    row("bad-value", *TINY_TRAIN, "-d", "n=1", literal="n >= 2"),
    row("bad-value", "search", "--top", "0", "--out", "{tmp}/s", literal="--top"),
    row("bad-value", "search", "--top", "-3", "--out", "{tmp}/s", literal="--top"),
    # -- an abbreviated option: argparse would read it as the longer one it starts -------------
    row("abbreviation", "bench", "--seed", "3", "--out", "{tmp}/b",
        literal="--seed 3 (did you mean --seeds?) (see 'actopt bench --help')"),
    row("abbreviation", "claims", "--seed", "3", "--out", "{tmp}/c", literal="--seed"),
    row("abbreviation", *TINY_TRAIN, "--epoch", "2", literal="--epoch"),
    row("abbreviation", "search", "--budg", "2", "--out", "{tmp}/s", literal="--budg"),
    # -- resources beyond this machine, without --allow-large -------------------------------------
    # (the one that filled 12 GB in 40 s runs apart: a regression must not take the tests down)
    row("resources", *TINY_TRAIN, "--depth", "1000000", process=True),
    row("resources", *TINY_TRAIN, "--width", "100000000"),
    row("resources", *TINY_TRAIN, "--depth", "100", "--width", "1000000"),
    row("resources", *TINY_TRAIN, "-d", "n=10000000000000"),
    row("resources", "landscape", "quadratic", "--steps", "10000000000"),
    row("resources", "landscape", "quadratic", "--steps", "100000000", "--tune"),
    row("resources", "gallery", *(f"x+{i}" for i in range(1001)), "--out", "{tmp}/g",
        id="resources:gallery 1001 formulas"),
    row("resources", *TINY_BENCH, "--workers", "100000", "--out", "{tmp}/b",
        process=True),
    # -- formulas that hung or crashed: a separate process under a time limit ---------------------
    row("hang", "audit", "x**9**9**9", process=True),
    row("hang", *TINY_TRAIN, "--act", "x**9**9**9", process=True),
    row("hang", "bench", "--act", "x**9**9**9", "--out", "{tmp}/b", process=True),
    row("hang", "audit", "(10**1000)**1000**1000"),
    # -- dataset files that are not the published ones: the run fails, the files stay -------------
    row("data-file", *TINY_TRAIN, "--data", "mnist", "--data-dir", "{corrupt}", code=1,
        literal="checksum mismatch"),
    row("data-file", *TINY_TRAIN, "--data", "fashion-mnist", "--data-dir", "{corrupt}", code=1,
        literal="is corrupt or truncated"),
    row("data-file", *TINY_TRAIN, "--data", "mnist", "--data-dir", "{tmp}", "--no-download",
        code=1, literal="downloading is off"),
    # -- a Ray cluster that is not there --------------------------------------------------------
    row("ray", *TINY_BENCH, "--backend", "ray", "--address", "127.0.0.1:1", "--out", "{tmp}/b",
        process=True),
]
# fmt: on


@pytest.fixture
def places(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "a-dir").mkdir()
    ro = tmp_path / "read-only"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.geteuid() == 0:  # root writes anywhere chmod allows: sysfs refuses even root
        ro = Path("/sys")
        if not ro.is_dir():
            pytest.skip("running as root without /sys: no folder root cannot write in")
    for name in ("mnist", "fashion-mnist"):  # junk where the IDX files belong
        (tmp_path / "corrupt" / name).mkdir(parents=True)
        for f in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                  "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):  # fmt: skip
            (tmp_path / "corrupt" / name / f"{f}.gz").write_bytes(b"not gzip")
    from actopt.bench import Store

    with Store(tmp_path / "store"):
        pass
    yield {"tmp": str(tmp_path), "file": str(tmp_path / "a-file"), "dir": str(tmp_path / "a-dir"),
           "ro": str(ro), "missing": str(tmp_path / "missing"),
           "store": str(tmp_path / "store"), "corrupt": str(tmp_path / "corrupt")}  # fmt: skip
    (tmp_path / "read-only").chmod(stat.S_IRWXU)


@contextmanager
def _time_limit(seconds: int):
    """An in-process row that runs past ``seconds`` fails instead of hanging the tests."""

    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _run(argv: list[str], process: bool, capsys, cwd: Path) -> tuple[int, str]:
    if process:  # the actopt under test, wherever the child starts
        here = str(Path(actopt.__file__).parents[1])
        path = os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])
        done = subprocess.run(
            [sys.executable, "-m", "actopt", *argv], capture_output=True, text=True, cwd=cwd,
            timeout=TIME_LIMIT, env={**os.environ, "COLUMNS": "200", "PYTHONPATH": path},
        )  # fmt: skip
        return done.returncode, done.stderr
    try:
        with _time_limit(TIME_LIMIT):
            code = main(argv)
    except SystemExit as e:  # argparse's own errors
        code = e.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("klass", "argv", "process", "literal", "expect"), ROWS)
def test_bad_invocation_is_one_error_line(klass, argv, process, literal, expect, places, capsys,
                                           monkeypatch):  # fmt: skip
    monkeypatch.chdir(places["tmp"])
    argv = [a.format(**places) for a in argv]
    code, err = _run(argv, process, capsys, Path(places["tmp"]))
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err, err
    assert code == expect, f"exit {code}: {err}"
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert not _PY_HINT.search(err), f"points CLI users at Python: {err}"
    assert literal in lines[0], f"{literal!r} not shown as typed: {lines[0]}"
    if klass == "data-file":  # the user's files are never replaced or removed
        assert {p.read_bytes() for p in Path(places["corrupt"]).rglob("*.gz")} == {b"not gzip"}


def test_every_subcommand_has_rows():
    """The table covers every command the parser has (a new command needs its rows)."""
    commands = set(_subcommands(build_parser()))
    covered = {p.values[1][0] for p in ROWS}
    assert commands <= covered, f"no bad-invocation rows for {sorted(commands - covered)}"


def _subcommands(parser) -> dict:
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices
    return {}

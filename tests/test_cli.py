"""The command line, driven in-process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from actopt import activations as A
from actopt import optim as O
from actopt.cli import main, parse_value
from actopt.cli._common import split_top_level


def test_activations_table_lists_every_name(capsys):
    assert main(["activations"]) == 0
    text = capsys.readouterr().out
    for name in A.names():
        assert name in text


def test_activations_json_round_trips(capsys):
    assert main(["activations", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == A.names()
    relu = next(r for r in rows if r["name"] == "relu")
    assert relu["saturates"] == "left" and relu["monotonic"] is True


def test_show_prints_formula_and_samples(capsys):
    assert main(["activations", "show", "silu", "--param", "beta=2"]) == 0
    text = capsys.readouterr().out
    assert "x * sigmoid(beta * x)" in text and "beta = 2.0" in text and "sample values" in text


def test_show_json_has_exact_values(capsys):
    assert main(["activations", "show", "relu", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["samples"]["f(x)"] == [0.0, 0.0, 0.0, 0.5, 1.0, 3.0]
    assert info["samples"]["f'(x)"] == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["activations", "show", "rellu"], "did you mean relu"),
        (["activations", "show", "elu", "-p", "alpha=-1"], "alpha must be in"),
        (["activations", "show", "elu", "-p", "alpha"], "expected NAME=VALUE"),
        (["activations", "show"], "usage"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err.replace("\n", " ")


def test_parse_value_never_evaluates():
    assert parse_value("3") == 3 and parse_value("0.5") == 0.5 and parse_value("True") is True
    assert parse_value("__import__('os')") == "__import__('os')"  # stays a string


def test_lists_split_on_top_level_commas_only():
    assert split_top_level("relu, max(x, 0),x*tanh(softplus(x))") == [
        "relu", "max(x, 0)", "x*tanh(softplus(x))"
    ]  # fmt: skip
    assert split_top_level(" ,relu,, ") == ["relu"]


def test_python_dash_m_and_help():
    done = subprocess.run(
        [sys.executable, "-m", "actopt", "--help"], capture_output=True, text=True, check=True
    )
    assert "activations" in done.stdout


def test_optimizers_table_and_show(capsys):
    assert main(["optimizers"]) == 0
    text = capsys.readouterr().out
    for name in [*O.names(), "optional state"]:
        assert name in text
    assert main(["optimizers", "show", "nag"]) == 0
    text = capsys.readouterr().out
    assert "look-ahead" in text and "momentum_buffer" in text
    assert "paths: single-tensor, foreach, fused" in text
    assert main(["optimizers", "show", "lion"]) == 0
    assert "paths: single-tensor, foreach\n" in capsys.readouterr().out


def test_optimizers_json_and_unknown_name(capsys):
    assert main(["optimizers", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    adadelta = next(r for r in rows if r["name"] == "adadelta")
    assert adadelta["defaults"]["lr"] == "1" and adadelta["memory"] == "2×"
    assert main(["optimizers", "show", "adma"]) == 2
    assert "did you mean" in capsys.readouterr().err


# -- actopt train ----------------------------------------------------------------------------


def test_train_prints_a_table_and_writes_json(tmp_path, capsys):
    path = tmp_path / "run.json"
    code = main(["train", "--data", "moons", "--width", "8", "--epochs", "2", "--act", "tanh",
                 "--opt", "momentum", "--lr", "0.1", "--diagnostics", "--json", str(path),
                 "-q"])  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "test acc" in text and "diagnostics at epoch 2" in text and "act1 (tanh)" in text
    result = json.loads(path.read_text())
    assert result["status"] == "ok" and len(result["history"]) == 2
    assert result["spec"]["opt"] == "momentum" and result["spec"]["lr"] == 0.1


def test_train_per_layer_activations_and_params(tmp_path):
    path = tmp_path / "run.json"
    assert main(["train", "--data", "xor", "--depth", "2", "--width", "8", "--act", "relu,elu",
                 "-p", "alpha=0.5", "--epochs", "1", "-q", "--json", str(path)]) == 2  # fmt: skip
    assert main(["train", "--data", "xor", "--depth", "2", "--width", "8", "--act", "elu,celu",
                 "-p", "alpha=0.5", "-o", "momentum=0.5", "--opt", "sgd", "--epochs", "1", "-q",
                 "--json", str(path)]) == 0  # fmt: skip
    spec = json.loads(path.read_text())["spec"]
    assert spec["act"] == ["elu", "celu"] and spec["opt_params"]["momentum"] == 0.5


@pytest.mark.parametrize("flags, message", [
    (["--act", "relux"], "did you mean relu"),
    (["--lr", "-1"], "lr must be >= 0"),
    (["--depth", "0"], "depth must be an integer >= 1"),
    (["--opt", "adamm"], "did you mean adam"),
    (["--batch-size", "half"], "batch_size"),
    (["--data", "cifar"], "data must be one of"),
])  # fmt: skip
def test_train_bad_flags_exit_2_with_one_line(capsys, flags, message):
    assert main(["train", *flags]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.startswith("error:")

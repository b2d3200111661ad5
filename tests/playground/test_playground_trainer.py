"""The live model: real training that falls, the engine's exact steps, pictures, diagnostics."""

from __future__ import annotations

import json
import math
import shlex

import numpy as np
import pytest
import torch

from actopt.cli import main
from actopt.playground import (
    DATASETS,
    NotExpressible,
    Session,
    command,
    pack,
    parse_config,
    to_runspec,
    unpack,
)
from actopt.playground._data import feature_matrix, make_data
from actopt.playground._trainer import GRID


def spirals(**model):
    net = {"layers": [{"units": 8, "act": "tanh"}] * 4, "opt": "adam", "hyper": {"lr": 0.01}}
    return parse_config({"data": {"name": "spirals"}, "a": {**net, **model}})


def frame(session: Session) -> tuple[dict, dict]:
    return unpack(session.frame())


def test_test_loss_falls_on_spirals():
    s = Session(spirals())
    before = frame(s)[0]["runs"]["a"]["test_loss"]
    assert s.advance(600) == 600
    after = frame(s)[0]["runs"]["a"]
    assert after["test_loss"] < 0.8 * before and after["step"] == 600
    assert after["epoch"] == pytest.approx(600 / 25)  # 250 training points, batch 10


def test_copied_command_trains_the_same_numbers(tmp_path):
    """`Copy as actopt train` is the truth: the CLI run lands on the playground's weights."""
    cfg = spirals(batch=32, features=["x1", "x2"], dropout=0.1)
    s = Session(cfg)
    s.advance(137)
    live = s.trainers["a"].losses()
    text, notes = command(to_runspec(cfg, "a", s.trainers["a"].step))
    assert notes == [] and text.startswith("actopt train --data spirals")
    out = tmp_path / "run.json"
    assert main([*shlex.split(text)[1:], "--json", str(out), "-q"]) == 0
    final = json.loads(out.read_text())["final"]
    assert final["test_loss"] == pytest.approx(live["test_loss"], rel=1e-5)
    assert final["train_loss"] == pytest.approx(live["train_loss"], rel=1e-5)
    assert final["steps"] == 137


@pytest.mark.parametrize(
    ("model", "data", "reason"),
    [
        ({"features": ["x1", "x2", "x1^2"]}, "moons", "input features"),
        ({"reg": "l2", "reg_rate": 0.01}, "moons", "L2 penalty"),
        ({"layers": [{"units": 3}, {"units": 5}]}, "moons", "different widths"),
        ({"features": ["x1"]}, "sine", "regression set"),
    ],
)
def test_what_actopt_train_cannot_say_is_named(model, data, reason):
    cfg = parse_config({"data": {"name": data}, "a": model})
    with pytest.raises(NotExpressible, match=reason):
        to_runspec(cfg, "a", 10)


def test_betas_have_no_flag_and_say_so():
    cfg = parse_config({"a": {"layers": [{}], "opt": "adam", "hyper": {"betas": [0.8, 0.99]}}})
    text, notes = command(to_runspec(cfg))
    assert "betas" not in text and "betas=(0.8, 0.99)" in notes[0]
    assert to_runspec(cfg).opt_params["betas"] == [0.8, 0.99]  # canonical: as JSON has it


def test_pictures_cover_every_neuron():
    s = Session(parse_config({"a": {"layers": [{"units": 5}, {"units": 3, "act": "relu"}]}}))
    head, arrays = frame(s)
    assert arrays["a.out"].shape == (GRID * GRID,)
    assert (
        arrays["a.neurons"].shape == (8, (GRID // 2) ** 2) and arrays["a.neurons"].dtype == np.int8
    )
    assert [arrays[f"a.w{i}"].shape for i in range(3)] == [(5, 2), (3, 5), (2, 3)]
    # each neuron's picture is its own output over the grid, scaled into int8
    t = s.trainers["a"]
    points = t._grid[t._neuron_idx]
    h1 = t.model[2](t.model[1](points))  # the first hidden layer's activation outputs
    first = arrays["a.neurons"][0].astype(np.float32) / 127 * arrays["a.scales"][0]
    np.testing.assert_allclose(first, h1[:, 0].detach().numpy(), atol=arrays["a.scales"][0] / 100)
    out = arrays["a.out"]
    assert out.min() >= -1 and out.max() <= 1
    diag = head["runs"]["a"]["diag"]
    assert len(diag["grad_norm"]) == 3 and [len(d) for d in diag["dead"]] == [5, 3]


def test_dead_relu_units_are_flagged():
    s = Session(parse_config({"a": {"layers": [{"units": 4, "act": "relu"}]}}))
    first = s.trainers["a"].linears[0]
    with torch.no_grad():
        first.bias[:2] = -100.0  # never active on any point: dead
    diag = frame(s)[0]["runs"]["a"]["diag"]
    assert diag["dead"] == [[True, True, False, False]]
    assert diag["dead_fraction"] == 0.5


def test_one_dimensional_regression_draws_curves():
    s = Session(parse_config({"data": {"name": "sine"}, "a": {"features": ["x1", "sin_x1"]}}))
    s.advance(200)
    head, arrays = frame(s)
    assert arrays["a.out"].shape == (4 * GRID,) and arrays["a.neurons"].shape == (8, 2 * GRID)
    assert "test_acc" not in head["runs"]["a"] and head["runs"]["a"]["test_loss"] < 1


@pytest.mark.parametrize("name", list(DATASETS))
def test_data_sets_are_standardised_and_split(name):
    d = make_data(name, 300, 0.7, DATASETS[name].default_noise, 1)
    x = d.dataset.x_train
    assert len(d.dataset.y_train) == 210 and len(d.dataset.y_test) == 90
    used = x[:, : DATASETS[name].dims]
    assert torch.allclose(used.mean(0), torch.zeros(DATASETS[name].dims), atol=1e-5)
    x0, x1, _, _ = d.window
    assert x0 <= float(x[:, 0].min()) and float(x[:, 0].max()) <= x1


def test_features_are_the_named_functions():
    p = torch.tensor([[0.5, -2.0]])
    got = feature_matrix(p, ["x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2"])[0]
    want = [0.5, -2.0, 0.25, 4.0, -1.0, math.sin(0.5), math.sin(-2.0)]
    assert got.tolist() == pytest.approx(want)


def test_optimizer_changes_are_live_and_keep_the_weights():
    s = Session(spirals())
    s.advance(50)
    w = s.trainers["a"].linears[0].weight.detach().clone()
    state = s.trainers["a"].opt.state_dict()["state"]
    reset = s.set_config(spirals(hyper={"lr": 0.001}, batch=5))
    t = s.trainers["a"]
    assert not reset and torch.equal(t.linears[0].weight, w) and t.step == 50
    assert t.opt.param_groups[0]["lr"] == 0.001 and t.batch_size == 5
    assert t.opt.state_dict()["state"].keys() == state.keys()  # Adam's moments kept
    assert s.set_config(spirals(layers=[{"units": 3}]))  # the shape changed: start again
    assert s.trainers["a"].step == 0


def test_compare_trains_both_on_the_same_data_and_steps():
    raw = {"data": {"name": "moons"}, "a": {"opt": "sgd"}, "b": {"opt": "momentum"}}
    s = Session(parse_config(raw))
    s.advance(40)
    head = frame(s)[0]["runs"]
    assert head["a"]["step"] == head["b"]["step"] == 40
    assert head["a"]["test_loss"] != head["b"]["test_loss"]
    twin = Session(parse_config({**raw, "b": raw["a"]}))
    twin.advance(40)
    same = frame(twin)[1]
    assert np.array_equal(same["a.out"], same["b.out"])  # same seed and data: same model


def test_a_diverging_model_stops():
    cfg = parse_config({"a": {"layers": [{"act": "exp(x)"}] * 3, "hyper": {"lr": 10}}})
    s = Session(cfg)
    assert s.advance(500) < 500
    assert s.status == "diverged" and frame(s)[0]["runs"]["a"]["status"] == "diverged"
    assert s.advance(5) == 0


def test_sessions_keep_their_own_random_streams():
    """Dropout draws from the session's own generator: interleaving does not change results."""
    cfg = spirals(dropout=0.3)
    alone = Session(cfg)
    alone.advance(30)
    a, b = Session(cfg), Session(cfg)
    for _ in range(3):
        a.advance(10)
        torch.rand(1000)  # someone else's randomness in between
        b.advance(10)
    for s in (a, b):
        assert s.trainers["a"].losses() == alone.trainers["a"].losses()


def test_wire_round_trip_and_strict_json():
    arrays = {"f": np.arange(5, dtype=np.float32), "q": np.array([[-3, 4]], dtype=np.int8)}
    header, back = unpack(
        pack({"type": "x", "loss": float("nan"), "v": [1.0, float("inf")]}, arrays)
    )
    assert header == {"type": "x", "loss": None, "v": [1.0, None]}
    assert np.array_equal(back["f"], arrays["f"]) and np.array_equal(back["q"], arrays["q"])
    with pytest.raises(TypeError):
        pack({}, {"bad": np.zeros(2, dtype=np.float64)})

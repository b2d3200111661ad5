"""Every message is checked before anything acts on it: names, ranges, sizes, unknown fields."""

from __future__ import annotations

import json

import pytest

from actopt import activations as A
from actopt import landscapes as L
from actopt import optim as O
from actopt.playground import (
    DATASETS,
    FEATURES,
    LIMITS,
    MAX_MESSAGE_BYTES,
    MESSAGE_TYPES,
    ProtocolError,
    parse_config,
    parse_message,
)
from actopt.playground._config import config_to_json


def msg(**fields) -> str:
    return json.dumps(fields)


def test_defaults_are_tensorflow_playgrounds_opening():
    cfg = parse_config({})
    assert cfg.data.name == "circles" and [la.units for la in cfg.a.layers] == [4, 4]
    assert cfg.a.opt == "sgd" and cfg.a.batch == 10 and cfg.b is None


def test_canonical_json_round_trips():
    raw = {"data": {"name": "xor", "points": 300}, "seed": 3,
           "a": {"layers": [{"units": 5, "act": "silu"}], "opt": "adam",
                 "hyper": {"betas": [0.8, 0.99]}, "features": ["x2", "x1", "x1x2"]},
           "b": {"layers": [], "opt": "lion"}}  # fmt: skip
    cfg = parse_config(raw)
    again = parse_config(config_to_json(cfg))
    assert again == cfg
    assert cfg.a.layers[0].act == "swish"  # the alias resolved to the catalog name
    assert cfg.a.features == ("x1", "x2", "x1x2")  # canonical order
    assert cfg.a.hyper["betas"] == (0.8, 0.99) and cfg.a.hyper["eps"] == 1e-8  # defaults filled


@pytest.mark.parametrize("name", O.names())
def test_every_optimizer_with_its_defaults(name):
    cfg = parse_config({"a": {"opt": name}})
    assert cfg.a.hyper == {**O.spec(name).defaults}


@pytest.mark.parametrize("name", A.names())
def test_every_activation_in_a_layer(name):
    raw = {"a": {"layers": [{"act": name}]}}
    if A.spec(name).vector:
        with pytest.raises(ProtocolError, match="whole layer") as e:
            parse_config(raw)
        assert e.value.field == "a.layers.0.act"
    else:
        assert parse_config(raw).a.layers[0].spec.name == A.spec(name).name


@pytest.mark.parametrize("name", list(DATASETS))
def test_every_data_set(name):
    cfg = parse_config({"data": {"name": name}, "a": {"features": ["x1"]}})
    assert cfg.data.noise == DATASETS[name].default_noise
    assert cfg.a.loss == ("mse" if DATASETS[name].task == "regression" else "ce")


def test_formula_activation_with_parameter():
    cfg = parse_config({"a": {"layers": [{"act": "x*sigmoid(b*x)", "params": {"b": 1.5}}]}})
    assert cfg.a.layers[0].spec.values["b"] == 1.5


BAD_CONFIGS = [
    ({"a": {"layers": [{"units": 17}]}}, "a.layers.0.units", "must be in [1, 16]"),
    ({"a": {"layers": [{}] * 9}}, "a.layers", "at most 8 hidden layers"),
    ({"a": {"layers": [{"units": 2.5}]}}, "a.layers.0.units", "whole number"),
    ({"data": {"points": 5000}}, "data.points", "must be in [20, 2000]"),
    ({"data": {"noise": -0.1}}, "data.noise", "must be in [0, 1]"),
    ({"data": {"train_ratio": 1}}, "data.train_ratio", "must be in [0.1, 0.9]"),
    ({"data": {"name": "mnist"}}, "data.name", "must be one of"),
    ({"a": {"hyper": {"lr": 11}}}, "a.hyper.lr", "must be in [0, 10]"),
    ({"a": {"hyper": {"lr": "fast"}}}, "a.hyper.lr", "finite number"),
    ({"a": {"hyper": {"momentum": -1}}}, "a.hyper", "momentum"),
    ({"a": {"opt": "adam", "hyper": {"betas": [1.0, 0.9]}}}, "a.hyper", "betas[0]"),
    ({"a": {"hyper": {"betas": [0.9, 0.9]}}}, "a.hyper.betas", "allowed: dampening"),
    ({"a": {"opt": "adamm"}}, "a.opt", "did you mean adam"),
    ({"a": {"layers": [{"act": "x*foo(x)"}]}}, "a.layers.0.act", "unknown function 'foo'"),
    ({"a": {"layers": [{"act": "x*"}]}}, "a.layers.0.act", "syntax error"),
    ({"a": {"layers": [{"act": "__import__('os')"}]}}, "a.layers.0.act", "dunder"),
    ({"a": {"layers": [{"act": "x+" * 120 + "x"}]}}, "a.layers.0.act", "too long"),
    ({"a": {"layers": [{"act": ""}]}}, "a.layers.0.act", "empty"),
    ({"a": {"layers": [{"act": "elu", "params": {"alpha": -1}}]}}, "a.layers.0.act", "alpha"),
    ({"a": {"layers": [{"act": "x*b"}]}}, "a.layers.0.act", "declare it as a parameter"),
    ({"a": {"layers": [{"width": 3}]}}, "a.layers.0.width", "unknown field(s) width"),
    ({"a": {"colour": "red"}}, "a.colour", "unknown field(s) colour"),
    ({"c": {}}, "c", "unknown field(s) c"),
    ({"a": {"features": []}}, "a.features", "non-empty"),
    ({"a": {"features": ["x3"]}}, "a.features", "must be one of"),
    ({"a": {"features": ["x1", "x1"]}}, "a.features", "twice"),
    ({"data": {"name": "sine"}, "a": {"features": ["x1", "x2"]}}, "a.features", "no x2"),
    ({"data": {"name": "plane"}, "a": {"loss": "ce"}}, "a.loss", "squared error"),
    ({"a": {"batch": 0}}, "a.batch", "must be in [1, 2000]"),
    ({"a": {"batch": "half"}}, "a.batch", "finite number"),
    ({"a": {"dropout": 1}}, "a.dropout", "must be in [0, 0.9]"),
    ({"a": {"reg": "l3"}}, "a.reg", "none, l1, l2"),
    ({"a": {"init": "torch"}}, "a.init", "must be one of"),
    ({"seed": -1}, "seed", "must be in"),
    ({"a": []}, "a", "must be an object"),
]


def refused(parse, raw, field, text) -> None:
    """``parse(raw)`` raises one ProtocolError naming ``field`` and saying ``text``."""
    with pytest.raises(ProtocolError) as e:
        parse(raw)
    assert e.value.field == field and text in str(e.value)


@pytest.mark.parametrize(("raw", "field", "text"), BAD_CONFIGS)
def test_bad_configs_name_the_field(raw, field, text):
    refused(parse_config, raw, field, text)


def test_limits_are_the_issues():
    assert LIMITS["layers"] == 8 and LIMITS["units"] == 16 and LIMITS["formula_chars"] <= 200
    assert set(FEATURES) == {"x1", "x2", "x1^2", "x2^2", "x1x2", "sin_x1", "sin_x2"}


GOOD_MESSAGES = {
    "config": {"config": {}},
    "play": {},
    "pause": {},
    "step": {"n": 5},
    "reset": {},
    "speed": {"steps_per_s": 10},
    "view": {"neurons": False},
    "plot": {"act": "x*tanh(x)"},
    "command": {},
    "save": {"which": "a"},
    "landscape": {"function": "ravine", "runs": [{"opt": "momentum", "lr": 0.03}]},
    "ping": {},
}


def test_every_message_type_has_a_good_example():
    assert set(GOOD_MESSAGES) == set(MESSAGE_TYPES)


@pytest.mark.parametrize("kind", list(MESSAGE_TYPES))
def test_every_message_type_parses(kind):
    m = parse_message(msg(type=kind, id=7, **GOOD_MESSAGES[kind]))
    assert m.type == kind and m.id == 7


@pytest.mark.parametrize("kind", [k for k in MESSAGE_TYPES])
def test_every_message_type_refuses_unknown_fields(kind):
    with pytest.raises(ProtocolError, match="unknown field"):
        parse_message(msg(type=kind, surprise=1, **GOOD_MESSAGES[kind]))


@pytest.mark.parametrize("name", L.names())
def test_every_landscape(name):
    m = parse_message(msg(type="landscape", function=name, runs=[{"opt": "adam"}]))
    assert m.body["fn"].name == name


BAD_MESSAGES = [
    ("{not json", None, "not valid JSON"),
    ("[1, 2]", None, "must be an object"),
    (msg(type="dance"), "type", "must be one of"),
    (msg(n=3), "type", "must be one of"),
    (msg(type="step", n=0), "n", "must be in [1, 1000]"),
    (msg(type="step", n=10**6), "n", "must be in [1, 1000]"),
    (msg(type="speed"), "steps_per_s", "missing"),
    (msg(type="speed", steps_per_s=-1), "steps_per_s", "must be in"),
    (msg(type="view", neurons="yes"), "neurons", "true or false"),
    (msg(type="save", which="c"), "which", "a, b"),
    (msg(type="plot", act="x*foo(x)"), "act", "unknown function"),
    (msg(type="plot", act=3), "act", "must be a string"),
    (msg(type="config"), "config", "missing"),
    (msg(type="step", id=True), "id", "number or a string"),
    (msg(type="step", id="x" * 65), "id", "too long"),
    (msg(type="landscape", function="banana", runs=[{"opt": "sgd"}]), "function", "unknown"),
    (msg(type="landscape", runs=[]), "runs", "1 to 6"),
    (msg(type="landscape", runs=[{"opt": "sgd"}] * 7), "runs", "1 to 6"),
    (
        msg(type="landscape", runs=[{"opt": "adagrad", "momentum": 0.9}]),
        "runs.0.momentum",
        "no momentum",
    ),
    (msg(type="landscape", runs=[{"opt": "sgd", "lr": 0}]), "runs.0.lr", "(0, 100]"),
    (msg(type="landscape", start=[100, 100], runs=[{"opt": "sgd"}]), "start", "outside"),
    (msg(type="landscape", steps=5000, runs=[{"opt": "sgd"}]), "steps", "[1, 2000]"),
    (msg(type="landscape", tune="yes", runs=[{"opt": "sgd"}]), "tune", "true or false"),
    (
        msg(type="landscape", params={"kappa": "x"}, function="quadratic", runs=[{"opt": "sgd"}]),
        "params.kappa",
        "finite number",
    ),
]


@pytest.mark.parametrize(("raw", "field", "text"), BAD_MESSAGES)
def test_bad_messages_are_refused_with_a_reason(raw, field, text):
    refused(parse_message, raw, field, text)


def test_oversized_message():
    raw = msg(type="ping", id="x" * MAX_MESSAGE_BYTES)
    with pytest.raises(ProtocolError, match="too large"):
        parse_message(raw)


def test_error_carries_the_request_id():
    with pytest.raises(ProtocolError) as e:
        parse_message(msg(type="config", id=42, config={"a": {"hyper": {"lr": 99}}}))
    assert e.value.request == 42 and e.value.field == "a.hyper.lr"


@pytest.mark.parametrize(("raw", "field", "message"), [
    ({"a": {"hyper": {"lr": -5}}}, "a.hyper.lr", "lr must be in [0, 10], got -5"),
    ({"b": {"layers": [{}, {"units": 17}]}}, "b.layers.1.units",
     "layer 2 units must be in [1, 16], got 17"),
    ({"data": {"noise": -0.1}}, "data.noise", "noise must be in [0, 1], got -0.1"),
    ({"a": {"loss": "hinge"}}, "a.loss", "loss must be one of"),
])  # fmt: skip
def test_messages_name_fields_as_the_page_does(raw, field, message):
    """The page's user never saw 'a.hyper.lr'; the field path stays in ``field`` for the page."""
    with pytest.raises(ProtocolError) as e:
        parse_config(raw)
    assert e.value.field == field and e.value.message.startswith(message), e.value.message

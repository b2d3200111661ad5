"""The playground's configuration: what the page sends, checked once, as frozen data.

A configuration is the data set, a seed, and one model (``a``) or two (``a`` and ``b``, trained
side by side on the same data and seed). Everything downstream trusts a :class:`Config`: every
range, size and name was checked here, activations and formulas were parsed into specs, and the
optimizer's hyper-parameters were tried on its own constructor.

>>> cfg = parse_config({"data": {"name": "moons"}, "a": {"layers": [{"units": 4}]}})
>>> cfg.a.layers[0].act, cfg.a.opt, cfg.data.noise
('tanh', 'sgd', 0.1)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from .. import activations, models, optim
from ..activations import ActivationSpec
from ._data import DATASETS, FEATURES
from ._schema import ProtocolError, check_keys, choice, flag, number, obj, text

__all__ = [
    "LIMITS",
    "LOSSES",
    "REGULARIZERS",
    "Config",
    "DataConfig",
    "LayerConfig",
    "ModelConfig",
    "config_to_json",
    "parse_config",
]

LIMITS = {
    "layers": 8,  # hidden layers
    "units": 16,  # neurons per hidden layer
    "points": 2000,  # points in a data set (train + test)
    "formula_chars": 200,
    "act_params": 4,
    "batch": 2000,
    "seed": 2**31 - 1,
}
LOSSES = ("ce", "mse")
REGULARIZERS = ("none", "l1", "l2")
INITS = tuple(i for i in models.INITS if i != "torch")


@dataclass(frozen=True)
class DataConfig:
    name: str
    points: int  # train + test
    train_ratio: float
    noise: float  # Gaussian std, in the set's own units
    seed: int


@dataclass(frozen=True)
class LayerConfig:
    units: int = 8
    act: str = "tanh"  # a catalog name (canonical) or a formula
    params: dict = field(default_factory=dict)
    spec: ActivationSpec | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ModelConfig:
    features: tuple[str, ...] = ("x1", "x2")
    layers: tuple[LayerConfig, ...] = ()
    init: str = "xavier"
    opt: str = "sgd"
    hyper: dict = field(default_factory=dict)  # every hyper-parameter of ``opt``, defaults filled
    batch: int | str = 10  # "full" = batch gradient descent
    loss: str = "ce"
    reg: str = "none"
    reg_rate: float = 0.0
    dropout: float = 0.0

    @property
    def act_specs(self) -> list[ActivationSpec]:
        return [layer.spec for layer in self.layers]  # type: ignore[misc]


@dataclass(frozen=True)
class Config:
    data: DataConfig
    a: ModelConfig
    b: ModelConfig | None = None
    seed: int = 0

    def models(self) -> dict[str, ModelConfig]:
        return {"a": self.a} | ({"b": self.b} if self.b is not None else {})


# -- parsing -------------------------------------------------------------------------------------

_DATA_KEYS = ("name", "points", "train_ratio", "noise", "seed")
_MODEL_KEYS = ("features", "layers", "init", "opt", "hyper", "batch", "loss", "reg", "reg_rate",
               "dropout")  # fmt: skip


def parse_config(value: Any) -> Config:
    """A checked :class:`Config` from the page's JSON; missing fields take their defaults."""
    raw = obj(value, "config")
    check_keys(raw, "", ("data", "a", "b", "seed"))
    data = _data(raw.get("data", {}))
    a = _model(raw.get("a", {}), "a", data)
    b = None if raw.get("b") is None else _model(raw["b"], "b", data)
    seed = number(raw.get("seed", 0), "seed", 0, LIMITS["seed"], integer=True)
    return Config(data, a, b, seed)


def _data(value: Any) -> DataConfig:
    raw = obj(value, "data")
    check_keys(raw, "data", _DATA_KEYS)
    name = choice(raw.get("name", "circles"), "data.name", list(DATASETS))
    noise = raw.get("noise")
    return DataConfig(
        name=name,
        points=number(raw.get("points", 500), "data.points", 20, LIMITS["points"],
                      integer=True),
        train_ratio=number(raw.get("train_ratio", 0.5), "data.train_ratio", 0.1, 0.9),
        noise=DATASETS[name].default_noise if noise is None else number(noise, "data.noise", 0, 1),
        seed=number(raw.get("seed", 0), "data.seed", 0, LIMITS["seed"], integer=True),
    )  # fmt: skip


def _model(value: Any, name: str, data: DataConfig) -> ModelConfig:
    raw = obj(value, name)
    check_keys(raw, name, _MODEL_KEYS)
    info = DATASETS[data.name]
    features = _features(raw.get("features", ["x1", "x2"]), f"{name}.features", info.dims)
    layers_raw = raw.get("layers", [{"units": 4}, {"units": 4}])
    if not isinstance(layers_raw, list):
        raise ProtocolError(f"{name}.layers must be a list", f"{name}.layers")
    if len(layers_raw) > LIMITS["layers"]:
        raise ProtocolError(f"{name}.layers: at most {LIMITS['layers']} hidden layers, got "
                            f"{len(layers_raw)}", f"{name}.layers")  # fmt: skip
    layers = tuple(_layer(v, f"{name}.layers.{i}") for i, v in enumerate(layers_raw))
    opt, hyper = _optimizer(raw.get("opt", "sgd"), raw.get("hyper", {}), name)
    loss = choice(raw.get("loss", "mse" if info.task == "regression" else "ce"), f"{name}.loss",
                  LOSSES)  # fmt: skip
    if info.task == "regression" and loss != "mse":
        raise ProtocolError(f"{name}.loss: a regression set is fitted with squared error (mse)",
                            f"{name}.loss")  # fmt: skip
    batch = raw.get("batch", 10)
    if batch != "full":
        batch = number(batch, f"{name}.batch", 1, LIMITS["batch"], integer=True)
    return ModelConfig(
        features=features,
        layers=layers,
        init=choice(raw.get("init", "xavier"), f"{name}.init", INITS),
        opt=opt,
        hyper=hyper,
        batch=batch,
        loss=loss,
        reg=choice(raw.get("reg", "none"), f"{name}.reg", REGULARIZERS),
        reg_rate=number(raw.get("reg_rate", 0.0), f"{name}.reg_rate", 0, 1),
        dropout=number(raw.get("dropout", 0.0), f"{name}.dropout", 0, 0.9),
    )


def _features(value: Any, field_: str, dims: int) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ProtocolError(f"{field_} must be a non-empty list of {', '.join(FEATURES)}", field_)
    for f in value:
        choice(f, field_, list(FEATURES))
    if len(set(value)) != len(value):
        raise ProtocolError(f"{field_} lists a feature twice", field_)
    if dims == 1 and any("x2" in f for f in value):
        raise ProtocolError(f"{field_}: this data set is 1-D, it has no x2", field_)
    return tuple(f for f in FEATURES if f in value)  # canonical order


def _layer(value: Any, field_: str) -> LayerConfig:
    raw = obj(value, field_)
    check_keys(raw, field_, ("units", "act", "params"))
    units = number(raw.get("units", 8), f"{field_}.units", 1, LIMITS["units"], integer=True)
    act = text(raw.get("act", "tanh"), f"{field_}.act", LIMITS["formula_chars"]).strip()
    params = obj(raw.get("params", {}), f"{field_}.params")
    if len(params) > LIMITS["act_params"]:
        raise ProtocolError(f"{field_}.params: at most {LIMITS['act_params']} parameters",
                            f"{field_}.params")  # fmt: skip
    for k, v in params.items():
        if isinstance(v, str):  # a categorical parameter, e.g. gelu's approximate
            text(v, f"{field_}.params.{k}", 20)
        elif not isinstance(v, bool):
            number(v, f"{field_}.params.{k}", -1e6, 1e6)
    spec = activation_spec(act, dict(params), f"{field_}.act")
    return LayerConfig(units, _catalog_name(act) or act, dict(params), spec)


def _catalog_name(act: str) -> str | None:
    try:
        return activations.resolve(act)
    except KeyError:
        return None


def activation_spec(act: str, params: dict, field_: str) -> ActivationSpec:
    """A catalog name or a formula → its spec, or one clear error (the page shows it inline)."""
    if not act:
        raise ProtocolError("the activation is empty: pick a name or type a formula in x", field_)
    try:
        spec = activations.spec(act, **params)
    except KeyError as e:
        raise ProtocolError(str(e.args[0]), field_) from None
    except (ValueError, TypeError) as e:
        raise ProtocolError(str(e), field_) from None
    if spec.vector:
        raise ProtocolError(f"{spec.name} acts on a whole layer, not on each unit: the playground "
                            "draws one picture per neuron, so it takes element-wise activations",
                            field_)  # fmt: skip
    return spec


def _optimizer(name: Any, hyper: Any, model: str) -> tuple[str, dict[str, Any]]:
    field_ = f"{model}.opt"
    try:
        s = optim.spec(text(name, field_, 40))
    except KeyError as e:
        raise ProtocolError(str(e.args[0]), field_) from None
    raw = obj(hyper, f"{model}.hyper")
    check_keys(raw, f"{model}.hyper", s.defaults)
    values = dict(s.defaults)
    for k, v in raw.items():
        values[k] = _hyper_value(v, s.defaults[k], f"{model}.hyper.{k}")
    values["lr"] = number(values["lr"], f"{model}.hyper.lr", 0, 10)
    try:  # the optimizer checks its own hyper-parameters: try them on a dummy parameter
        s.make([torch.nn.Parameter(torch.zeros(1))], **values)
    except (ValueError, TypeError) as e:
        raise ProtocolError(f"{s.name}: {e}", f"{model}.hyper") from None
    return s.name, values


def _hyper_value(value: Any, default: Any, field_: str) -> Any:
    """Coerce to the default's type: bool, a pair of numbers (betas) or a number."""
    if isinstance(default, bool):
        return flag(value, field_)
    if isinstance(default, tuple):
        if not isinstance(value, list) or len(value) != len(default):
            raise ProtocolError(f"{field_} must be a list of {len(default)} numbers", field_)
        return tuple(number(v, f"{field_}.{i}", -1e6, 1e6) for i, v in enumerate(value))
    return number(value, field_, -1e6, 1e6, integer=isinstance(default, int))


# -- back to JSON --------------------------------------------------------------------------------


def config_to_json(cfg: Config) -> dict[str, Any]:
    """The canonical form the page shows and puts in the URL (defaults filled, names resolved)."""

    def model(m: ModelConfig) -> dict[str, Any]:
        return {
            "features": list(m.features),
            "layers": [{"units": la.units, "act": la.act, "params": dict(la.params)}
                       for la in m.layers],
            "init": m.init, "opt": m.opt,
            "hyper": {k: list(v) if isinstance(v, tuple) else v for k, v in m.hyper.items()},
            "batch": m.batch, "loss": m.loss, "reg": m.reg, "reg_rate": m.reg_rate,
            "dropout": m.dropout,
        }  # fmt: skip

    d = cfg.data
    return {
        "data": {"name": d.name, "points": d.points, "train_ratio": d.train_ratio,
                 "noise": d.noise, "seed": d.seed},
        "seed": cfg.seed,
        "a": model(cfg.a),
        "b": None if cfg.b is None else model(cfg.b),
    }  # fmt: skip

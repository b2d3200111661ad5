"""``RunSpec``: everything one training run depends on, as frozen, canonical, hashable data.

A spec is made canonical and validated once, where it enters (flags, a TOML grid, Python):
names resolved (``silu`` → ``swish``, ``heavy_ball`` → ``momentum``), a formula kept as the
formula with its whitespace collapsed, the optimizer's hyper-parameters completed with its
defaults and the lr resolved (``lr=None`` becomes the optimizer's default), every value checked
by the component that owns it (an activation's ``Param``\\ s, ``OptimizerSpec.validate``, the
model's and the dataset's own checks), without building anything. Downstream code trusts it:
``run_id`` hashes the canonical form, so one run has one id however it was spelt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from .._numbers import as_finite, shown

__all__ = ["LOSSES", "SCHEDULES", "SCHEDULE_PARAMS", "RunSpec"]

LOSSES = ("ce", "mse", "bce")  # softmax CE; MSE and per-class sigmoid BCE on one-hot targets
_DICTS = ("data_options", "act_params", "opt_params", "schedule_params")


def _number(low: float, *, above: bool = False, high: float | None = None, whole: bool = False):
    """A check of a number >= low (> low with ``above``), <= high, whole or not: (test, rule)."""

    def ok(v: Any) -> bool:
        x = as_finite(v)
        return (
            x is not None
            and (x > low if above else x >= low)
            and (high is None or x <= high)
            and (not whole or (isinstance(v, int) and not isinstance(v, bool)))
        )

    kind = "an integer" if whole else "a number"
    rule = f"{kind} {'>' if above else '>='} {low:g}" + (f" and <= {high:g}" if high else "")
    return ok, rule


# each schedule's parameters (what make_scheduler reads) and their checks
SCHEDULE_PARAMS: dict[str, dict[str, tuple[Callable[[Any], bool], str]]] = {
    "none": {},
    "cosine": {"eta_min": _number(0)},
    "step": {"step_size": _number(1, whole=True), "gamma": _number(0, above=True)},
    "exponential": {"gamma": _number(0, above=True)},
    "onecycle": {
        "max_lr": _number(0, above=True), "pct_start": _number(0, above=True, high=1),
        "div_factor": _number(0, above=True), "final_div_factor": _number(0, above=True),
        "anneal_strategy": (lambda v: v in ("cos", "linear"), "cos or linear"),
        "three_phase": (lambda v: isinstance(v, bool), "true or false"),
        "cycle_momentum": (lambda v: isinstance(v, bool), "true or false"),
        "base_momentum": _number(0), "max_momentum": _number(0),
    },
}  # fmt: skip
SCHEDULES = tuple(SCHEDULE_PARAMS)


@dataclass(frozen=True)
class RunSpec:
    """One run: data × model × activation × optimizer × budget × seed.

    Canonical and validated on construction (a bad value raises ``ValueError`` naming the
    field), so a grid fails before anything trains. ``lr`` is stored resolved and
    ``opt_params`` complete, so ``RunSpec(opt="adam")`` and ``RunSpec(opt="adam", lr=1e-3)``
    are one run; ``run_id`` is a hash of the canonical JSON: equal specs, equal ids, on any
    machine.

    >>> s = RunSpec(data="moons", act="silu", opt="heavy_ball")
    >>> s.act, s.opt, s.lr
    ('swish', 'momentum', 0.001)
    >>> s.run_id == RunSpec(data="moons", act="swish", opt="momentum", lr=1e-3).run_id
    True

    Options the model has no use for take their defaults, so runs that would build the same
    network are one run: a ``linear`` model (logistic regression) has no hidden layer, hence no
    activation (``act`` becomes ``identity``), depth, width, norm or dropout; the ``cnn`` has a
    fixed depth, and on 1-D signals no ``width`` either.

    >>> RunSpec(model="linear", act="tanh", depth=3).act_label
    'identity'
    """

    data: str = "mnist1d"
    data_options: dict = field(default_factory=dict)  # e.g. {"noise": 0.2} for a toy
    val_fraction: float = 0.1
    model: str = "mlp"
    depth: int = 2  # hidden layers (mlp)
    width: int = 256
    act: str | tuple[str, ...] = "relu"  # one activation, or one per hidden layer
    act_params: dict = field(default_factory=dict)
    init: str = "he"
    norm: str = "none"
    dropout: float = 0.0
    opt: str = "adam"
    lr: float | None = None  # None: the optimizer's default (stored resolved)
    opt_params: dict = field(default_factory=dict)  # stored with the optimizer's defaults
    batch_size: int | str = 128  # "full" = batch gradient descent, 1 = stochastic
    epochs: int = 5
    steps: int | None = None  # a step budget instead of whole epochs
    schedule: str = "none"
    schedule_params: dict = field(default_factory=dict)
    loss: str = "ce"
    seed: int = 0
    device: str = "auto"
    diagnostics: bool = False
    diag_every: int = 0  # also record diagnostics every N steps (0: once per epoch)

    def __post_init__(self) -> None:
        for name, value in _canonical(self._values(), None).items():
            object.__setattr__(self, name, value)

    # -- identity -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["act"] = self.act if isinstance(self.act, str) else list(self.act)
        return d

    def canonical_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def run_id(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]

    def __hash__(self) -> int:
        return hash(self.run_id)

    # -- how grids and reports name it -----------------------------------------------------

    @property
    def act_label(self) -> str:
        return self.act if isinstance(self.act, str) else ",".join(self.act)

    @property
    def opt_label(self) -> str:
        """``adam``, ``momentum(momentum=0.95)``: the optimizer and the hyper-parameters that
        differ from its defaults (the lr aside: it is reported on its own)."""
        from .. import optim

        defaults = _plain(optim.spec(self.opt).defaults)
        changed = {
            k: v for k, v in self.opt_params.items() if k not in defaults or v != defaults[k]
        }
        extra = ",".join(f"{k}={v}" for k, v in changed.items())
        return self.opt + (f"({extra})" if extra else "")

    @property
    def label(self) -> str:
        """``act/opt``: the config a grid and a report group seeds and lrs under."""
        return f"{self.act_label}/{self.opt_label}"

    # -- making one from another ----------------------------------------------------------

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunSpec:
        """A spec from plain data given by a person (validated; unknown fields refused)."""
        _known(d)
        return cls(**d)

    @classmethod
    def from_canonical(cls, d: dict[str, Any]) -> RunSpec:
        """A spec from the ``to_dict`` of a canonical one (a store row, a worker's payload),
        taken as it is: it was validated when it was made."""
        _known(d)
        values = {f.name: _default(f) for f in fields(cls)}
        values.update(d)
        if not isinstance(values["act"], str):
            values["act"] = tuple(values["act"])
        return cls._trusted(values)

    def replace(self, **changes: Any) -> RunSpec:
        """A copy with ``changes``, which are made canonical and validated (what did not change
        is trusted). A new ``opt`` given without ``lr`` or ``opt_params`` starts from that
        optimizer's defaults: the old ones belonged to the old optimizer."""
        _known(changes)
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        if not changed:
            return self
        if "opt" in changed:
            changed.setdefault("lr", changes.get("lr"))
            changed.setdefault("opt_params", changes.get("opt_params", {}))
        values = _canonical({**self._values(), **changed}, set(changed))
        return self._trusted(values)

    @classmethod
    def _trusted(cls, values: dict[str, Any]) -> RunSpec:
        spec = object.__new__(cls)
        for name, value in values.items():
            object.__setattr__(spec, name, value)
        return spec

    def _values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


# -- canonical form and validation: one step per group of fields ------------------------------


def _known(d: dict[str, Any]) -> None:
    allowed = [f.name for f in fields(RunSpec)]
    unknown = sorted(set(d) - set(allowed))
    if unknown:
        raise ValueError(
            f"unknown run field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )


def _default(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def _plain(value: Any) -> Any:
    """As JSON has it (tuples become lists), so a spec equals its own round trip."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        raise ValueError(f"expected plain data (numbers, strings, lists), got {value!r}") from None


def _bad(name: str, value: Any, allowed: str) -> ValueError:
    return ValueError(f"{name} must be {allowed}, got {shown(value)}")


def _whole(name: str, low: int) -> Callable[[dict], None]:
    def check(v: dict) -> None:
        value = v[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise _bad(name, value, f"an integer >= {low}")

    return check


def _one_of(name: str, allowed: tuple[str, ...]) -> Callable[[dict], None]:
    def check(v: dict) -> None:
        if v[name] not in allowed:
            raise _bad(name, v[name], f"one of {', '.join(allowed)}")

    return check


def _dicts(v: dict) -> None:
    for name in _DICTS:
        if not isinstance(v[name], dict):
            raise _bad(name, v[name], "a table of name = value")
        v[name] = dict(sorted(v[name].items()))
    if not isinstance(v["act"], str):
        v["act"] = tuple(v["act"])


def _data(v: dict) -> None:
    from .. import data

    try:
        s = data.spec(v["data"])
    except KeyError:
        raise _bad("data", v["data"], f"one of {', '.join(data.names())}") from None
    unknown = sorted(set(v["data_options"]) - set(s.run_options))
    if unknown:
        allowed = ", ".join(s.run_options) or "none"
        raise ValueError(
            f"data_options for {s.name}: unknown {', '.join(unknown)}; allowed: {allowed}"
        )
    for key, value in v["data_options"].items():
        default = s.run_options[key]
        # a count stays whole (n=2.5 is no size); a None default takes a number
        if isinstance(default, int) and not isinstance(default, bool):
            if isinstance(value, bool) or not isinstance(value, int):
                raise _bad(f"data_options {key}", value, "an integer")
        elif as_finite(value) is None and not (default is None and value is None):
            raise _bad(f"data_options {key}", value, "a finite number")
    v["data"], v["data_options"] = s.name, _plain(v["data_options"])


def _model(v: dict) -> None:
    from .. import models

    if v["model"] not in models.names():
        raise _bad("model", v["model"], f"one of {', '.join(models.names())}")


def _model_option(name: str) -> Callable[[dict], None]:
    def check(v: dict) -> None:
        from .. import models

        models.check_options(**{name: v[name]})

    return check


def _act(v: dict) -> None:
    """Canonical names (aliases resolved, formulas kept), parameters checked and typed."""
    from .. import activations

    given = [v["act"]] if isinstance(v["act"], str) else list(v["act"])
    if not given:
        raise _bad("act", [], "one activation or one per hidden layer")
    names, params = [], {}
    for a in given:
        try:
            s = activations.spec(a, **v["act_params"])
        except KeyError as e:
            raise ValueError(f"act: {e.args[0]}") from None
        names.append(s.name)
        params.update({k: s.values[k] for k in v["act_params"]})
    v["act"] = names[0] if isinstance(v["act"], str) else tuple(names)
    v["act_params"] = _plain(params)


_UNUSED = {  # model → the fields its builder never reads (given any data)
    "linear": ("act", "act_params", "depth", "width", "init", "norm", "dropout"),
    "cnn": ("depth",),
}
_MODEL_FIELDS = ("model", "data", "data_options", "act", "act_params", "depth", "width", "init",
                 "norm", "dropout")  # fmt: skip


def _model_fit(v: dict) -> None:
    """The fields the model ignores at their defaults (one network, one run), and a cnn only
    on data it can convolve: images (C, H, W) or signals (C, L)."""
    from .. import data

    unused = list(_UNUSED.get(v["model"], ()))
    if v["model"] == "cnn":
        shape = data.spec(v["data"]).shape(**v["data_options"])[1]
        if len(shape) not in (2, 3):
            raise ValueError(
                f"model: cnn needs images (C, H, W) or signals (C, L); {v['data']} has inputs "
                f"of shape {tuple(shape)}: use mlp or linear"
            )
        if len(shape) == 2:
            unused.append("width")  # the 1-D conv net ends in one linear layer
    defaults = {f.name: _default(f) for f in fields(RunSpec) if f.name in unused}
    if "act" in defaults:
        defaults["act"] = "identity"
    v.update(defaults)


def _act_count(v: dict) -> None:
    n = 1 if isinstance(v["act"], str) else len(v["act"])
    if v["model"] == "mlp" and n not in (1, v["depth"]):
        raise _bad("act", list(v["act"]), f"one activation or {v['depth']} (one per layer)")


def _opt(v: dict) -> None:
    """The optimizer's canonical name, and its hyper-parameters checked and completed."""
    from .. import optim

    try:
        s = optim.spec(v["opt"])
    except KeyError as e:
        raise ValueError(f"opt: {e.args[0]}") from None
    hyper = dict(v["opt_params"])
    if v["lr"] is not None or "lr" not in hyper:
        hyper["lr"] = v["lr"]
    full = s.validate(hyper)
    v["opt"], v["lr"] = s.name, full.pop("lr")
    v["opt_params"] = _plain(dict(sorted(full.items())))


def _schedule(v: dict) -> None:
    """The schedule's name, and its parameters: known to it, and valid."""
    _one_of("schedule", SCHEDULES)(v)
    allowed = SCHEDULE_PARAMS[v["schedule"]]
    unknown = sorted(set(v["schedule_params"]) - set(allowed))
    if unknown:
        names = ", ".join(allowed) or "none"
        raise ValueError(f"schedule_params for schedule {v['schedule']}: unknown "
                         f"{', '.join(unknown)}; allowed: {names}")  # fmt: skip
    for key, value in v["schedule_params"].items():
        ok, rule = allowed[key]
        if not ok(value):
            raise _bad(f"schedule_params {key}", value, rule)


def _val_fraction(v: dict) -> None:
    value = v["val_fraction"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise _bad("val_fraction", value, "in [0, 1)")


def _batch_size(v: dict) -> None:
    value = v["batch_size"]
    if value != "full" and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise _bad("batch_size", value, "an integer >= 1 or 'full'")


def _steps(v: dict) -> None:
    if v["steps"] is not None:
        _whole("steps", 1)(v)


def _device(v: dict) -> None:
    d = v["device"]
    if not isinstance(d, str) or (
        d not in ("auto", "cpu", "cuda", "mps") and not d.startswith("cuda:")
    ):
        raise _bad("device", d, "auto, cpu, cuda, cuda:N or mps")


def _diagnostics(v: dict) -> None:
    if not isinstance(v["diagnostics"], bool):
        raise _bad("diagnostics", v["diagnostics"], "true or false")


# (fields a step reads, the step): a step runs when any of its fields is new
_STEPS: tuple[tuple[tuple[str, ...], Callable[[dict], None]], ...] = (
    ((*_DICTS, "act"), _dicts),
    (("data", "data_options"), _data),
    (("val_fraction",), _val_fraction),
    (("model",), _model),
    *(((name,), _model_option(name)) for name in ("depth", "width", "init", "norm", "dropout")),
    (("act", "act_params"), _act),
    (("act", "model", "depth"), _act_count),
    (_MODEL_FIELDS, _model_fit),
    (("opt", "lr", "opt_params"), _opt),
    (("batch_size",), _batch_size),
    (("epochs",), _whole("epochs", 1)),
    (("steps",), _steps),
    (("schedule", "schedule_params"), _schedule),
    (("loss",), _one_of("loss", LOSSES)),
    (("seed",), _whole("seed", 0)),
    (("device",), _device),
    (("diagnostics",), _diagnostics),
    (("diag_every",), _whole("diag_every", 0)),
)


def _canonical(values: dict[str, Any], changed: set[str] | None) -> dict[str, Any]:
    """``values`` made canonical; only the steps that read a changed field run (all: None)."""
    v = dict(values)
    for reads, step in _STEPS:
        if changed is None or not changed.isdisjoint(reads):
            step(v)
    return v

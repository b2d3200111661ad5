"""A bench grid: datasets × models × activations × optimizers × seeds, from TOML or flags.

Every key is checked (an unknown one is named with the allowed ones) and every run it expands
to is validated as a ``RunSpec`` before anything trains, so a typo fails in milliseconds.

```toml
data = ["mnist1d"]
model = ["mlp"]
act = ["relu", "tanh", "x*tanh(softplus(x))"]
seeds = 3
epochs = 20
[[opt]]
name = "adam"
lr = 1e-2
[[opt]]
name = "momentum"
lr = 0.05
momentum = 0.95
```
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from ..train import RunSpec

__all__ = ["DEFAULT_GRID", "Grid", "OptConfig", "grid_from_dict", "load_grid", "opt_label"]


def opt_label(name: str, params: dict) -> str:
    """``adam`` or ``momentum(momentum=0.95)``: how configs are named in grids and reports."""
    extra = ",".join(f"{k}={v}" for k, v in sorted(params.items()))
    return name + (f"({extra})" if extra else "")


@dataclass(frozen=True)
class OptConfig:
    name: str
    lr: float | None = None  # None: the optimizer's default (or the tuned one)
    params: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return opt_label(self.name, self.params)


# keys that go straight into every RunSpec (one value for the whole grid)
_RUN_KEYS = ("depth", "width", "init", "norm", "dropout", "batch_size", "epochs", "steps",
             "schedule", "schedule_params", "loss", "device", "diagnostics", "diag_every",
             "val_fraction", "act_params", "data_options")  # fmt: skip
_GRID_KEYS = ("data", "model", "act", "opt", "seeds", "lr", "tune", "tune_points",
              "target_acc", "baseline", "data_dir", "download")  # fmt: skip


@dataclass(frozen=True)
class Grid:
    data: tuple[str, ...] = ("mnist1d",)
    model: tuple[str, ...] = ("mlp",)
    act: tuple[str, ...] = ("relu",)
    opt: tuple[OptConfig, ...] = (OptConfig("adam"),)
    seeds: tuple[int, ...] = (0, 1, 2)
    run: dict = field(default_factory=dict)  # the shared RunSpec fields
    tune: bool = False  # per (activation, optimizer) lr search on the validation split
    tune_points: int = 5
    target_acc: float | None = None  # for epochs_to_target / time_to_target_s
    baseline: str | None = None  # "act/opt" label to compare every config against
    data_dir: str | None = None  # where image datasets live (not part of a run's identity)
    download: bool = True

    def runs(self, lrs: dict[tuple, float] | None = None) -> list[RunSpec]:
        """Every run of the grid; ``lrs`` maps (data, model, act, opt label) → a tuned lr."""
        out = []
        for data in self.data:
            for model in self.model:
                for act in self.act:
                    for opt in self.opt:
                        lr = (lrs or {}).get((data, model, act, opt.label), opt.lr)
                        for seed in self.seeds:
                            out.append(self.spec(data, model, act, opt, lr, seed))
        return out

    def spec(self, data: str, model: str, act: str, opt: OptConfig, lr, seed: int) -> RunSpec:
        return RunSpec(data=data, model=model, act=act, opt=opt.name, lr=lr,
                       opt_params=opt.params, seed=seed, **self.run)  # fmt: skip

    def tuning_runs(self) -> dict[tuple, list[RunSpec]]:
        """Per (data, model, act, opt): the lr grid, one seed (the first), judged on val."""
        from .. import optim

        out = {}
        for data in self.data:
            for model in self.model:
                for act in self.act:
                    for opt in self.opt:
                        centre = opt.lr or optim.spec(opt.name).defaults["lr"]
                        half = (self.tune_points - 1) / 2
                        lrs = [centre * 10 ** ((k - half) / 2) for k in range(self.tune_points)]
                        key = (data, model, act, opt.label)
                        out[key] = [self.spec(data, model, act, opt, lr, self.seeds[0])
                                    for lr in lrs]  # fmt: skip
        return out

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["opt"] = [asdict(o) for o in self.opt]
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)


def _as_tuple(key: str, value: Any, kind: type) -> tuple:
    values = value if isinstance(value, (list, tuple)) else [value]
    for v in values:
        if not isinstance(v, kind) or (isinstance(v, bool) and kind is not bool):
            raise ValueError(f"{key}: expected {kind.__name__} values, got {v!r}")
    if not values:
        raise ValueError(f"{key}: needs at least one value")
    return tuple(values)


def _opt(entry: Any) -> OptConfig:
    if isinstance(entry, str):
        return OptConfig(entry)
    if not isinstance(entry, dict) or "name" not in entry:
        raise ValueError(f"opt: each entry is a name or a table with 'name', got {entry!r}")
    entry = dict(entry)
    name, lr = entry.pop("name"), entry.pop("lr", None)
    return OptConfig(name, None if lr is None else float(lr), entry)


def grid_from_dict(d: dict[str, Any]) -> Grid:
    """A validated grid from a plain dict (a parsed TOML file or CLI flags)."""
    unknown = sorted(set(d) - set(_GRID_KEYS) - set(_RUN_KEYS))
    if unknown:
        allowed = ", ".join(sorted((*_GRID_KEYS, *_RUN_KEYS)))
        raise ValueError(f"unknown bench field(s) {', '.join(unknown)}; allowed: {allowed}")
    kw: dict[str, Any] = {}
    for key in ("data", "model", "act"):
        if key in d:
            kw[key] = _as_tuple(key, d[key], str)
    if "opt" in d:
        entries = d["opt"] if isinstance(d["opt"], list) else [d["opt"]]
        kw["opt"] = tuple(_opt(e) for e in entries)
        if "lr" in d:  # one lr for every optimizer that names none
            kw["opt"] = tuple(o if o.lr is not None else OptConfig(o.name, float(d["lr"]), o.params)
                              for o in kw["opt"])  # fmt: skip
    elif "lr" in d:
        kw["opt"] = (OptConfig("adam", float(d["lr"])),)
    if "seeds" in d:
        s = d["seeds"]
        if isinstance(s, int) and not isinstance(s, bool):
            if s < 1:
                raise ValueError(f"seeds: must be >= 1, got {s}")
            kw["seeds"] = tuple(range(s))
        else:
            kw["seeds"] = _as_tuple("seeds", s, int)
    for key in ("tune", "download"):
        if key in d:
            if not isinstance(d[key], bool):
                raise ValueError(f"{key}: must be true or false, got {d[key]!r}")
            kw[key] = d[key]
    if "tune_points" in d:
        kw["tune_points"] = int(d["tune_points"])
        if kw["tune_points"] < 2:
            raise ValueError("tune_points: must be >= 2")
    if "target_acc" in d:
        t = float(d["target_acc"])
        if not 0 < t <= 1 or math.isnan(t):
            raise ValueError(f"target_acc: must be in (0, 1], got {d['target_acc']!r}")
        kw["target_acc"] = t
    for key in ("baseline", "data_dir"):
        if key in d:
            kw[key] = str(d[key])
    kw["run"] = {k: d[k] for k in _RUN_KEYS if k in d}
    grid = Grid(**kw)
    try:
        grid.runs()  # builds (and so validates) every run before anything trains
    except ValueError as e:
        raise ValueError(f"bench spec: {e}") from None
    labels = {f"{a}/{o.label}" for a in grid.act for o in grid.opt}
    if grid.baseline is not None and grid.baseline not in labels:
        raise ValueError(f"baseline: {grid.baseline!r} is not a config of this grid; choose "
                         f"from {', '.join(sorted(labels))}")  # fmt: skip
    return grid


def load_grid(path: str | Path) -> Grid:
    """A grid from a TOML file (stdlib ``tomllib``: data, never code)."""
    try:
        with open(path, "rb") as f:
            d = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: not valid TOML ({e})") from None
    except OSError as e:
        raise ValueError(f"{path}: {e.strerror}") from None
    return grid_from_dict(d)


# the main job: MNIST-1D (no download), an MLP, seven activations, Adam, 3 seeds
DEFAULT_GRID = dict(
    data=["mnist1d"], model=["mlp"],
    act=["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "swish"],
    # MNIST-1D's published lr: at Adam's default 1e-3 the MLP is still at 55-61% after 50 epochs
    opt=[{"name": "adam", "lr": 1e-2}],
    seeds=3, epochs=15, batch_size=128, width=256, depth=2, diagnostics=True,
    target_acc=0.5, baseline="relu/adam",
)  # fmt: skip

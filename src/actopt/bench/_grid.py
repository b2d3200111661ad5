"""A bench grid: datasets × models × activations × optimizers × seeds, from TOML, flags or Python.

``grid_with_overrides(base, **flags)`` is the one way in: ``base`` is a TOML file's table (or a
dict), ``flags`` the command line's values (None: not given). Every key is checked (an unknown
one is named with the allowed ones) and the grid is expanded once, into canonical ``RunSpec``\\ s
validated before anything trains, so a typo fails in milliseconds.

One set of defaults, for flags, files and Python alike (``DEFAULT_GRID``, the main job): each key
nobody gave takes its value there, and a run field given nowhere takes ``RunSpec``'s. The
baseline, unless given, is relu with the first optimizer entry when relu is in the grid, else
the first configuration; it is named as the leaderboard labels it (``relu/adam [lr=0.01]`` where
the grid holds adam at two lrs), and ``relu/adam`` is refused there as ambiguous.

One meaning of ``lr``: an ``[[opt]]`` entry's ``lr`` is that optimizer's; a top-level ``lr``
(the TOML key, or ``--lr``) is one lr for every optimizer of the grid, replacing the entries'
own; with neither, an optimizer runs at its default. A file giving both is refused, and a flag
replaces the file's top-level key of the same name, as every flag does.

```toml
data = ["mnist1d"]
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
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._numbers import parse_plain, shown, split_outside_brackets

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, as a package, before Python 3.11
    import tomli as tomllib

if TYPE_CHECKING:
    from ..train import RunSpec

__all__ = [
    "DEFAULT_GRID",
    "Grid",
    "grid_from_dict",
    "grid_with_overrides",
    "load_grid",
    "parse_opt_label",
    "read_grid",
]

# the main job, and the defaults of every grid: MNIST-1D (no download), a 2×256 MLP, seven
# activations, Adam, 3 seeds, 15 epochs, diagnostics on
DEFAULT_GRID: dict[str, Any] = dict(
    data=["mnist1d"], model=["mlp"],
    act=["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "swish"],
    # MNIST-1D's published lr: at Adam's default 1e-3 the MLP is still at 55-61% after 50 epochs
    opt=[{"name": "adam", "lr": 1e-2}],
    seeds=3, epochs=15, batch_size=128, width=256, depth=2, diagnostics=True,
    target_acc=0.5,  # for epochs_to_target / time_to_target_s
    tune=False, tune_points=5, download=True,
)  # fmt: skip

# keys that go straight into every RunSpec (one value for the whole grid)
_RUN_KEYS = ("depth", "width", "init", "norm", "dropout", "batch_size", "epochs", "steps",
             "schedule", "schedule_params", "loss", "device", "diagnostics", "diag_every",
             "val_fraction", "act_params", "data_options")  # fmt: skip
_GRID_KEYS = ("data", "model", "act", "opt", "seeds", "lr", "tune", "tune_points",
              "target_acc", "baseline", "data_dir", "download")  # fmt: skip


@dataclass(frozen=True)
class Grid:
    """A grid expanded once: canonical configs, and every run (configs × seeds)."""

    configs: tuple[RunSpec, ...]  # one per (data, model, act, opt), at the first seed
    seeds: tuple[int, ...]
    runs: tuple[RunSpec, ...]  # configs × seeds
    tune: bool = False  # per config, an lr search on the validation split first
    tune_points: int = 5
    target_acc: float | None = None  # for epochs_to_target / time_to_target_s
    baseline: str | None = None  # the config label every config is compared against
    data_dir: str | None = None  # where image datasets live (not part of a run's identity)
    download: bool = True
    asked: dict = field(default_factory=dict)  # the grid as given, defaults filled in
    notes: tuple[str, ...] = ()  # what a model does not use of what was asked (one per model)

    @property
    def datasets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.data for c in self.configs))

    @staticmethod
    def key(spec: RunSpec) -> str:
        """``data/model/act/opt``: one config, whatever its seed and lr."""
        return f"{spec.data}/{spec.model}/{spec.label}"

    def trial(self, config: RunSpec, k: int) -> RunSpec:
        """Tuning point ``k`` of ``config``: its lr × 10^((k − (tune_points − 1)/2) / 2), so
        points 0 … tune_points − 1 are centred on its lr, half a decade apart, and a point
        below 0 or past the last widens the search by half a decade."""
        half = (self.tune_points - 1) / 2
        return config.replace(lr=config.lr * 10 ** ((k - half) / 2))

    def tuning_runs(self) -> dict[str, list[RunSpec]]:
        """Per config: ``tune_points`` lrs half a decade apart around its lr, at its seed."""
        return {
            self.key(c): [self.trial(c, k) for k in range(self.tune_points)] for c in self.configs
        }

    def final_runs(self, chosen: dict[str, RunSpec]) -> list[RunSpec]:
        """Every run, each config at its chosen (tuned) spec where it has one."""
        out = []
        for config in self.configs:
            base = chosen.get(self.key(config), config)
            out += [base.replace(seed=s) for s in self.seeds]
        return out

    def to_dict(self) -> dict[str, Any]:
        return dict(self.asked)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)


def read_grid(path: str | Path) -> dict[str, Any]:
    """A TOML file's table (``tomllib``: data, never code); ``ValueError`` names the file."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{path}: not valid TOML ({e})") from None
    except OSError as e:
        raise ValueError(f"{path}: {e.strerror}") from None


def load_grid(path: str | Path, **flags: Any) -> Grid:
    """The grid of a TOML file (and flags on top)."""
    return grid_with_overrides(read_grid(path), **flags)


def grid_from_dict(d: dict[str, Any]) -> Grid:
    """The grid of a plain dict (a parsed TOML file): ``grid_with_overrides(d)``."""
    return grid_with_overrides(d)


def grid_with_overrides(base: dict[str, Any], **flags: Any) -> Grid:
    """The grid of ``base`` (a TOML table or dict) with ``flags`` on top, defaults filled in.

    ``flags`` take the top-level keys (``data``, ``act``, ``opt`` as lists of names, ``seeds``,
    ``epochs``, ``lr``, …); a None flag was not given.

    >>> g = grid_with_overrides({"act": ["relu", "silu"]}, opt=["heavy_ball"], seeds=2)
    >>> [c.label for c in g.configs], g.baseline, len(g.runs)      # doctest: +SKIP
    (['relu/momentum', 'swish/momentum'], 'relu/momentum', 4)

    Every ``ValueError`` reads ``bench spec: …``, naming the key at fault.
    """
    try:
        return _expand(base, flags)
    except ValueError as e:
        text = str(e)
        prefix = "" if text.startswith("bench spec: ") else "bench spec: "
        raise ValueError(prefix + text) from None


def _expand(base: dict[str, Any], flags: dict[str, Any]) -> Grid:
    keys = (*_GRID_KEYS, *_RUN_KEYS)
    for source, d in (("bench field", base), ("flag", flags)):
        unknown = sorted(set(d) - set(keys))
        if unknown:
            raise ValueError(
                f"unknown {source}(s) {', '.join(unknown)}; allowed: {', '.join(sorted(keys))}"
            )
    given = {**base, **{k: v for k, v in flags.items() if v is not None}}
    own_lr = [
        e.get("name") for e in _entries(base.get("opt", [])) if isinstance(e, dict) and "lr" in e
    ]
    if base.get("lr") is not None and own_lr:
        raise ValueError(f"lr: given at the top level (one lr for every optimizer) and for "
                         f"{', '.join(map(str, own_lr))} in [[opt]]: keep one")  # fmt: skip
    d = {**DEFAULT_GRID, **given}
    seeds = _seeds(d["seeds"])
    configs, spelt = _configs(d)
    by_seed = [c.replace(seed=s) for c in configs for s in seeds]
    target = d.get("target_acc")
    if target is not None and (_not_number(target) or not 0 < target <= 1):
        raise ValueError(f"target_acc: must be in (0, 1], got {target!r}")
    tune_points = d["tune_points"]
    if _not_number(tune_points) or tune_points != int(tune_points) or tune_points < 2:
        raise ValueError(f"tune_points: must be an integer >= 2, got {tune_points!r}")
    for key in ("tune", "download"):
        if not isinstance(d[key], bool):
            raise ValueError(f"{key}: must be true or false, got {d[key]!r}")
    flat = sorted({c.opt for c in configs if c.lr == 0})
    if d["tune"] and flat:  # lr × 10^(k/2) stays 0: five runs of one lr, no search
        raise ValueError(f"tune: the lr search multiplies each lr by powers of √10, so it has "
                         f"nothing to search at lr 0 ({', '.join(flat)}): give a positive lr "
                         "or leave tuning off")  # fmt: skip
    if d["tune"]:
        _one_lr_per_config(configs)
    baseline = _baseline(d.get("baseline"), configs, spelt)
    notes = _unused(d, given, configs)
    asked = {**d, "seeds": list(seeds), "baseline": baseline}
    return Grid(
        configs=configs, seeds=seeds, runs=tuple(by_seed), tune=d["tune"],
        tune_points=int(tune_points), target_acc=None if target is None else float(target),
        baseline=baseline, data_dir=None if d.get("data_dir") is None else str(d["data_dir"]),
        download=d["download"], asked=json.loads(json.dumps(asked, default=str)),
        notes=notes,
    )  # fmt: skip


# -- the pieces ------------------------------------------------------------------------------


def _one_lr_per_config(configs: tuple[RunSpec, ...]) -> None:
    """With tuning, an optimizer listed at two lrs is one config: the lr is what the search
    chooses (both would tune to one lr and train the same runs twice)."""
    seen: dict[str, RunSpec] = {}
    for c in configs:
        first = seen.setdefault(Grid.key(c), c)
        if first.lr != c.lr:
            raise ValueError(
                f"tune: {c.label} is listed at lr {first.lr:g} and {c.lr:g}, but the lr search "
                "chooses one lr per config: give one (the search widens past its edges)"
            )


def _not_number(v: Any) -> bool:
    return isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v)


def _names(key: str, value: Any) -> list[str]:
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise ValueError(f"{key}: needs at least one value")
    for v in values:
        if not isinstance(v, str):
            raise ValueError(f"{key}: expected names, got {v!r}")
    return list(values)


def _entries(opt: Any) -> list[Any]:
    return opt if isinstance(opt, (list, tuple)) else [opt]


def _seeds(value: Any) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ValueError(f"seeds: must be >= 1, got {value}")
        return tuple(range(value))
    seeds = _entries(value)
    if not seeds or any(isinstance(s, bool) or not isinstance(s, int) for s in seeds):
        raise ValueError(f"seeds: a count or a list of integers, got {value!r}")
    return tuple(dict.fromkeys(seeds))


def _optimizers(d: dict[str, Any]) -> list[dict[str, Any]]:
    """Each ``[[opt]]`` entry as RunSpec fields, with the one lr rule applied."""
    out, every = [], d.get("lr")  # a top-level lr: every optimizer's
    for entry in _entries(d["opt"]):
        if isinstance(entry, str):
            entry = parse_opt_label(entry)
        if not isinstance(entry, dict) or "name" not in entry:
            raise ValueError(f"opt: each entry is a name or a table with 'name', got {entry!r}")
        params = dict(entry)
        name, lr = params.pop("name"), params.pop("lr", None)
        out.append({"opt": name, "lr": lr if every is None else every, "opt_params": params})
    return out


def parse_opt_label(text: str) -> dict[str, Any]:
    """``momentum`` or a label as reports print it, ``momentum(momentum=0.95,nesterov=True)``,
    as an ``[[opt]]`` table (values parsed as booleans, numbers or names, never evaluated)."""
    name, paren, rest = text.strip().partition("(")
    if not paren:
        return {"name": name}
    if not rest.endswith(")"):
        raise ValueError(f"opt: {text!r} is not name or name(key=value,...)")
    entry: dict[str, Any] = {"name": name.strip()}
    for pair in filter(None, split_outside_brackets(rest[:-1])):
        key, eq, value = pair.partition("=")
        if not eq or not key.strip():
            raise ValueError(
                f"opt: expected key=value in {text!r}, got {pair!r} (a pair in brackets: "
                "adam(betas=[0.8, 0.99]))"
            )
        entry[key.strip()] = parse_plain(value.strip())
    return entry


def _configs(d: dict[str, Any]) -> tuple[tuple[RunSpec, ...], dict[str, str]]:
    """Every (data, model, act, opt) as a canonical spec, and each config's label as the grid
    spells it (``silu/adam``) → its canonical label (``swish/adam``). The grid-wide fields and
    each optimizer entry are validated once, then only what each config changes."""
    from ..train import RunSpec

    datas, models, acts = (_names(k, d[k]) for k in ("data", "model", "act"))
    opts = _optimizers(d)
    try:
        # first an MLP, which reads every field: built as a linear model (or a cnn), it would
        # leave out the width, depth, activation parameters… of the models after it
        first = RunSpec(**{k: d[k] for k in _RUN_KEYS if k in d}, data=datas[0], model="mlp",
                        act=acts[0], **opts[0])  # fmt: skip
        by_opt = [first] + [first.replace(**o) for o in opts[1:]]
        configs, spelt = {}, {}
        for data in datas:
            for model in models:
                for act in acts:
                    for fields, o in zip(opts, by_opt, strict=True):
                        c = o.replace(data=data, model=model, act=act)
                        configs.setdefault(c.run_id, c)  # silu and swish: one config
                        spelt.setdefault(f"{act}/{_opt_spelling(fields)}", c.label)
    except ValueError as e:
        raise ValueError(f"bench spec: {e}") from None
    return tuple(configs.values()), spelt


def _unused(
    d: dict[str, Any], given: dict[str, Any], configs: tuple[RunSpec, ...]
) -> tuple[str, ...]:
    """What each model of the grid does not use of what was asked, one line per model: the
    activations, where it has none (linear: every one trains as identity), and each run field
    given (in the file or a flag) that its builder never reads (a linear model's width, a
    cnn's depth), which RunSpec leaves out."""
    from .. import activations

    acts = _names("act", d["act"])
    canonical = {a: activations.spec(a, **d.get("act_params", {})).name for a in acts}
    asked = {k: d[k] for k in _RUN_KEYS if k in given}
    axes = {"dataset": {c.data for c in configs}, "optimizer": {c.opt_label for c in configs}}
    per = " and ".join(filter(None, (", ".join(w for w, n in axes.items() if len(n) > 1), "seed")))
    notes = []
    for model in dict.fromkeys(c.model for c in configs):
        mine = [c for c in configs if c.model == model]
        used = sorted({c.act for c in mine})
        said = []
        if dropped := [a for a in acts if canonical[a] not in used]:
            said.append(f"has no activation: {', '.join(dropped)} "
                        f"{'is' if len(dropped) == 1 else 'are'} not used; one "
                        f"{', '.join(used)} run per {per}")  # fmt: skip
        said += [f"ignores {text}" for text in _ignored(mine, acts[0], asked)]
        if said:
            notes.append(f"model {model} " + "; it ".join(said))
    return tuple(notes)


def _ignored(mine: list[RunSpec], act: str, asked: dict[str, Any]) -> list[str]:
    """The ``asked`` run fields that one model's configs leave out, by the datasets where
    they do (``depth 3``; ``width 64 on mnist1d``): each config against an MLP, which reads
    every field."""
    on: dict[str, list[str]] = {}  # field → the datasets where the model leaves it out
    for c in {c.data: c for c in mine}.values():  # one probe per dataset
        probe = c.replace(model="mlp", act=act, **asked)
        for k in asked:
            if getattr(c, k) != getattr(probe, k):
                on.setdefault(k, []).append(c.data)
    datas = {c.data for c in mine}
    by_datas: dict[tuple[str, ...], list[str]] = {}
    for k, where in on.items():
        by_datas.setdefault(tuple(where), []).append(f"{k} {shown(asked[k])}")
    return [", ".join(fields) + ("" if len(where) == len(datas) else f" on {', '.join(where)}")
            for where, fields in by_datas.items()]  # fmt: skip


def _opt_spelling(fields: dict[str, Any]) -> str:
    extra = ",".join(f"{k}={v}" for k, v in sorted(fields["opt_params"].items()))
    return fields["opt"] + (f"({extra})" if extra else "")


def _baseline(given: Any, configs: tuple[RunSpec, ...], spelt: dict[str, str]) -> str:
    """The baseline as the leaderboard labels it (``relu/adam [lr=0.01]`` where the grid holds
    relu/adam at two lrs): given by that label, or by a config's label or the grid's spelling
    of it where that names one config; by default relu with the first optimizer entry."""
    from ._stats import spec_labels

    shown_as = dict(zip(configs, spec_labels(configs), strict=True))
    labels = list(dict.fromkeys(shown_as.values()))
    if given is None:
        first = next((c for c in configs if c.label.startswith("relu/")), configs[0])
        return shown_as[first]
    if str(given) in labels:
        return str(given)
    stem = spelt.get(str(given), str(given))
    meant = list(dict.fromkeys(shown_as[c] for c in configs if c.label == stem))
    if len(meant) > 1:
        raise ValueError(f"baseline: {given!r} could mean {', '.join(meant)}: name one "
                         "as the leaderboard prints it")  # fmt: skip
    if not meant:
        raise ValueError(f"baseline: {given!r} is not a config of this grid; choose from "
                         f"{', '.join(labels)}")  # fmt: skip
    return meant[0]

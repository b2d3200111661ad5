"""The training loop: determinism, batch modes, budgets, divergence, errors, JSON, schedules."""

from __future__ import annotations

import json
import math

import pytest
import torch

import actopt.activations as A
import actopt.data as D
import actopt.optim as O
from actopt.train import RunResult, RunSpec, fit, run

TOY = dict(data="moons", data_options={"n": 400}, width=16, epochs=3)


def metrics(r: RunResult) -> tuple:
    drop = ("elapsed_s",)
    history = [{k: v for k, v in row.items() if k not in drop} for row in r.history]
    final = {k: v for k, v in r.final.items() if k not in ("wall_s", "samples_per_s")}
    return history, final


def test_same_spec_same_bits_other_seed_other_bits():
    spec = RunSpec(**TOY, diagnostics=True)
    a, b = run(spec), run(spec)
    assert a.status == "ok" and metrics(a) == metrics(b)
    assert a.diagnostics == b.diagnostics
    c = run(spec.replace(seed=1))
    assert metrics(c) != metrics(a)


def test_the_callers_rng_is_untouched():
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    run(RunSpec(**TOY, dropout=0.2))
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("batch, steps_per_epoch", [("full", 1), (1, 360), (64, 6)])
def test_batch_size_modes(batch, steps_per_epoch):
    r = run(RunSpec(**{**TOY, "epochs": 2}, batch_size=batch, opt="sgd", lr=0.05))
    assert [row["step"] for row in r.history] == [steps_per_epoch, 2 * steps_per_epoch]


def test_step_budget_overrides_epochs():
    r = run(RunSpec(**TOY, steps=8, batch_size=64))  # 6 steps per epoch
    assert [row["step"] for row in r.history] == [6, 8] and r.final["steps"] == 8


def test_a_diverging_run_stops_and_says_where():
    r = run(RunSpec(**TOY, opt="sgd", lr=1e12, act="elu"))
    assert r.status == "diverged" and r.diverged_step is not None and r.diverged_step <= 20
    restored = RunResult.from_json(r.to_json())
    assert restored.status == "diverged"
    assert not math.isfinite(float(restored.final["diverged_loss"]))  # stored as "nan"/"inf"


def test_a_broken_run_is_an_error_result_not_an_exception():
    ds = D.load("moons", n=100)
    broken = D.Dataset(
        "moons", ds.x_train, ds.y_train + 5, ds.x_val, ds.y_val, ds.x_test, ds.y_test, 2
    )  # fmt: skip  (labels out of range)
    r = run(RunSpec(**TOY), dataset=broken)
    assert r.status == "error" and "IndexError" in r.error


def test_result_round_trips_through_json():
    r = run(RunSpec(**TOY, diagnostics=True, opt="adagrad"))
    text = r.to_json()
    back = RunResult.from_json(text)
    assert back.to_dict() == json.loads(text) and back.spec == r.spec
    assert back.run_id == r.spec.run_id and back.diagnostics[-1]["effective_lr"]["q50"] > 0


def test_nonlinear_problems_need_a_nonlinearity():
    """XOR: logistic regression and a deep linear MLP are stuck near chance; tanh solves it."""
    base = dict(data="xor", data_options={"n": 800}, opt="adam", lr=0.02, epochs=30, width=16)
    acc = {
        name: run(RunSpec(**base, **kw)).final["test_acc"]
        for name, kw in {
            "linear": dict(model="linear"),
            "deep_linear": dict(model="mlp", depth=3, act="identity"),
            "tanh": dict(model="mlp", depth=2, act="tanh"),
        }.items()
    }
    assert acc["linear"] < 0.7 and acc["deep_linear"] < 0.7 and acc["tanh"] > 0.95, acc


def test_mse_loss_learns_too():
    r = run(RunSpec(**{**TOY, "epochs": 20}, loss="mse", act="tanh", opt="adam", lr=0.01))
    assert r.final["test_acc"] > 0.8


def test_bce_loss_is_one_sigmoid_per_class():
    """``loss="bce"``: binary cross-entropy of each output's sigmoid against the one-hot target."""
    spec = RunSpec(**{**TOY, "epochs": 20}, loss="bce", act="tanh", opt="adam", lr=0.01)
    fitted = fit(spec)
    assert fitted.result.final["test_acc"] > 0.8
    ds, model = fitted.dataset, fitted.model.eval()
    with torch.no_grad():
        out = model(ds.x_test)
    target = torch.nn.functional.one_hot(ds.y_test, 2).float()
    by_hand = -(target * out.sigmoid().log() + (1 - target) * (1 - out.sigmoid()).log()).mean()
    assert fitted.result.final["test_loss"] == pytest.approx(float(by_hand), rel=1e-5)


def test_fit_is_run_with_the_model_kept():
    spec = RunSpec(**TOY)
    fitted, plain = fit(spec), run(spec)
    assert metrics(fitted.result) == metrics(plain)
    assert isinstance(fitted.model, torch.nn.Module) and fitted.optimizer.state
    with torch.no_grad():  # the kept model is the trained one: it gives the stored test accuracy
        right = fitted.model.eval()(fitted.dataset.x_test).argmax(1) == fitted.dataset.y_test
    assert float(right.float().mean()) == pytest.approx(plain.final["test_acc"])


def test_prepare_changes_the_initialisation_before_the_optimizer_is_built():
    seen = {}

    def prepare(model):
        seen["grad_enabled"] = torch.is_grad_enabled()
        for m in model.modules():
            if isinstance(m, torch.nn.Linear):
                m.bias.fill_(-5.0)

    fitted = fit(RunSpec(**{**TOY, "epochs": 1}, diagnostics=True), prepare=prepare)
    assert seen == {"grad_enabled": False}
    plain = run(RunSpec(**{**TOY, "epochs": 1}, diagnostics=True))
    assert fitted.result.final["dead_fraction"] > plain.final["dead_fraction"]
    broken = fit(RunSpec(**TOY), prepare=lambda model: 1 / 0)
    assert broken.result.status == "error" and "ZeroDivisionError" in broken.result.error


HALVING = [0.05, 0.025, 0.0125]


@pytest.mark.parametrize("schedule, params, check", [
    ("cosine", {}, lambda lrs: lrs[-1] < 1e-6),
    ("step", {"step_size": 1, "gamma": 0.5}, lambda lrs: lrs == pytest.approx(HALVING)),
    ("exponential", {"gamma": 0.5}, lambda lrs: lrs == pytest.approx(HALVING)),
    ("onecycle", {}, lambda lrs: lrs[-1] < lrs[0]),
])  # fmt: skip
def test_schedules(schedule, params, check):
    r = run(RunSpec(**TOY, opt="sgd", lr=0.1, schedule=schedule, schedule_params=params))
    lrs = [row["lr"] for row in r.history]
    assert check(lrs), lrs


def test_evaluation_uses_each_split():
    r = run(RunSpec(**TOY))
    row = r.history[-1]
    for split in ("train", "val", "test"):
        assert 0 <= row[f"{split}_acc"] <= 1 and row[f"{split}_loss"] > 0
    assert r.final["gen_gap"] == pytest.approx(r.final["train_acc"] - r.final["test_acc"])
    assert r.final["samples_per_s"] > 0 and r.timing["train_s"] > 0


# -- RunSpec ---------------------------------------------------------------------------------


def test_run_id_is_a_stable_content_hash():
    a = RunSpec(data="moons", opt_params={"momentum": 0.9, "dampening": 0.0}, opt="sgd")
    b = RunSpec(data="moons", opt_params={"dampening": 0.0, "momentum": 0.9}, opt="sgd")
    assert a.run_id == b.run_id and a == b and hash(a) == hash(b) and len(a.run_id) == 16
    assert a.replace(seed=1).run_id != a.run_id
    assert RunSpec.from_dict(json.loads(a.canonical_json())) == a


@pytest.mark.parametrize("field, value, message", [
    ("data", "cifar", "data must be one of"),
    ("model", "resnet", "model must be one of"),
    ("depth", 0, "depth must be an integer >= 1"),
    ("epochs", 1.5, "epochs must be an integer"),
    ("batch_size", 0, "batch_size"),
    ("batch_size", "half", "batch_size must be an integer >= 1 or .full., got .half."),
    ("act", "relux", "did you mean relu"),
    ("opt", "adamm", "did you mean adam"),
    ("lr", -1.0, "lr must be >= 0"),
    ("opt_params", {"betas": (0.9, 1.5)}, r"betas\[1\]"),
    ("opt_params", {"colour": 1}, "unknown hyper-parameter.*for adam: colour"),
    ("data_options", {"colour": 1}, "data_options for mnist1d: unknown colour"),
    ("diagnostics", "yes", "diagnostics must be true or false"),
    ("norm", "group", "norm must be one of none, batch, layer"),
    ("act_params", {"alpha": -1.0}, "alpha"),
    ("schedule", "warm", "schedule must be one of"),
    ("device", "tpu", "device must be"),
    ("loss", "hinge", "loss must be one of"),
])  # fmt: skip
def test_bad_specs_name_the_field(field, value, message):
    with pytest.raises(ValueError, match=message):
        RunSpec(**{field: value, **({"act": "elu"} if field == "act_params" else {})})


def test_unknown_fields_are_refused():
    with pytest.raises(ValueError, match=r"unknown run field.*colour"):
        RunSpec.from_dict({"colour": "red"})


# -- the canonical spec ---------------------------------------------------------------------


@pytest.mark.parametrize("alias", A.names(aliases=True))
def test_activation_names_are_canonical_before_hashing(alias):
    spec = RunSpec(act=alias)
    assert spec.act == A.resolve(alias)
    assert spec.run_id == RunSpec(act=A.resolve(alias)).run_id


@pytest.mark.parametrize("alias", O.names(aliases=True))
def test_optimizer_names_and_defaults_are_canonical_before_hashing(alias):
    """An alias, lr=None and the explicit default lr are one run; opt_params hold every
    default, as plain data."""
    s = O.spec(alias)
    spec = RunSpec(opt=alias)
    defaults = json.loads(json.dumps({k: v for k, v in s.defaults.items() if k != "lr"}))
    assert (spec.opt, spec.lr, spec.opt_params) == (s.name, s.defaults["lr"], defaults)
    assert spec.run_id == RunSpec(opt=s.name, lr=s.defaults["lr"], opt_params=defaults).run_id
    assert spec.opt_label == s.name and spec.label == f"relu/{s.name}"
    assert RunSpec.from_canonical(json.loads(spec.canonical_json())) == spec


def test_options_the_model_ignores_are_canonical_so_one_network_is_one_run():
    """A linear model has no hidden layer (no activation, depth, width, norm, dropout); the cnn
    has a fixed depth, and on 1-D signals no hidden width: specs differing only there were
    separate runs of one network (bench --model linear --act relu,tanh: 'two configs')."""
    linear = RunSpec(model="linear")
    assert linear.act == "identity" and linear.act_label == "identity"
    odd = RunSpec(model="linear", act="tanh", depth=3, width=7, norm="batch", dropout=0.5)
    assert odd.run_id == linear.run_id
    assert RunSpec(model="cnn", depth=5, width=7).run_id == RunSpec(model="cnn").run_id
    images = RunSpec(model="cnn", data="mnist", depth=5, width=7)
    assert images.width == 7 and images.run_id == RunSpec(model="cnn", data="mnist", width=7).run_id
    assert RunSpec(model="mlp", depth=3, act="tanh").replace(model="linear") == linear
    with pytest.raises(
        ValueError, match=r"model: cnn needs images.*moons has inputs of shape \(2,\)"
    ):
        RunSpec(model="cnn", data="moons")


def test_values_are_typed_and_formulas_keep_their_text():
    a = RunSpec(opt="sgd", lr=1, opt_params={"momentum": 0.5}, act="x *  tanh( x )")
    b = RunSpec(opt="sgd", lr=1.0, opt_params={"momentum": 0.5, "nesterov": False},
                act="x * tanh( x )")  # fmt: skip
    assert a.run_id == b.run_id and a.lr == 1.0 and isinstance(a.lr, float)
    assert a.act == "x * tanh( x )" and a.label == "x * tanh( x )/sgd(momentum=0.5)"
    elu = RunSpec(act="elu", act_params={"alpha": 1})
    assert elu.act_params == {"alpha": 1.0} and elu.run_id == RunSpec(act="elu").replace(
        act_params={"alpha": 1.0}).run_id  # fmt: skip


def test_a_spec_is_validated_without_building_an_optimizer(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("an optimizer was built to validate a spec")

    monkeypatch.setattr(torch.optim.Optimizer, "__init__", refuse)
    assert RunSpec(opt="nag", lr=0.1).opt_params["momentum"] == 0.9
    with pytest.raises(ValueError, match="nesterov needs momentum > 0"):
        RunSpec(opt="nag", opt_params={"momentum": 0.0})


def test_replace_validates_what_changes_and_trusts_the_rest(monkeypatch):
    spec = RunSpec(act="x*tanh(softplus(x))", opt="momentum", lr=0.05)
    calls = []
    real = A.spec
    monkeypatch.setattr(A, "spec", lambda *a, **k: calls.append(a) or real(*a, **k))
    assert spec.replace(seed=3).seed == 3 and calls == []  # the formula is not parsed again
    with pytest.raises(ValueError, match="seed must be an integer >= 0"):
        spec.replace(seed=-1)
    assert spec.replace(act="relu").act == "relu" and len(calls) == 1
    sgd = spec.replace(opt="sgd")  # momentum's lr and hyper-parameters do not follow
    assert (sgd.lr, sgd.opt_params["momentum"]) == (1e-3, 0.0)
    with pytest.raises(ValueError, match="unknown run field"):
        spec.replace(colour="red")


def test_the_loop_builds_its_optimizer_through_the_spec(monkeypatch):
    """OptimizerSpec.make is the one place an optimizer is built from a name."""
    built = []
    real = O.OptimizerSpec.make
    monkeypatch.setattr(O.OptimizerSpec, "make", lambda s, ps, **h: built.append((s.name, h))
                        or real(s, ps, **h))  # fmt: skip
    spec = RunSpec(**{**TOY, "epochs": 1}, opt="heavy_ball", lr=0.05)
    assert run(spec).status == "ok"
    assert built == [("momentum", {"lr": 0.05, **spec.opt_params})]

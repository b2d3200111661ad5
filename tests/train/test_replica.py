"""The replica engine against solo runs: each replica is its solo run, computed K at a time.

The references are independent of the engine: ``run(spec)`` itself, and a solo run's first steps
written out here from the public pieces ``run`` uses (``build_model``, ``make_optimizer``,
``Dataset.batches``). Exact where the engine must be exact (initial weights, data order,
dropout masks); to float32 rounding after one step (a batched matmul sums in another order than
one matmul: about 1e-7 relative per operation); to 1e-9 after several steps in float64, where
rounding cannot hide a wrong rule (in float32 an adaptive optimizer divides a near-zero gradient
by its own root, which turns rounding into visible steps after the first); and within
``ACC_TOLERANCE`` after a short training.

Why 0.02: trajectories that start from the same point but round differently at 1e-7 drift
apart; over a few epochs the measured test-accuracy gaps between a replica and its solo run were
0 to 0.001 (MNIST-1D MLP and CNN, 1000 test examples), while two seeds of one configuration
differ by 0.02-0.05. A gap over 0.02 is a bug (another batch, rule or init), not rounding.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import actopt.activations as A
import actopt.data as D
import actopt.optim as O
from actopt.train import (
    RunResult,
    RunSpec,
    group_key,
    plan_groups,
    replica_memory,
    run,
    run_group,
    run_many,
)
from actopt.train._loop import build_model, make_optimizer
from actopt.train._replica import _Group
from actopt.train._replica_layers import ROWS, ReplicaActivation

ACC_TOLERANCE = 0.02
LR = {"sgd": 0.05, "momentum": 0.02, "nag": 0.02, "adadelta": 1.0, "lion": 3e-4}
BASE = dict(data="mnist1d", width=32, epochs=2, batch_size=100)


@pytest.fixture(scope="module")
def mnist1d() -> D.Dataset:
    return D.load("mnist1d")


@pytest.fixture(scope="module")
def mnist_small(shared_data) -> D.Dataset:
    """Real MNIST, cut to 1000 / 200 / 500 examples so a LeNet group trains in seconds."""
    ds = D.load("mnist", data_dir=str(shared_data), download=False, quiet=True)
    return D.Dataset("mnist", ds.x_train[:1000], ds.y_train[:1000], ds.x_val[:200],
                     ds.y_val[:200], ds.x_test[:500], ds.y_test[:500], 10)  # fmt: skip


@pytest.fixture
def float64(mnist1d):
    """MNIST-1D in float64, and networks built in float64, for this test."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield as_float64(mnist1d)
    torch.set_default_dtype(before)


def as_float64(ds: D.Dataset) -> D.Dataset:
    d = lambda t: t.double()  # noqa: E731
    return D.Dataset(ds.name, d(ds.x_train), ds.y_train, d(ds.x_val), ds.y_val, d(ds.x_test),
                     ds.y_test, ds.num_classes)  # fmt: skip


def group_of(specs: list[RunSpec], ds: D.Dataset) -> _Group:
    results = [RunResult(s) for s in specs]
    return _Group(specs, results, ds, torch.device("cpu"), fused=True)


def solo_after(spec: RunSpec, ds: D.Dataset, steps: int) -> torch.nn.Module:
    """``spec``'s solo network after its first ``steps`` steps, as ``run`` takes them."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        model = build_model(spec, ds.input_shape, ds.num_classes)
        opt = make_optimizer(spec, model.parameters())
        shuffle = torch.Generator().manual_seed(spec.seed)
        model.train()
        for i, (xb, yb) in enumerate(ds.batches(int(spec.batch_size), shuffle)):
            if i == steps:
                break
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
    return model


def assert_states_close(group: _Group, solos: list[torch.nn.Module], rtol, atol) -> None:
    for k, solo in enumerate(solos):
        ours = group.model.solo_state_dict(k)
        for name, value in solo.state_dict().items():
            torch.testing.assert_close(ours[name], value, rtol=rtol, atol=atol, msg=name)


def assert_like_solo_after(specs: list[RunSpec], ds: D.Dataset, rtol, atol) -> None:
    """Train a group for ``spec.steps`` steps; each replica is then its solo network."""
    group = group_of(specs, ds)
    group.train(None)
    assert_states_close(group, [solo_after(s, ds, s.steps) for s in specs], rtol, atol)


def lrs(name: str) -> tuple[float, float, float]:
    base = LR.get(name, 1e-3)
    return base, 3 * base, base / 3


# -- exact: initial weights, data order ------------------------------------------------------


@pytest.mark.parametrize("model", ["linear", "mlp", "cnn"])
def test_initial_weights_and_data_order_are_the_solo_runs(mnist1d, model):
    specs = [RunSpec(**BASE, model=model, seed=s, act=a)
             for s, a in ((3, "relu"), (0, "tanh"), (7, "relu"))]  # fmt: skip
    group = group_of(specs, mnist1d)
    assert_states_close(group, [solo_after(s, mnist1d, 0) for s in specs], rtol=0, atol=0)
    x = mnist1d.x_train
    solo_batches = [
        list(mnist1d.batches(100, torch.Generator().manual_seed(s.seed))) for s in specs
    ]
    for epoch in range(2):
        order = group.orders()
        first = group.model.gather(x, order[:, :100])
        for k, s in enumerate(specs):
            xb, yb = solo_batches[k][0] if epoch == 0 else (None, None)
            if epoch == 0:
                layout = group.model.input_layout  # rows [K, B, F] or signal [K, B, L, C]
                mine = first[k].transpose(1, 2) if layout == "signal" else first[k]
                assert torch.equal(mine.reshape(xb.shape), xb)
                assert torch.equal(mnist1d.y_train[order[k, :100]], yb)
            g = torch.Generator().manual_seed(s.seed)
            expected = [torch.randperm(len(x), generator=g) for _ in range(epoch + 1)][-1]
            assert torch.equal(order[k], expected)


# -- per optimizer: one step, a short training ------------------------------------------------


def three(name: str, steps: int) -> list[RunSpec]:
    """Three replicas with their own seed, lr and activation."""
    acts = ("relu", "tanh", "relu")
    return [RunSpec(**BASE, opt=name, lr=lr, seed=s, act=a, steps=steps)
            for lr, s, a in zip(lrs(name), (0, 1, 2), acts, strict=True)]  # fmt: skip


@pytest.mark.parametrize("name", O.names())
def test_init_order_and_one_step_equal_each_solo_runs(mnist1d, name):
    specs = three(name, 1)
    group = group_of(specs, mnist1d)
    assert_states_close(group, [solo_after(s, mnist1d, 0) for s in specs], rtol=0, atol=0)
    first = group.orders()[:, :100]  # the first batch of every replica
    for k, s in enumerate(specs):
        xb, yb = next(iter(mnist1d.batches(100, torch.Generator().manual_seed(s.seed))))
        assert torch.equal(mnist1d.x_train[first[k]], xb) and torch.equal(
            mnist1d.y_train[first[k]], yb
        )
    assert_like_solo_after(specs, mnist1d, rtol=1e-4, atol=2e-6)


@pytest.mark.parametrize("name", O.names())
def test_steps_in_float64_equal_each_solo_run(float64, name):
    assert_like_solo_after(three(name, 6), float64, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", O.names())
def test_short_training_matches_solo_runs(mnist1d, name):
    specs = [RunSpec(**BASE, opt=name, lr=lr, seed=s) for s, lr in enumerate(lrs(name))]
    many = run_many(specs, dataset=mnist1d)
    solo = [run(s, dataset=mnist1d) for s in specs]
    for a, b in zip(many, solo, strict=True):
        assert a.status == b.status == "ok", (a.error, b.error)
        assert a.timing["group_size"] == 3
        assert [list(row) for row in a.history] == [list(row) for row in b.history]
        assert set(a.final) == set(b.final)
        assert [row["lr"] for row in a.history] == [row["lr"] for row in b.history]
        assert abs(a.final["test_acc"] - b.final["test_acc"]) <= ACC_TOLERANCE
        assert a.history[0]["train_loss"] == pytest.approx(b.history[0]["train_loss"], rel=1e-4)


# -- variants ----------------------------------------------------------------------------------


def compare(specs: list[RunSpec], ds: D.Dataset, rel: float = 1e-4) -> list[tuple]:
    """Each replica's result against its solo run's; returns the (replica, solo) pairs."""
    many = run_group(specs, dataset=ds)
    pairs = [(a, run(spec, dataset=ds)) for a, spec in zip(many, specs, strict=True)]
    for a, b in pairs:
        assert a.status == b.status, (a.error, b.error)
        assert a.diverged_step == b.diverged_step
        assert len(a.history) == len(b.history)
        for ra, rb in zip(a.history, b.history, strict=True):
            assert ra.keys() == rb.keys()
            assert ra["train_loss"] == pytest.approx(rb["train_loss"], rel=rel)
            assert abs(ra["test_acc"] - rb["test_acc"]) <= ACC_TOLERANCE
    return pairs


def test_mixed_activations_each_on_its_own_slice(mnist1d):
    acts = ["relu", "x*tanh(softplus(x))", "tanh", "step", "relu", ("elu", "gelu")]
    compare([RunSpec(**BASE, act=a, seed=i) for i, a in enumerate(acts)], mnist1d)


@pytest.mark.parametrize("act", ["prelu", "swish"])
def test_learnable_activations_train_their_values_per_replica(mnist1d, act):
    params = {"learnable": True} if act == "swish" else {}
    specs = [RunSpec(**BASE, act=act, act_params=params, seed=s, lr=lr)
             for s, lr in ((0, 1e-3), (1, 1e-2))]  # fmt: skip
    compare(specs, mnist1d)
    assert any(name.startswith("2.") for name in solo_after(specs[0], mnist1d, 0).state_dict())
    assert_like_solo_after([s.replace(steps=5) for s in specs], mnist1d, rtol=1e-4, atol=2e-6)


def test_a_diverging_replica_is_frozen_and_the_others_go_on(mnist1d):
    specs = [RunSpec(**BASE, opt="sgd", lr=lr, act="elu", seed=1) for lr in (0.05, 1e12, 0.01)]
    many = [a for a, _ in compare(specs, mnist1d)]
    assert [r.status for r in many] == ["ok", "diverged", "ok"]
    assert many[1].diverged_step <= 20 and not math.isfinite(many[1].final["diverged_loss"])
    assert "test_acc" not in many[1].final and many[0].final["test_acc"] > 0.2


def test_dropout_masks_are_each_solo_runs(mnist1d):
    specs = [RunSpec(**BASE, dropout=0.3, seed=s, steps=3) for s in (0, 1)]
    # a wrong mask would move whole units: far beyond rounding
    assert_like_solo_after(specs, mnist1d, rtol=1e-4, atol=2e-6)


@pytest.mark.parametrize("options", [
    dict(norm="batch", act="tanh"), dict(norm="layer"), dict(loss="mse"),
    dict(schedule="onecycle"), dict(schedule="cosine", opt="momentum"),
    dict(model="cnn", norm="batch"), dict(model="linear", batch_size="full"),
])  # fmt: skip
def test_norms_losses_schedules_and_models(mnist1d, options):
    lr = 0.05 if options.get("opt") == "momentum" else 1e-3
    specs = [RunSpec(**{**BASE, **options}, seed=s, lr=lr * f) for s, f in ((0, 1), (1, 3))]
    compare(specs, mnist1d)


@pytest.mark.slow
def test_mnist_lenet_group(mnist_small):
    specs = [RunSpec(data="mnist", model="cnn", width=32, steps=5, batch_size=100, seed=s,
                     lr=lr) for s, lr in ((0, 1e-3), (1, 3e-3))]  # fmt: skip
    group = group_of(specs, mnist_small)
    assert_states_close(group, [solo_after(s, mnist_small, 0) for s in specs], rtol=0, atol=0)
    one = [s.replace(steps=1) for s in specs]
    assert_like_solo_after(one, mnist_small, rtol=1e-4, atol=2e-6)
    compare(specs, mnist_small)
    more = [s.replace(norm="batch", act="prelu", diagnostics=True, steps=3) for s in specs]
    for a, b in compare(more, mnist_small):
        rec_a, rec_b = a.diagnostics[-1], b.diagnostics[-1]
        assert rec_a["grad_norm"] == pytest.approx(rec_b["grad_norm"], rel=1e-3)
        assert rec_a["act_std"] == pytest.approx(rec_b["act_std"], rel=1e-3)
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        two = [s.replace(steps=2) for s in specs]
        assert_like_solo_after(two, as_float64(mnist_small), rtol=1e-9, atol=1e-12)
    finally:
        torch.set_default_dtype(before)


def test_diagnostics_are_each_solo_runs(mnist1d):
    specs = [RunSpec(**BASE, opt="adagrad", lr=lr, act=a, diagnostics=True, diag_every=15, seed=s)
             for s, lr, a in ((0, 1e-2, "relu"), (1, 3e-2, "tanh"))]  # fmt: skip
    many = run_group(specs, dataset=mnist1d)
    for a, spec in zip(many, specs, strict=True):
        b = run(spec, dataset=mnist1d)
        assert [(d["epoch"], d["step"]) for d in a.diagnostics] == [
            (d["epoch"], d["step"]) for d in b.diagnostics
        ]
        for da, db in zip(a.diagnostics, b.diagnostics, strict=True):
            assert da.keys() == db.keys()
            for key in ("grad_norm", "act_mean", "update_ratio", "effective_lr"):
                assert (da[key] or {}).keys() == (db[key] or {}).keys(), key
                for name, v in (db[key] or {}).items():
                    assert da[key][name] == pytest.approx(v, rel=1e-3, abs=1e-7), (key, name)
            assert da["dead_fraction"] == pytest.approx(db["dead_fraction"], abs=1 / 64)
        assert a.final["dead_fraction"] == pytest.approx(b.final["dead_fraction"], abs=1 / 64)


# -- planning ------------------------------------------------------------------------------------


def test_group_key_says_what_replicas_may_differ_in():
    a = RunSpec(act="relu", lr=1e-3, seed=0, opt_params={"betas": (0.9, 0.99)})
    same = [
        a.replace(seed=5),
        a.replace(lr=0.1),
        a.replace(act="x*tanh(softplus(x))"),
        a.replace(opt_params={"betas": (0.8, 0.9), "weight_decay": 0.1, "eps": 1e-6}),
    ]
    other = [a.replace(width=128), a.replace(batch_size=64), a.replace(opt="nadam"),
             a.replace(epochs=6), a.replace(schedule="cosine"), a.replace(dropout=0.1),
             a.replace(opt_params={"amsgrad": True}), a.replace(diagnostics=True),
             a.replace(act="prelu"), a.replace(data="moons")]  # fmt: skip
    assert all(group_key(s) == group_key(a) for s in same)
    assert all(group_key(s) != group_key(a) for s in other)
    assert group_key(a.replace(act="softmax")) is None  # not element-wise
    assert group_key(a.replace(act="rrelu")) is None  # random in training
    swish = a.replace(act="swish", act_params={"learnable": True})
    assert group_key(swish) == group_key(swish.replace(seed=1, lr=0.1))
    assert group_key(RunSpec(opt="nesterov")) == group_key(RunSpec(opt="nag"))


def test_a_value_whose_zero_picks_a_branch_splits_groups():
    """SGD with and without momentum run different rules: never replicas of one group."""
    plain, heavy = RunSpec(opt="sgd"), RunSpec(opt="sgd", opt_params={"momentum": 0.9})
    assert group_key(plain) != group_key(heavy)
    assert group_key(heavy) == group_key(heavy.replace(opt_params={"momentum": 0.5}))


def test_plan_groups_caps_and_splits_by_memory():
    specs = (
        [RunSpec(seed=s) for s in range(10)]
        + [RunSpec(act="softmax")]
        + [RunSpec(width=64, seed=s) for s in range(3)]
    )
    assert plan_groups(specs) == [list(range(10)), [10], [11, 12, 13]]
    assert [len(g) for g in plan_groups(specs, max_replicas=4)] == [4, 3, 3, 1, 3]
    sizes = [100] * len(specs)
    assert [len(g) for g in plan_groups(specs, memory_budget=250, replica_bytes=sizes)] == [
        2, 2, 2, 2, 2, 1, 2, 1,
    ]  # fmt: skip
    with pytest.raises(ValueError, match="max_replicas"):
        plan_groups(specs, max_replicas=0)


def test_replica_memory_counts_weights_state_and_activations():
    base = RunSpec(data="mnist1d", width=256, batch_size=100, opt="adam")
    m = replica_memory(base, (1, 40), 10)
    params = 40 * 256 + 256 + 256 * 256 + 256 + 2570
    assert m >= 4 * params * 6  # weights, grads, 2 Adam moments, 2 temporaries
    assert replica_memory(base.replace(opt="sgd"), (1, 40), 10) < m
    assert replica_memory(base.replace(batch_size=1000), (1, 40), 10) > m
    assert replica_memory(base.replace(width=512), (1, 40), 10) > 2.5 * m  # weights 3.5×


def test_run_many_groups_keeps_order_and_equals_solo_runs(mnist1d):
    specs = [RunSpec(**BASE, seed=0), RunSpec(**BASE, act="softmax"), RunSpec(**BASE, seed=1),
             RunSpec(**{**BASE, "width": 16}), RunSpec(**BASE, seed=2, lr=3e-3)]  # fmt: skip
    many = run_many(specs, dataset=mnist1d, max_replicas=2)
    assert [r.spec for r in many] == specs
    assert [r.timing["group_size"] for r in many] == [2, 1, 2, 1, 1]
    for a, spec in zip(many, specs, strict=True):
        b = run(spec, dataset=mnist1d)
        assert abs(a.final["test_acc"] - b.final["test_acc"]) <= ACC_TOLERANCE
    tiny = run_many(specs[:3], dataset=mnist1d, memory_budget=1)
    assert [r.timing.get("group_size", 1) for r in tiny] == [1, 1, 1]


def test_timing_is_shared_out_and_results_round_trip(mnist1d):
    many = run_group([RunSpec(**BASE, seed=s) for s in range(3)], dataset=mnist1d)
    wall = many[0].timing["group_wall_s"]
    assert sum(r.timing["wall_s"] for r in many) == pytest.approx(wall, rel=1e-6)
    assert many[0].final["samples_per_s"] > 0
    back = RunResult.from_json(many[0].to_json())
    assert back.to_dict() == many[0].to_dict()


def test_bad_groups_and_broken_data(mnist1d):
    with pytest.raises(ValueError, match="share a group"):
        run_group([RunSpec(**BASE), RunSpec(**{**BASE, "width": 16})], dataset=mnist1d)
    broken = D.Dataset("mnist1d", mnist1d.x_train, mnist1d.y_train + 50, mnist1d.x_val,
                       mnist1d.y_val, mnist1d.x_test, mnist1d.y_test, 10)  # fmt: skip
    out = run_group([RunSpec(**BASE, seed=s) for s in range(2)], dataset=broken)
    assert [r.status for r in out] == ["error", "error"] and "IndexError" in out[0].error


def test_the_fused_kernel_and_the_rule_on_stacked_tensors_agree(mnist1d):
    specs = three("adam", 20)
    fused = run_group(specs, dataset=mnist1d)
    stacked = run_group(specs, dataset=mnist1d, fused=False)
    for a, b in zip(fused, stacked, strict=True):
        assert a.final["train_loss"] == pytest.approx(b.final["train_loss"], rel=1e-4)


@pytest.mark.parametrize("name", A.names())
def test_an_activation_in_place_on_a_fresh_output_is_the_same_function(name):
    """``fresh=True`` (a weighted layer's new output) lets an activation with an in-place
    kernel overwrite its input: the same values, the same input gradient, and no new tensor.
    Gradients to float64 rounding: torch's in-place ELU family takes f' from the output
    (y + α where x < 0), which rounds differently from f' of the input (~1e-16)."""
    solos = [A.get(name) for _ in range(2)]
    if any(True for _ in solos[0].parameters()):
        pytest.skip("a learnable activation runs on its stacked values, never in place")
    act = ReplicaActivation(solos, [name, name])
    leaf = torch.randn(2, 5, 7, dtype=torch.float64) * 3
    g = torch.randn(2, 5, 7, dtype=torch.float64)
    results = []
    for fresh in (False, True):
        x = leaf.clone().requires_grad_(True)
        h = x * 1.0  # a layer's output: not a leaf, read by nothing else
        torch.manual_seed(0)  # RReLU draws its training slopes
        y = act(h, ROWS, fresh=fresh)
        y.backward(g)
        results.append((y.detach(), x.grad, y.data_ptr() == h.data_ptr()))
    (y0, g0, _), (y1, g1, shared) = results
    torch.testing.assert_close(y1, y0, rtol=0, atol=0, equal_nan=True)
    torch.testing.assert_close(g1, g0, rtol=1e-12, atol=1e-15, equal_nan=True)
    assert shared == (name in act.in_place)

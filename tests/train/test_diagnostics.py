"""Diagnostics, each checked against a case whose answer is known by construction."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import actopt.models as M
import actopt.optim as O
from actopt.train import Diagnostics, RunSpec, run


def net_and_data(act: str, seed: int = 0):
    torch.manual_seed(seed)
    net = M.build("mlp", (5,), 3, depth=2, width=12, act=act)
    return net, torch.randn(64, 5), torch.randint(0, 3, (64,))


def test_dead_units_are_counted_exactly():
    net, x, y = net_and_data("relu")
    with torch.no_grad():
        net[1].bias[:4] = -1e3  # four units of layer 1 can never fire
    diag = Diagnostics(net, O.SGD(net.parameters(), lr=0.1), x, y, F.cross_entropy)
    rec = diag.record(epoch=0, step=0)
    assert rec.dead_fraction_layers["act1 (relu)"] == pytest.approx(4 / 12)
    assert rec.dead_fraction == pytest.approx(4 / 24, abs=1 / 24)  # layer 2 may add its own


def test_saturation_of_sigmoid_with_huge_inputs():
    net, x, y = net_and_data("sigmoid")
    diag = Diagnostics(net, O.SGD(net.parameters(), lr=0.1), x, y, F.cross_entropy)
    assert diag.record(0, 0).saturated_fraction_layers["act1 (sigmoid)"] < 0.05
    with torch.no_grad():
        net[1].weight.mul_(1e4)
    rec = diag.record(0, 0)
    assert rec.saturated_fraction_layers["act1 (sigmoid)"] > 0.95
    # so flat that σ' underflows float32 to exactly 0 for every example: dead in practice
    assert rec.dead_fraction_layers["act1 (sigmoid)"] > 0.5


def test_activation_statistics_and_gradient_norms_match_a_manual_pass():
    net, x, y = net_and_data("tanh")
    rec = Diagnostics(net, O.SGD(net.parameters(), lr=0.1), x, y, F.cross_entropy).record(0, 0)
    h1 = torch.tanh(net[1](net[0](x))).detach()
    assert rec.act_mean["act1 (tanh)"] == pytest.approx(float(h1.mean()), rel=1e-5)
    assert rec.act_std["act1 (tanh)"] == pytest.approx(float(h1.std()), rel=1e-5)
    F.cross_entropy(net(x), y).backward()
    for i, layer in enumerate([net[1], net[3], net[5]], start=1):
        assert rec.grad_norm[f"linear{i}"] == pytest.approx(float(layer.weight.grad.norm()), 1e-5)


def test_update_ratio_of_sgd_is_lr_times_grad_over_weight():
    net, x, y = net_and_data("relu")
    opt = O.SGD(net.parameters(), lr=0.1)
    with Diagnostics(net, opt, x, y, F.cross_entropy) as diag:
        F.cross_entropy(net(x), y).backward()
        w, g = net[1].weight.detach().clone(), net[1].weight.grad.clone()
        diag.arm()
        opt.step()
        rec = diag.record(1, 1)
    assert rec.update_ratio["linear1"] == pytest.approx(float(0.1 * g.norm() / w.norm()), 1e-5)
    assert rec.effective_lr is None  # one global step size: nothing per parameter
    assert not opt._optimizer_step_pre_hooks and not opt._optimizer_step_post_hooks


@pytest.mark.parametrize("name", ["adagrad", "rmsprop"])
def test_effective_lr_is_the_step_per_unit_gradient(name):
    """For AdaGrad and RMSProp the step is exactly −η_eff·g, coordinate by coordinate."""
    torch.manual_seed(0)
    w = nn.Parameter(torch.randn(50))
    opt = O.get(name)([w], lr=0.01)
    for _ in range(3):
        w.grad = torch.randn(50)
        before = w.detach().clone()
        opt.step()
    torch.testing.assert_close(w.detach() - before, -opt.effective_lr() * w.grad)


def test_effective_lr_of_adam_scales_the_corrected_momentum():
    torch.manual_seed(0)
    w = nn.Parameter(torch.randn(20))
    opt = O.Adam([w], lr=0.01)
    for _ in range(4):
        w.grad = torch.randn(20)
        before = w.detach().clone()
        opt.step()
    m_hat = opt.state[w]["exp_avg"] / (1 - 0.9**4)
    torch.testing.assert_close(w.detach() - before, -opt.effective_lr() * m_hat)


@pytest.mark.parametrize("name", O.names())
def test_effective_lr_exists_exactly_for_adaptive_optimizers(name):
    w = nn.Parameter(torch.ones(4))
    opt = O.get(name)([w])
    assert opt.effective_lr() is None  # no state before the first step
    w.grad = torch.ones(4)
    opt.step()
    adaptive = O.spec(name).adaptive  # declared at registration, checked here by behaviour
    eff = opt.effective_lr()
    assert (eff is not None) == adaptive
    if adaptive:
        assert eff.shape == (4,) and bool((eff > 0).all())


def test_off_means_no_hooks_and_no_records():
    r = run(RunSpec(data="moons", width=8, epochs=2))
    assert r.diagnostics == [] and "dead_fraction" not in r.final


def test_every_n_steps_adds_records():
    spec = RunSpec(data="moons", data_options={"n": 400}, width=8, epochs=2, batch_size=60)
    per_epoch = run(spec.replace(diagnostics=True))
    every = run(spec.replace(diagnostics=True, diag_every=2))
    assert [d["step"] for d in per_epoch.diagnostics] == [6, 12]
    assert [d["step"] for d in every.diagnostics] == [2, 4, 6, 8, 10, 12]
    assert all(d["update_ratio"] for d in every.diagnostics)

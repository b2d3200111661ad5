"""Model builders, initialisation and swap_activations."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import actopt.activations as A
import actopt.models as M

IMAGE = (1, 28, 28)


def test_mlp_layout_and_per_layer_activations():
    net = M.build("mlp", IMAGE, 10, depth=3, width=32, act=["relu", "tanh", "elu"])
    linears = [m for m in net if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(784, 32), (32, 32), (32, 32),
                                                                  (32, 10)]  # fmt: skip
    assert [m.spec.name for m in net if isinstance(m, A.Activation)] == ["relu", "tanh", "elu"]
    assert net(torch.randn(5, *IMAGE)).shape == (5, 10)


def test_deep_linear_network_collapses_to_one_matrix():
    """The seeds' claim: without activations, depth adds nothing a single layer cannot do."""
    net = M.build("mlp", (6,), 3, depth=4, width=8, act="identity").double()
    product, bias = torch.eye(6, dtype=torch.float64), torch.zeros(6, dtype=torch.float64)
    for m in net:
        if isinstance(m, nn.Linear):
            product, bias = m.weight @ product, m.weight @ bias + m.bias
    x = torch.randn(10, 6, dtype=torch.float64)
    torch.testing.assert_close(net(x), x @ product.T + bias, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("scheme, var", [
    ("he", lambda fi, fo: 2 / fi), ("xavier", lambda fi, fo: 2 / (fi + fo)),
    ("lecun", lambda fi, fo: 1 / fi),
])  # fmt: skip
def test_init_variance(scheme, var):
    torch.manual_seed(0)
    net = M.build("mlp", (400,), 10, depth=1, width=300, init=scheme)
    w = net[1].weight.detach()
    assert float(w.var()) == pytest.approx(var(400, 300), rel=0.03)
    assert torch.count_nonzero(net[1].bias) == 0


def test_orthogonal_and_torch_init():
    net = M.build("mlp", (64,), 10, depth=1, width=64, init="orthogonal")
    w = net[1].weight.detach()
    torch.testing.assert_close(w @ w.T, torch.eye(64), atol=1e-5, rtol=0)
    torch.manual_seed(0)
    plain = M.build("mlp", (64,), 10, depth=1, width=64, init="torch")
    assert torch.count_nonzero(plain[1].bias) > 0  # PyTorch's default init, untouched
    conv = M.build("cnn", IMAGE, 10, init="he")[0]
    assert float(conv.weight.detach().var()) == pytest.approx(2 / 25, rel=0.25)  # fan_in = 1·5·5


def test_norm_dropout_and_bias_options():
    net = M.build("mlp", (8,), 2, depth=2, width=16, norm="batch", dropout=0.5, bias=False)
    kinds = [type(m).__name__ for m in net]
    assert kinds.count("BatchNorm1d") == 2 and kinds.count("Dropout") == 2
    assert all(m.bias is None for m in net if isinstance(m, nn.Linear))
    layer = M.build("mlp", (8,), 2, depth=1, width=16, norm="layer")
    assert any(isinstance(m, nn.LayerNorm) for m in layer)


@pytest.mark.parametrize("shape", [IMAGE, (1, 40)])
def test_cnn_shapes(shape):
    net = M.build("cnn", shape, 10, act=["relu", "tanh", "elu"], norm="batch")
    assert net(torch.randn(4, *shape)).shape == (4, 10)
    assert [m.spec.name for m in net if isinstance(m, A.Activation)] == ["relu", "tanh", "elu"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(depth=0), "depth must be an integer >= 1"),
    (dict(width=0), "width"),
    (dict(norm="group"), "norm must be one of"),
    (dict(dropout=1.0), "dropout"),
    (dict(act=["relu", "tanh"], depth=3), "2 activations given for 3"),
    (dict(init="glorot"), "init must be one of"),
    (dict(colour="red"), "unknown model option"),
])  # fmt: skip
def test_bad_model_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        M.build("mlp", IMAGE, 10, **kwargs)


def test_unknown_model_and_bad_cnn_input():
    with pytest.raises(ValueError, match="unknown model 'resnet'"):
        M.build("resnet", IMAGE, 10)
    with pytest.raises(ValueError, match="cnn needs"):
        M.build("cnn", (784,), 10)


@pytest.mark.parametrize("name", A.names())
def test_every_catalog_activation_builds_and_backpropagates(name):
    net = M.build("mlp", (6,), 3, depth=2, width=8, act=name)
    loss = net(torch.randn(4, 6)).square().mean()
    loss.backward()
    assert torch.isfinite(loss) and all(torch.isfinite(p.grad).all() for p in net.parameters())


# -- swap_activations -----------------------------------------------------------------------


@pytest.mark.parametrize("layer", [t for t in M.ACTIVATION_TYPES if t is not A.Activation])
def test_swap_replaces_every_torch_activation(layer):
    make = (lambda: layer(0.0, 0.0)) if layer is nn.Threshold else layer
    inner = nn.Sequential(nn.Linear(8, 8), make())
    net = nn.Sequential(nn.Linear(4, 8), make(), inner, nn.Linear(8, 2))
    assert M.swap_activations(net, "swish") == 2
    assert isinstance(net[1], A.Activation) and isinstance(net[2][1], A.Activation)
    x = torch.randn(3, 8)
    torch.testing.assert_close(net[1](x), x * torch.sigmoid(x))


def test_swap_gives_each_layer_its_own_parameters_and_checks_first():
    net = M.build("mlp", (4,), 2, depth=3, width=8, act="relu")
    assert M.swap_activations(net, "prelu") == 3
    slopes = [m.weight for m in net if isinstance(m, A.Activation)]
    assert len({id(s) for s in slopes}) == 3
    before = [type(m) for m in net]
    with pytest.raises(ValueError, match="alpha"):
        M.swap_activations(net, "elu", alpha=-1.0)
    assert [type(m) for m in net] == before  # a bad request changes nothing
    assert M.swap_activations(net, A.spec("elu"), alpha=0.5) == 3
    assert all(m.spec.values["alpha"] == 0.5 for m in net if isinstance(m, A.Activation))


def test_swap_leaves_softmax_alone():
    net = nn.Sequential(nn.Linear(4, 4), nn.GELU(), nn.Linear(4, 4), nn.Softmax(dim=1))
    assert M.swap_activations(net, "relu") == 1
    assert isinstance(net[3], nn.Softmax)


def test_parameter_count():
    assert M.count_parameters(M.build("linear", IMAGE, 10)) == 7850
    assert M.count_parameters(M.build("mlp", IMAGE, 10)) == 784 * 256 + 256 + 256 * 257 + 2570
    assert math.isclose(M.count_parameters(M.build("cnn", (1, 40), 10)), 5210)

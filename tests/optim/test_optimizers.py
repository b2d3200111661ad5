"""Contract and parity tests over the whole optimizer registry."""

from __future__ import annotations

import copy

import pytest
import torch

import actopt.optim as O

NAMES = O.names()

# Hyper-parameter settings run against torch.optim: defaults plus the options that change the
# arithmetic (weight decay, dampening, nesterov, centered, amsgrad, momentum, decoupled decay).
PARITY = [(n, {}) for n in NAMES] + [
    ("sgd", {"weight_decay": 0.1}),
    ("momentum", {"dampening": 0.3, "weight_decay": 0.05}),
    ("nag", {"weight_decay": 0.1}),
    ("adagrad", {"lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.1}),
    ("adadelta", {"rho": 0.8, "weight_decay": 0.1}),
    ("rmsprop", {"centered": True}),
    ("rmsprop", {"momentum": 0.9, "weight_decay": 0.1}),
    ("rmsprop", {"momentum": 0.5, "centered": True, "alpha": 0.9}),
    ("adam", {"amsgrad": True}),
    ("adam", {"weight_decay": 0.1, "betas": (0.8, 0.99)}),
    ("adamw", {"amsgrad": True, "weight_decay": 0.1}),
    ("nadam", {"weight_decay": 0.1}),
    ("nadam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("radam", {"weight_decay": 0.1}),
    ("radam", {"decoupled_weight_decay": True, "weight_decay": 0.1}),
    ("adamax", {"weight_decay": 0.1}),
]
PARITY_IDS = [f"{n}-{'-'.join(f'{k}={v}' for k, v in h.items()) or 'defaults'}" for n, h in PARITY]
# a learning rate per optimizer that makes progress on the problems below in few steps
LR = {"sgd": 1e-3, "momentum": 1e-3, "nag": 1e-3, "adadelta": 1.0, "lion": 1e-3}


def rosenbrock(w: torch.Tensor) -> torch.Tensor:
    x, y = w[0], w[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _mlp(seed: int = 0, dtype=torch.float32) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3)).to(
        dtype
    )


def _mlp_data(dtype=torch.float32):
    g = torch.Generator().manual_seed(1)
    return torch.randn(64, 10, generator=g, dtype=dtype), torch.randint(0, 3, (64,), generator=g)


def _train_mlp(make, steps=100, dtype=torch.float32, model=None):
    model = model or _mlp(dtype=dtype)
    x, y = _mlp_data(dtype)
    opt = make(model.parameters())
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return model, opt


def _run_rosenbrock(make, steps=100):
    w = torch.nn.Parameter(torch.tensor([-1.2, 1.0], dtype=torch.float64))
    opt = make([w])
    path = []
    for _ in range(steps):
        opt.zero_grad()
        rosenbrock(w).backward()
        opt.step()
        path.append(w.detach().clone())
    return torch.stack(path), opt


def torch_reference(name):
    """The spec's torch.optim equivalent, or a skip saying why there is none."""
    s = O.spec(name)
    if s.torch_equivalent is None:
        pytest.skip(f"{name}: torch.optim has no equivalent; checked against {s.reference}")
    return s.torch_equivalent


def _pair(name, hyper):
    ref_cls, ref_kwargs = torch_reference(name)
    hyper = {"lr": LR.get(name, 1e-2), **hyper}
    ours = lambda ps, **kw: O.get(name)(ps, **hyper, **kw)  # noqa: E731
    theirs = lambda ps: ref_cls(ps, **{**ref_kwargs, **hyper}, foreach=False)  # noqa: E731
    return ours, theirs


@pytest.mark.parametrize(("name", "hyper"), PARITY, ids=PARITY_IDS)
@pytest.mark.parametrize("foreach", [False, True])
def test_matches_torch_on_rosenbrock_float64(name, hyper, foreach):
    ours, theirs = _pair(name, hyper)
    a, _ = _run_rosenbrock(lambda ps: ours(ps, foreach=foreach))
    b, _ = _run_rosenbrock(theirs)
    assert torch.isfinite(a).all()
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "hyper"), PARITY, ids=PARITY_IDS)
def test_matches_torch_on_an_mlp_float32(name, hyper):
    ours, theirs = _pair(name, hyper)
    a, opt_a = _train_mlp(ours)
    b, opt_b = _train_mlp(theirs)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=1e-6, atol=1e-6)
    # every state tensor, too (same names as torch.optim keeps)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        sa, sb = opt_a.state[pa], opt_b.state[pb]
        for key, value in sb.items():
            if isinstance(value, torch.Tensor):
                torch.testing.assert_close(sa[key], value, rtol=1e-6, atol=1e-6, msg=key)


def test_lion_matches_the_paper_update():
    """Chen et al. 2023, Program 1, written out independently of actopt's pieces."""
    beta1, beta2, lr, wd = 0.9, 0.99, 1e-3, 0.1
    w = torch.tensor([-1.2, 1.0], dtype=torch.float64)
    m = torch.zeros(2, dtype=torch.float64)
    expected = []
    for _ in range(100):
        wg = w.clone().requires_grad_()
        rosenbrock(wg).backward()
        g = wg.grad
        update = (beta1 * m + (1 - beta1) * g).sign()
        w = w - lr * (update + wd * w)
        m = beta2 * m + (1 - beta2) * g
        expected.append(w.clone())
    for foreach in (False, True):
        got, _ = _run_rosenbrock(
            lambda ps, f=foreach: O.Lion(ps, lr=lr, weight_decay=wd, foreach=f)
        )
        torch.testing.assert_close(got, torch.stack(expected), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_single_tensor_and_foreach_paths_agree(name):
    hyper = {"lr": LR.get(name, 1e-2)}
    a, _ = _train_mlp(lambda ps: O.get(name)(ps, **hyper, foreach=False), steps=30)
    b, _ = _train_mlp(lambda ps: O.get(name)(ps, **hyper, foreach=True), steps=30)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trip_continues_identically(name):
    hyper = {"lr": LR.get(name, 1e-2)}
    make = lambda ps: O.get(name)(ps, **hyper)  # noqa: E731
    full, _ = _train_mlp(make, steps=20)

    half, opt = _train_mlp(make, steps=10)
    saved_model = copy.deepcopy(half.state_dict())
    saved_opt = copy.deepcopy(opt.state_dict())
    resumed = _mlp(seed=99)  # different initial weights: everything must come from the dicts
    resumed.load_state_dict(saved_model)
    opt2 = make(resumed.parameters())
    opt2.load_state_dict(saved_opt)
    x, y = _mlp_data()
    for _ in range(10):
        opt2.zero_grad()
        torch.nn.functional.cross_entropy(resumed(x), y).backward()
        opt2.step()
    for pa, pb in zip(full.parameters(), resumed.parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=0, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_loss_goes_down_on_a_convex_problem(name):
    """Least squares at each optimizer's default hyper-parameters (lr as listed in LR_CONVEX)."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(50, 5, generator=g, dtype=torch.float64)
    # a consistent system (optimum 0) whose solution has the scale of network weights, which is
    # what the adaptive optimizers' default lr (a per-coordinate step of about lr) is set for
    b = a @ (0.1 * torch.randn(5, generator=g, dtype=torch.float64))
    w = torch.nn.Parameter(torch.zeros(5, dtype=torch.float64))
    # one global step size (sgd's default 1e-3, lion's 1e-4) is too small to see progress here;
    # the adaptive ones scale each coordinate's step and run at their defaults
    s = O.spec(name)
    lr = None if s.adaptive else max(s.defaults["lr"], 1e-2)
    opt = s.make([w], lr=lr)
    losses = []
    for _ in range(500):
        opt.zero_grad()
        loss = ((a @ w - b) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], (losses[0], losses[-1])
    assert all(torch.isfinite(torch.tensor(losses)))


@pytest.mark.parametrize("name", NAMES)
def test_step_with_all_grads_none_changes_nothing(name):
    model = _mlp()
    before = copy.deepcopy(model.state_dict())
    opt = O.get(name)(model.parameters())
    opt.step()
    assert opt.state_dict()["state"] == {}
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])


@pytest.mark.parametrize("name", NAMES)
def test_params_without_grad_are_skipped(name):
    w1 = torch.nn.Parameter(torch.ones(3))
    w2 = torch.nn.Parameter(torch.ones(3))
    opt = O.get(name)([w1, w2], lr=0.1)
    (w1**2).sum().backward()
    opt.step()
    assert not torch.equal(w1, torch.ones(3)) and torch.equal(w2.data, torch.ones(3))
    assert w2 not in opt.state


@pytest.mark.parametrize("name", NAMES)
def test_param_groups_closure_and_scheduler(name):
    w1 = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    w2 = torch.nn.Parameter(torch.tensor([3.0]))
    opt = O.get(name)([{"params": [w1]}, {"params": [w2], "lr": 0.0}], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    def closure():
        opt.zero_grad()
        loss = (w1**2).sum() + (w2**2).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    sched.step()
    assert loss.item() == pytest.approx(14.0)
    assert torch.equal(w2.data, torch.tensor([3.0]))  # lr 0 in its group
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)


@pytest.mark.parametrize("name", NAMES)
def test_sparse_gradients_get_a_clear_error(name):
    emb = torch.nn.Embedding(10, 3, sparse=True)
    opt = O.get(name)(emb.parameters())
    emb(torch.tensor([1, 2])).sum().backward()
    with pytest.raises(RuntimeError, match="sparse gradients"):
        opt.step()


def _bad_hyper(name: str) -> list[tuple[dict, str]]:
    cases = [({"lr": -1.0}, "lr"), ({"lr": float("nan")}, "lr")]
    defaults = O.spec(name).defaults
    if "weight_decay" in defaults:
        cases.append(({"weight_decay": -0.1}, "weight_decay"))
    if "eps" in defaults:
        cases += [({"eps": 0.0}, "eps"), ({"eps": -1e-8}, "eps")]
    if "betas" in defaults:
        cases += [({"betas": (1.0, 0.999)}, r"betas\[0\]"), ({"betas": (0.9, -0.1)}, r"betas\[1\]")]
        cases.append(({"betas": 0.9}, "betas"))
    if "rho" in defaults:
        cases += [({"rho": 1.5}, "rho"), ({"rho": -0.1}, "rho")]
    if "alpha" in defaults:
        cases.append(({"alpha": 1.0}, "alpha"))
    if "momentum" in defaults:
        cases.append(({"momentum": -0.5}, "momentum"))
    if "lr_decay" in defaults:
        cases.append(({"lr_decay": -1.0}, "lr_decay"))
    if "momentum_decay" in defaults:
        cases.append(({"momentum_decay": -1.0}, "momentum_decay"))
    return cases


@pytest.mark.parametrize(
    ("name", "hyper", "match"),
    [(n, h, m) for n in NAMES for h, m in _bad_hyper(n)],
    ids=[f"{n}-{next(iter(h))}-{i}" for n in NAMES for i, (h, _) in enumerate(_bad_hyper(n))],
)
def test_invalid_hyper_parameters_raise_value_error(name, hyper, match):
    w = torch.nn.Parameter(torch.ones(2))
    with pytest.raises(ValueError, match=match):
        O.get(name)([w], **hyper)


@pytest.mark.parametrize(
    ("name", "hyper", "match"),
    [(n, h, m) for n in NAMES for h, m in _bad_hyper(n)],
    ids=[f"{n}-{next(iter(h))}-{i}" for n in NAMES for i, (h, _) in enumerate(_bad_hyper(n))],
)
def test_validate_refuses_what_the_constructor_refuses_without_building(
    name, hyper, match, monkeypatch
):
    """One set of checks: validate raises the constructor's own message, and builds nothing."""
    w = torch.nn.Parameter(torch.ones(2))
    with pytest.raises(ValueError) as built:
        O.get(name)([w], **hyper)
    monkeypatch.setattr(torch.optim.Optimizer, "__init__", _no_building)
    with pytest.raises(ValueError, match=match) as checked:
        O.spec(name).validate(hyper)
    assert str(checked.value) == str(built.value)


def _no_building(*args, **kwargs):
    raise AssertionError("validate built an optimizer")


@pytest.mark.parametrize("name", NAMES)
def test_validate_fills_in_the_defaults_and_make_builds_with_them(name, monkeypatch):
    s = O.spec(name)
    with monkeypatch.context() as m:
        m.setattr(torch.optim.Optimizer, "__init__", _no_building)
        full = s.validate({"lr": None})
        assert full == s.defaults and s.validate({"lr": 1})["lr"] == 1.0
    opt = s.make([torch.nn.Parameter(torch.ones(2))], lr=None)
    built = {k: v for k, v in opt.defaults.items() if k in full}
    assert built == {**full, **({"betas": tuple(full["betas"])} if "betas" in full else {})}
    with pytest.raises(ValueError, match=f"unknown hyper-parameter.*{name}.*allowed: lr"):
        s.validate({"colour": 1})


@pytest.mark.parametrize("name", NAMES)
def test_the_spec_describes_its_class(name):
    """fused and state_names as the class behaves: fused=True accepted exactly where declared,
    and one step keeps every always-present state and nothing undeclared."""
    s = O.spec(name)
    w = torch.nn.Parameter(torch.ones(3))
    if s.fused:
        s.make([w], fused=False)
    else:
        with pytest.raises(TypeError, match="fused"):
            s.make([w], fused=True)
    opt = s.make([w])
    w.grad = torch.ones(3)
    opt.step()
    keys = set(opt.state[w]) - {"step"}
    declared = {n.strip("[]").removesuffix(" (scalar)") for n in s.state_names}
    always = {n.removesuffix(" (scalar)") for n in s.state_names if not n.startswith("[")}
    assert always <= keys <= declared, (keys, s.state_names)
    assert s.rule and s.reference and s.summary


def test_nesterov_needs_momentum_and_no_dampening():
    w = torch.nn.Parameter(torch.ones(2))
    with pytest.raises(ValueError, match="nesterov"):
        O.SGD([w], nesterov=True)
    with pytest.raises(ValueError, match="nesterov"):
        O.SGD([w], momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(ValueError, match="nesterov"):
        O.spec("nag").validate({"momentum": 0.0})  # NAG fixes nesterov=True for SGD


def test_nag_reformulation_equals_the_look_ahead_form():
    """Sutskever's look-ahead NAG and torch's reformulation: θ_t = w_t + μ v_t on a quadratic."""
    h = torch.tensor([[3.0, 0.5], [0.5, 1.0]], dtype=torch.float64)  # f(w) = ½ wᵀ H w
    lr, mu = 0.1, 0.9
    w = torch.tensor([1.0, -2.0], dtype=torch.float64)
    v = torch.zeros(2, dtype=torch.float64)
    look_ahead = []
    for _ in range(50):
        v = mu * v - lr * (h @ (w + mu * v))  # gradient at the look-ahead point
        w = w + v
        look_ahead.append(w + mu * v)
    theta = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
    opt = O.NAG([theta], lr=lr, momentum=mu)
    ours = []
    for _ in range(50):
        opt.zero_grad()
        (0.5 * theta @ h @ theta).backward()
        opt.step()
        ours.append(theta.detach().clone())
    torch.testing.assert_close(torch.stack(ours), torch.stack(look_ahead), rtol=1e-12, atol=1e-14)


def test_unknown_name_lists_close_matches():
    with pytest.raises(KeyError, match="adam"):
        O.get("adma")


def test_registry_exposes_classes_by_name():
    assert O.get("nag") is O.NAG and O.get("nesterov") is O.NAG
    assert O.spec("adadelta").defaults["lr"] == 1.0
    assert O.spec("momentum").defaults["momentum"] == 0.9
    assert issubclass(O.Lion, torch.optim.Optimizer)

"""Contract tests over the whole activation registry: a new entry is tested once registered."""

from __future__ import annotations

import pytest
import torch

import actopt.activations as A
from actopt.activations import SpecFunction
from actopt.audit import _measure as M

NAMES = A.names()
ELEMENTWISE = [n for n in NAMES if not A.spec(n).vector]
REQUIRED = [
    *("identity", "step", "sigmoid", "hard_sigmoid", "tanh", "hard_tanh", "relu", "relu6"),
    *("leaky_relu", "prelu", "rrelu", "elu", "selu", "celu", "gelu", "swish", "silu"),
    *("hard_swish", "mish", "softplus", "softsign", "log_sigmoid", "tanhshrink", "softshrink"),
    *("hardshrink", "sin", "softmax", "log_softmax"),
]

# Non-default parameter settings exercised too, so each code path of a formula is tested.
VARIANTS = [(n, {}) for n in NAMES] + [
    ("gelu", {"approximate": "tanh"}),
    ("swish", {"beta": 2.5}),
    ("swish", {"beta": 0.5, "learnable": True}),
    ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {"alpha": 0.5}),
    ("celu", {"alpha": 2.0}),
    ("softplus", {"beta": 2.0, "threshold": 10.0}),
    ("hard_tanh", {"min_val": -2.0, "max_val": 0.5}),
    ("softshrink", {"lambd": 1.0}),
    ("hardshrink", {"lambd": 0.25}),
    ("sin", {"w0": 30.0}),
    ("prelu", {"init": 0.1}),
]
IDS = [A.spec(n, **p).describe() for n, p in VARIANTS]

SPECIAL = [0.0, 1e-30, -1e-30, 1.0, -1.0, 20.0, -20.0, 1e4, -1e4]


def _grid(dtype=torch.float64) -> torch.Tensor:
    return torch.cat([torch.tensor(SPECIAL), torch.linspace(-8, 8, 801)]).to(dtype)


def _smooth_points(s, n: int = 400, width: float = 8.0) -> torch.Tensor:
    """Points in [-width, width] at least 1e-3 away from every kink (where f' is defined)."""
    x = torch.linspace(-width, width, n, dtype=torch.float64) + 0.0123
    for k in s.kink_points():
        x = x[(x - k).abs() > 1e-3]
    return x


def _as_input(s, x: torch.Tensor) -> torch.Tensor:
    if not s.vector:
        return x
    return x[: x.numel() // 8 * 8].reshape(-1, 8)  # vector kinds act on rows


def test_every_required_name_is_registered():
    registered = set(A.names(aliases=True))
    assert set(REQUIRED) <= registered, sorted(set(REQUIRED) - registered)
    assert A.resolve("silu") == "swish" and A.spec("silu").values["beta"] == 1.0


@pytest.mark.parametrize(("name", "params"), VARIANTS, ids=IDS)
def test_forward_matches_torch(name, params):
    s = A.spec(name, **params)
    x = _as_input(s, _grid())
    torch.testing.assert_close(s.forward(x), s.torch_ref(x, **s.values), rtol=1e-7, atol=1e-12)
    module = s.module().double().eval()
    torch.testing.assert_close(module(x), s.torch_ref(x, **s.values), rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_nan_propagates_as_in_torch(name):
    s = A.spec(name)
    x = torch.tensor([[float("nan"), 1.0, -1.0, 0.5]], dtype=torch.float64)
    ours, ref = s.forward(x), s.torch_ref(x, **s.values)
    assert torch.equal(ours.isnan(), ref.isnan())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_forward_in_each_dtype(name, dtype):
    s = A.spec(name)
    x = _as_input(s, torch.linspace(-6, 6, 400, dtype=torch.float64))
    expected = s.torch_ref(x, **s.values)
    for y in (s.forward(x.to(dtype)), s.module().to(dtype).eval()(x.to(dtype))):
        assert y.dtype == dtype
        tol = {torch.bfloat16: 3e-2, torch.float32: 1e-5, torch.float64: 1e-12}[dtype]
        torch.testing.assert_close(y.double(), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize(("name", "params"), VARIANTS, ids=IDS)
def test_derivative_matches_autograd_and_finite_differences(name, params):
    s = A.spec(name, **params)
    x = _as_input(s, _smooth_points(s))
    if s.vector:
        v = torch.randn(x.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
        _, jvp = torch.func.jvp(lambda t: s.torch_ref(t, **s.values), (x,), (v,))
        torch.testing.assert_close(s.jvp(x, v), jvp)
        _, pull = torch.func.vjp(lambda t: s.torch_ref(t, **s.values), x)
        torch.testing.assert_close(s.vjp(x, v), pull(v)[0])
        return
    xs = x.clone().requires_grad_()
    ours = s.derivative(x)
    if not s.forward(xs).requires_grad:  # made of comparisons (step): constant between kinks
        assert torch.equal(ours, torch.zeros_like(x))
    else:
        # torch's kernels hold some constants (leaky slope, 1/6) in float32: hence 1e-7 here
        (auto,) = torch.autograd.grad(s.torch_ref(xs, **s.values).sum(), xs)
        torch.testing.assert_close(ours, auto, rtol=1e-7, atol=1e-12)
        (auto_closed,) = torch.autograd.grad(s.forward(xs).sum(), xs)  # our closed form, exact
        torch.testing.assert_close(ours, auto_closed, rtol=1e-9, atol=1e-12)
    h = 1e-6
    fd = (s.forward(x + h) - s.forward(x - h)) / (2 * h)
    torch.testing.assert_close(ours, fd, rtol=1e-5, atol=1e-6)


KINKED = [(n, p) for n, p in VARIANTS if A.spec(n, **p).kink_points()]


@pytest.mark.parametrize(
    ("name", "params"), KINKED, ids=[A.spec(n, **p).describe() for n, p in KINKED]
)
def test_derivative_at_kinks_follows_the_module(name, params):
    """At a kink f' does not exist; the hand derivative picks the value the module's autograd
    gives there (torch's kernels' convention), so both backward paths agree everywhere."""
    s = A.spec(name, **params)
    x = torch.tensor(s.kink_points(), dtype=torch.float64)
    xs = x.clone().requires_grad_()
    out = s.module().double().eval()(xs)
    auto = torch.autograd.grad(out.sum(), xs)[0] if out.requires_grad else torch.zeros_like(x)
    torch.testing.assert_close(
        s.derivative(x), auto, rtol=1e-7, atol=1e-12, msg=lambda m: f"{m}\nat {x.tolist()}"
    )


@pytest.mark.parametrize(("name", "params"), VARIANTS, ids=IDS)
def test_derivative_is_finite_at_extremes(name, params):
    s = A.spec(name, **params)
    x = _as_input(s, torch.tensor(SPECIAL * 8, dtype=torch.float64)[:40])
    d = s.jvp(x, torch.ones_like(x))
    assert torch.isfinite(d).all()


@pytest.mark.parametrize(("name", "params"), VARIANTS, ids=IDS)
@pytest.mark.parametrize("path", ["module", "custom_function"])
def test_gradcheck(name, params, path):
    s = A.spec(name, **params)
    x = _as_input(s, _smooth_points(s, n=40, width=4.0)).clone().requires_grad_()
    if path == "module":
        module = s.module().double().eval()
        tensors = tuple(module.parameters())

        def f(x, *ps):
            return module(x)

    else:  # force the generic autograd Function, so the hand-derived backward is what is checked
        tensors = tuple(
            torch.full((1,), float(s.values[n]), dtype=torch.float64) for n in s.trainable
        )

        def f(x, *ps):
            return SpecFunction.apply(x, s, s.trainable, *ps)

    tensors = tuple(t.detach().clone().requires_grad_() for t in tensors)
    assert torch.autograd.gradcheck(f, (x, *tensors))
    if path == "module" and not _has_double_backward(f, x, tensors):
        pytest.skip(f"torch's kernel for {name} has no double backward (the Function path has)")
    assert torch.autograd.gradgradcheck(f, (x, *tensors))


def _has_double_backward(f, x, tensors) -> bool:
    (g,) = torch.autograd.grad(f(x, *tensors).sum(), x, create_graph=True)
    if not g.requires_grad:  # f' is constant (identity): nothing to differentiate again
        return True
    try:
        torch.autograd.grad(g.sum(), x, allow_unused=True)
    except RuntimeError as e:
        if "not implemented" not in str(e):
            raise
        return False
    return True


def test_custom_function_saves_only_the_input():
    s = A.spec("swish", learnable=True)
    module = s.module()
    assert not module.uses_kernel
    x = torch.randn(64, requires_grad=True)
    y = module(x)
    saved = y.grad_fn.saved_tensors
    assert len(saved) == 2  # x and β; no sigmoid(βx) kept alive
    assert saved[0].data_ptr() == x.data_ptr()


@pytest.mark.parametrize(
    ("name", "params", "tensor"),
    [
        ("prelu", {}, "weight"),
        ("prelu", {"num_parameters": 3}, "weight"),
        ("swish", {"learnable": True}, "beta"),
    ],
)
def test_learnable_parameters_train(name, params, tensor):
    module = A.get(name, **params)
    assert tensor in module.state_dict()
    x = torch.randn(4, 3, 5)
    module(x).square().sum().backward()
    g = getattr(module, tensor).grad
    assert g is not None and torch.isfinite(g).all() and g.abs().sum() > 0
    # the hand-derived ∂f/∂p matches autograd of the closed form
    s = A.spec(name, **params)
    p = getattr(module, tensor).detach().clone().double().requires_grad_()
    x64 = x.double()
    shaped = p.view(1, -1, 1) if p.numel() > 1 else p.reshape(())
    y = s.fn(x64, **{**s.values, s.trainable[0]: shaped})
    (auto,) = torch.autograd.grad(y.sum(), p)
    ours = s.param_grads[s.trainable[0]](x64, **{**s.values, s.trainable[0]: shaped})
    torch.testing.assert_close(ours.sum_to_size(shaped.shape).reshape(p.shape), auto)


def test_fixed_swish_has_no_parameters():
    assert list(A.get("swish").parameters()) == []
    assert list(A.get("swish", beta=2.0).parameters()) == []


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_declared_properties_hold(name):
    s = A.spec(name)
    p = s.properties
    assert M.is_monotonic(s) == p.monotonic
    assert M.is_smooth(s) == p.smooth
    assert M.is_zero_centered(s) == p.zero_centered
    assert M.is_bounded(s) == (p.bounded_above, p.bounded_below)
    assert M.saturation_sides(s) == p.saturates


def test_rrelu_is_random_in_training_and_mean_slope_in_eval():
    module = A.get("rrelu")
    x = -torch.ones(1000)
    slopes = -module.train()(x)
    assert slopes.min() >= 1 / 8 and slopes.max() <= 1 / 3 and slopes.std() > 0.01
    assert torch.allclose(-module.eval()(x), torch.full_like(x, (1 / 8 + 1 / 3) / 2))


def test_step_passes_no_gradient():
    x = torch.randn(10, requires_grad=True)
    A.get("step")(x).sum().backward()
    assert torch.equal(x.grad, torch.zeros(10))


def test_unknown_name_lists_close_matches():
    with pytest.raises(KeyError, match="relu"):
        A.spec("reluu")
    with pytest.raises(KeyError, match="did you mean"):
        A.get("sigmod")


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("elu", {"alpha": -1.0}, r"alpha must be in \[0, ∞\)"),
        ("leaky_relu", {"negative_slope": 1.0}, r"negative_slope must be in \[0, 1\)"),
        ("leaky_relu", {"negative_slope": -0.1}, "negative_slope"),
        ("softplus", {"beta": 0.0}, r"beta must be in \(0, ∞\)"),
        ("softplus", {"threshold": -1.0}, "threshold"),
        ("celu", {"alpha": 0.0}, "alpha"),
        ("gelu", {"approximate": "fast"}, "approximate must be one of 'none', 'tanh'"),
        ("swish", {"learnable": "yes"}, "learnable must be True or False"),
        ("prelu", {"num_parameters": 0}, "num_parameters must be an integer"),
        ("prelu", {"num_parameters": 2.5}, "num_parameters"),
        ("hard_tanh", {"min_val": 1.0, "max_val": -1.0}, "min_val must be < max_val"),
        ("rrelu", {"lower": 0.5, "upper": 0.2}, "lower must be <= upper"),
        ("relu", {"slope": 1.0}, "unknown parameter"),
        ("elu", {"alpha": float("nan")}, "alpha"),
    ],
)
def test_invalid_parameters_raise_value_error(name, params, message):
    with pytest.raises(ValueError, match=message):
        A.get(name, **params)


def test_properties_take_keywords_and_fast_paths_are_one_record():
    with pytest.raises(TypeError):
        A.Properties("(0, 1)", True, True, False, True, True, "both")
    relu = A.spec("relu")
    assert isinstance(relu.fast, A.Fast) and relu.fast.kernel is not None
    assert A.spec("step").fast.kernel is None and A.spec("step").fast.forward is not None
    assert not A.spec("step").module().uses_kernel and A.get("relu").uses_kernel


def test_registering_a_duplicate_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        A.register(A.spec("relu"))


@pytest.mark.parametrize("name", NAMES)
def test_a_spec_has_a_short_repr_and_a_hash(name):
    s = A.spec(name)
    assert repr(s) == f"ActivationSpec({name!r})"  # not the dataclass with its lambdas
    assert hash(s) == hash(A.spec(name)) and {s: 1}[A.spec(name)] == 1


def test_bound_and_formula_values_show_in_reprs():
    elu = A.spec("elu", alpha=0.5)
    assert repr(elu) == "ActivationSpec('elu', alpha=0.5)" and elu in {A.spec("elu", alpha=0.5)}
    assert hash(elu) != hash(A.spec("elu"))
    formula = A.spec("x*sigmoid(b*x)", b=1.5, learnable=True)
    assert repr(formula) == "ActivationSpec('x*sigmoid(b*x)', b=1.5, learnable=True)"
    assert repr(formula.module()) == "Activation(x*sigmoid(b*x); b=1.5, learnable=True)"
    assert repr(A.get("elu", alpha=0.5)) == "Activation(elu(alpha=0.5))"


def _gelu_reference(x: float, approximate: str) -> tuple[float, float]:
    """GELU and its derivative by mpmath at 200 digits (1 + tanh z cancels 1e-62 at x = -12):
    x Φ(x), Φ(x) + x φ(x), or the tanh form's x (1 + tanh z)/2 and its derivative as written
    by Hendrycks & Gimpel, z = √(2/π)(x + 0.044715 x³)."""
    import mpmath

    with mpmath.workdps(200):
        x = mpmath.mpf(x)
        if approximate == "tanh":
            z = mpmath.sqrt(2 / mpmath.pi) * (x + mpmath.mpf("0.044715") * x**3)
            dz = mpmath.sqrt(2 / mpmath.pi) * (1 + 3 * mpmath.mpf("0.044715") * x**2)
            gate = (1 + mpmath.tanh(z)) / 2
            return float(x * gate), float(gate + x * (1 - mpmath.tanh(z) ** 2) / 2 * dz)
        cdf, pdf = mpmath.ncdf(x), mpmath.npdf(x)
        return float(x * cdf), float(cdf + x * pdf)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_keeps_its_left_tail(approximate):
    """1 + erf(x/√2) (or 1 + tanh) rounds to 0 below x ≈ -8.3 (-7.2) in float64, where GELU is
    ~1e-16: f and f' came out exactly 0, a false dead zone for gelu(x)**2 in the audit."""
    s = A.spec("gelu", approximate=approximate)
    xs = [-1.0, -5.0, -7.5, -8.4, -10.0, -12.0]  # the tanh form underflows from x ≈ -16
    x = torch.tensor(xs, dtype=torch.float64)
    for got, want in ((s.forward(x), 0), (s.derivative(x), 1)):
        ref = torch.tensor([_gelu_reference(v, approximate)[want] for v in xs], dtype=x.dtype)
        assert bool((ref != 0).all())
        torch.testing.assert_close(got, ref, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name, params", [
    ("swish", {"beta": 2.0}), ("swish", {"beta": 0.5}), ("elu", {"alpha": 2.0}),
    ("celu", {"alpha": 0.5}), ("hard_tanh", {"min_val": -2.0, "max_val": 3.0}),
])  # fmt: skip
def test_the_output_range_moves_with_the_parameters(name, params):
    """Bound away from its defaults, an activation's stated range is the one f reaches
    (swish at β=2 said [-0.278, ∞), the β=1 value, where f's minimum is -0.139)."""
    s = A.spec(name, **params)
    low, high = (p.strip("[]() ") for p in s.properties.output_range.split(","))
    f = s.forward(torch.linspace(-60, 60, 240_001, dtype=torch.float64))
    assert float(low) == pytest.approx(f.min().item(), rel=2e-3, abs=1e-3)
    if high != "∞":
        assert float(high) == pytest.approx(f.max().item())


def test_swish_at_beta_0_is_a_line_and_its_properties_say_so():
    p = A.spec("swish", beta=0.0).properties
    said = (p.output_range, p.monotonic, p.bounded_below, p.saturates)
    assert said == ("(-∞, ∞)", True, False, "none")

"""The fused path (``fused=True``): the C kernels against the Python rules and torch.optim.

Parametrised over every registered optimizer that takes ``fused``, so a new kernel is tested as
soon as its class accepts the argument.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import pytest
import torch
from test_optimizers import (
    LR,
    PARITY,
    _mlp,
    _mlp_data,
    _run_rosenbrock,
    _train_mlp,
    torch_reference,
)

import actopt.optim as O
from actopt.optim import _fused

FUSED = [n for n in O.names() if O.spec(n).fused]
FUSED_PARITY = [(n, h) for n, h in PARITY if n in FUSED]
FUSED_IDS = [
    f"{n}-{'-'.join(f'{k}={v}' for k, v in h.items()) or 'defaults'}" for n, h in FUSED_PARITY
]


def _make(name, fused, **hyper):
    hyper = {"lr": LR.get(name, 1e-2), **hyper}
    return lambda ps: O.get(name)(ps, **hyper, **({"fused": True} if fused else {}))


def _same(a, b, tol):
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(pa, pb, rtol=tol, atol=tol)


def _torch_runs_fused_on_cpu(name: str) -> bool:
    cls, kwargs = O.spec(name).torch_equivalent
    try:
        cls([torch.nn.Parameter(torch.ones(2))], **kwargs, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


def test_every_optimizer_torch_runs_fused_on_cpu_has_a_kernel_too():
    torch_fused = [
        n for n in O.names() if O.spec(n).torch_equivalent and _torch_runs_fused_on_cpu(n)
    ]
    assert torch_fused and set(torch_fused) <= set(FUSED)


@pytest.mark.parametrize(("name", "hyper"), FUSED_PARITY, ids=FUSED_IDS)
def test_fused_matches_torch_on_rosenbrock_float64(name, hyper):
    ref_cls, ref_kwargs = torch_reference(name)
    hyper = {"lr": LR.get(name, 1e-2), **hyper}
    a, _ = _run_rosenbrock(lambda ps: O.get(name)(ps, **hyper, fused=True))
    b, _ = _run_rosenbrock(lambda ps: ref_cls(ps, **{**ref_kwargs, **hyper}, foreach=False))
    assert torch.isfinite(a).all()
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "hyper"), FUSED_PARITY, ids=FUSED_IDS)
@pytest.mark.parametrize("maximize", [False, True])
def test_fused_matches_the_python_rule_on_an_mlp_float64(name, hyper, maximize):
    """Tensors long enough for the vectorised loops; float64, where sqrt rounds the same."""
    hyper = {**hyper, "maximize": maximize}
    a, opt_a = _train_mlp(_make(name, True, **hyper), steps=30, dtype=torch.float64)
    b, opt_b = _train_mlp(_make(name, False, **hyper), steps=30, dtype=torch.float64)
    _same(a, b, 1e-12)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        for key, value in opt_b.state[pb].items():
            torch.testing.assert_close(opt_a.state[pa][key], value, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "hyper"), FUSED_PARITY, ids=FUSED_IDS)
def test_one_fused_float32_step_is_the_python_rule_to_rounding(name, hyper):
    """float32 from a warmed-up state: the kernel's sqrt is correctly rounded, torch's float32
    sqrt is not always, so the two may differ by an ulp in a denominator and no more."""
    model, opt = _train_mlp(_make(name, False, **hyper), steps=5)
    twin = copy.deepcopy(model)
    fused = _make(name, True, **hyper)(twin.parameters())
    fused.load_state_dict(copy.deepcopy(opt.state_dict()))  # loading shares tensors otherwise
    assert fused.param_groups[0]["fused"] is True  # the path stays the one asked for
    x, y = _mlp_data()
    for m, o in ((model, opt), (twin, fused)):
        o.zero_grad()
        torch.nn.functional.cross_entropy(m(x), y).backward()
        o.step()
    _same(model, twin, 1e-6)


@pytest.mark.parametrize(("name", "hyper"), FUSED_PARITY, ids=FUSED_IDS)
def test_fused_trains_an_mlp_float32_like_torch(name, hyper):
    """100 float32 steps: SGD's family is bit-exact with torch.optim; the adaptive ones drift
    by rounding (see above) about as far as torch's own fused and single-tensor paths do."""
    ref_cls, ref_kwargs = torch_reference(name)
    hyper = {"lr": LR.get(name, 1e-2), **hyper}
    a, _ = _train_mlp(lambda ps: O.get(name)(ps, **hyper, fused=True))
    b, _ = _train_mlp(lambda ps: ref_cls(ps, **{**ref_kwargs, **hyper}, foreach=False))
    _same(a, b, 1e-3 if O.spec(name).adaptive else 0)  # no sqrt, no division: exact


def _parity_over_two_threads(name, shapes, **hyper):
    """Three steps on float64 tensors of ``shapes`` with two threads: fused against the rule."""
    threads = torch.get_num_threads()
    torch.set_num_threads(max(threads, 2))
    try:
        results = []
        for fused in (False, True):
            g = torch.Generator().manual_seed(0)
            ps = [
                torch.nn.Parameter(torch.randn(s, generator=g, dtype=torch.float64)) for s in shapes
            ]
            opt = _make(name, fused, **hyper)(ps)
            for _ in range(3):
                for p in ps:
                    p.grad = torch.randn(p.shape, generator=g, dtype=torch.float64)
                opt.step()
            results.append(ps)
    finally:
        torch.set_num_threads(threads)
    for a, b in zip(*results, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", FUSED)
def test_threads_split_tensors_anywhere(name):
    """Sizes that are not multiples of 64 and a total large enough for every thread: the
    spans cut across tensor boundaries and must still cover each element exactly once."""
    _parity_over_two_threads(name, [(70001,), (3,), (257, 259), (1,), (40000,)])


@pytest.mark.parametrize("name", FUSED)
def test_mixed_dtypes_and_strided_gradients(name):
    """float32 and float64 parameters in one group run as one call per dtype; a transposed
    gradient is read through a contiguous copy."""
    results = []
    for fused in (False, True):
        g = torch.Generator().manual_seed(0)
        w32 = torch.nn.Parameter(torch.randn(40, 30, generator=g))
        w64 = torch.nn.Parameter(torch.randn(30, 40, generator=g, dtype=torch.float64))
        opt = _make(name, fused)([w32, w64])
        for _ in range(3):
            w32.grad = torch.randn(30, 40, generator=g).t()  # not contiguous
            w64.grad = torch.randn(30, 40, generator=g, dtype=torch.float64)
            opt.step()
        results.append((w32.detach().clone(), w64.detach().clone()))
    (a32, a64), (b32, b64) = results
    torch.testing.assert_close(a32, b32, rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(a64, b64, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", FUSED)
def test_state_dict_moves_between_paths(name):
    """Half the run on the Python rule, the rest fused, equals the whole run on either."""
    full, _ = _train_mlp(_make(name, False), steps=20, dtype=torch.float64)
    half, opt = _train_mlp(_make(name, False), steps=10, dtype=torch.float64)
    fused = _make(name, True)(half.parameters())
    fused.load_state_dict(copy.deepcopy(opt.state_dict()))
    x, y = _mlp_data(torch.float64)
    for _ in range(10):
        fused.zero_grad()
        torch.nn.functional.cross_entropy(half(x), y).backward()
        fused.step()
    _same(full, half, 1e-12)
    assert fused.state_dict()["param_groups"][0]["fused"] is True


@pytest.mark.parametrize("name", FUSED)
def test_fused_step_without_grads_and_with_lr_zero_changes_nothing(name):
    model = _mlp()
    before = copy.deepcopy(model.state_dict())
    opt = O.get(name)(model.parameters(), fused=True)
    opt.step()
    assert opt.state_dict()["state"] == {}
    w = torch.nn.Parameter(torch.ones(100))
    opt = O.get(name)([w], lr=0.0, fused=True)
    w.grad = torch.ones(100)
    opt.step()
    assert torch.equal(w.data, torch.ones(100))
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])


@pytest.mark.parametrize("name", FUSED)
def test_fused_refuses_what_its_kernels_cannot_take(name):
    cls = O.get(name)
    with pytest.raises(ValueError, match="choose one"):
        cls([torch.nn.Parameter(torch.ones(3))], fused=True, foreach=True)
    with pytest.raises(ValueError, match="fused must be"):
        cls([torch.nn.Parameter(torch.ones(3))], fused="yes")
    with pytest.raises(ValueError, match="float32 or float64"):
        cls([torch.nn.Parameter(torch.ones(3, dtype=torch.float16))], fused=True)
    with pytest.raises(ValueError, match="contiguous"):
        cls([torch.nn.Parameter(torch.ones(4, 3).t())], fused=True)
    # state that does not fit its parameter (a state_dict from another model) is caught
    w = torch.nn.Parameter(torch.ones(8))
    opt = cls([w], fused=True, **({"momentum": 0.9} if name == "sgd" else {}))  # sgd: some state
    w.grad = torch.ones(8)
    opt.step()
    keys = [k for k, v in opt.state[w].items() if isinstance(v, torch.Tensor) and v.numel() == 8]
    assert keys
    for key in keys:
        opt.state[w][key] = torch.zeros(4)
    with pytest.raises(ValueError, match="buffer"):
        opt.step()


def test_optimizers_without_a_kernel_do_not_take_fused():
    with pytest.raises(TypeError, match="fused"):
        O.Lion([torch.nn.Parameter(torch.ones(3))], fused=True)


@pytest.fixture
def fresh_kernels(tmp_path, monkeypatch):
    """An empty kernel cache and a library loaded afresh; the process's library afterwards."""
    monkeypatch.setenv("ACTOPT_KERNELS", str(tmp_path))
    _fused.library.cache_clear()
    yield tmp_path
    _fused.library.cache_clear()


def test_a_missing_compiler_is_a_clear_error(fresh_kernels, monkeypatch):
    monkeypatch.setenv("CC", "no-such-compiler-xyz")
    with pytest.raises(_fused.FusedUnavailable, match=r"no-such-compiler-xyz.*not found"):
        O.Adam([torch.nn.Parameter(torch.ones(3))], fused=True)
    O.Adam([torch.nn.Parameter(torch.ones(3))])  # the other paths need no compiler


def test_a_failing_build_reports_the_compiler_output(fresh_kernels, monkeypatch):
    fake = fresh_kernels / "fakecc"
    fake.write_text("#!/bin/sh\necho 'fakecc: something broke' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("CC", str(fake))
    with pytest.raises(_fused.FusedUnavailable, match="something broke"):
        _fused.library()
    assert not list(fresh_kernels.glob("*.so*"))  # no half-written library left behind


def test_the_build_is_cached(fresh_kernels):
    _fused.library()
    (built,) = fresh_kernels.glob("fused-*.so")
    stamp = built.stat().st_mtime_ns
    _fused.library.cache_clear()
    _fused.library()
    assert built.stat().st_mtime_ns == stamp  # loaded, not rebuilt


def test_a_damaged_cache_entry_is_rebuilt(tmp_path):
    """A truncated library where the build should be (a disk filled up mid-copy, say): a new
    process rebuilds it. In a subprocess, since a process cannot unload a library it loaded."""
    target = _fused.library_path(_fused._compiler(), _fused._flag_sets()[0], tmp_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"not a shared library")
    code = (
        "import torch, actopt.optim as O\n"
        "w = torch.nn.Parameter(torch.ones(3)); opt = O.Adam([w], lr=0.1, fused=True)\n"
        "w.grad = torch.ones(3); opt.step(); print(w.tolist())\n"
    )
    env = {**os.environ, "ACTOPT_KERNELS": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert [float(x) for x in out.stdout.strip("[]\n").split(",")] == pytest.approx([0.9] * 3)
    assert target.read_bytes()[:4] == b"\x7fELF"


def test_the_plain_threads_build_where_torch_has_no_libgomp(fresh_kernels, monkeypatch):
    """macOS and other torch builds bring another OpenMP (or none): the kernels then start
    their own threads instead of loading a second OpenMP runtime."""
    monkeypatch.setattr(_fused, "_torch_uses_libgomp", lambda: False)
    assert all("-fopenmp" not in flags for flags in _fused._flag_sets())
    _parity_over_two_threads("adam", [(90001,), (5,), (300, 301)], weight_decay=0.1)
    assert len(list(fresh_kernels.glob("fused-*.so"))) == 1


def test_a_compiler_without_march_native_gets_the_portable_build(fresh_kernels, monkeypatch):
    wrapper = fresh_kernels / "strictcc"
    wrapper.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do [ "$a" = -march=native ] && { echo "unknown: $a" >&2; exit 1; }; done\n'
        f'exec {_fused._compiler()} "$@"\n'
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("CC", str(wrapper))
    _parity_over_two_threads("adam", [(90001,), (5,), (300, 301)], weight_decay=0.1)
    (built,) = fresh_kernels.glob("fused-*.so")
    # the second flag set: the same threading as the first, without -march=native
    assert built == _fused.library_path(str(wrapper), _fused._flag_sets()[1])
    assert "-march=native" not in _fused._flag_sets()[1]

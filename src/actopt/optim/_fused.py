"""The fused path: an update rule as one pass over memory, in C compiled on first use.

``fused=True`` runs the kernels of ``_fused.c``: for SGD, momentum, NAG, Adam, AdamW and AdaGrad,
as torch.optim offers, and for RMSprop and AdaDelta, where torch.optim has no fused kernel.

The source ships with actopt and is built once per machine with its C compiler (``$CC``, else
``cc``) into ``$ACTOPT_KERNELS`` (default ``~/.cache/actopt/kernels``). The file name carries a
hash of the source, the flags, the compiler and the CPU, so a change to any of them builds
afresh. ``-march=native`` is used where the compiler takes it: the library is built where it
runs, like numba's or torch's JIT extensions. Where torch runs on GNU OpenMP the kernels are
built with ``-fopenmp`` and so join torch's thread pool (measured: own threads started per call
ran 20% slower, competing with torch's spinning workers for the cores).

Scalars (η, β, bias corrections) are computed here in Python doubles, exactly as the Python
rules compute them, and the kernels round them to the tensors' dtype. Each operation rounds as
torch's vectorised CPU kernel for it does (``add(alpha=)``, ``addcmul`` and ``lerp`` as one
fused multiply-add), so SGD and its momentum forms reproduce torch.optim bit for bit.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import torch
from torch import Tensor

from ._ops import is_zero

__all__ = ["FusedUnavailable", "check_tensors", "common_flags", "kernel_dir", "launch", "library"]

SOURCE = Path(__file__).with_name("_fused.c")
# IEEE arithmetic as written: no fast-math, and fma only where the source calls it (where
# torch's kernels fuse); -fno-math-errno only lets sqrt vectorise.
FLAGS = ["-O3", "-std=c11", "-fPIC", "-shared", "-fno-math-errno", "-ffp-contract=off"]
NATIVE = ["-march=native"]
RULES = ("sgd", "adam", "adagrad", "rmsprop", "adadelta")  # _fused.c's entry points, per dtype
DTYPES = {torch.float32: "f32", torch.float64: "f64"}
# the option bits of _fused.c (its bit 64, FIRST, is set by the kernel itself)
MAXIMIZE, WEIGHT_DECAY, DECOUPLED, MOMENTUM, NESTEROV, AMSGRAD, CENTERED = 1, 2, 4, 8, 16, 32, 128


class FusedUnavailable(RuntimeError):
    """The fused kernels cannot be built or loaded on this machine."""


def kernel_dir() -> Path:
    return Path(os.environ.get("ACTOPT_KERNELS") or Path.home() / ".cache" / "actopt" / "kernels")


def _cpu_signature() -> str:
    """What -march=native depends on: the CPU's feature flags where Linux lists them."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return line
    except OSError:
        pass
    return platform.machine() + platform.processor()


def _compiler() -> str:
    cc = os.environ.get("CC") or "cc"
    path = shutil.which(cc)
    if path is None:
        raise FusedUnavailable(
            f"fused=True needs a C compiler to build actopt's kernels, and {cc!r} was not found "
            "(set CC, or install gcc or clang); the default single-tensor and foreach paths "
            "need none"
        )
    return path


def _torch_uses_libgomp() -> bool:
    """Whether this process already has GNU OpenMP loaded (torch's Linux wheels bring it)."""
    try:
        return "libgomp" in Path("/proc/self/maps").read_text()
    except OSError:
        return False


def _flag_sets() -> list[list[str]]:
    """The flags to try, best first: OpenMP only where it joins torch's own libgomp (a second
    OpenMP runtime in one process would fight torch's threads), else plain threads."""
    threads = [["-fopenmp"], ["-pthread"]] if _torch_uses_libgomp() else [["-pthread"]]
    return [FLAGS + t + native for t in threads for native in (NATIVE, [])]


def library_path(cc: str, flags: list[str], folder: Path | None = None) -> Path:
    """Where the library built by ``cc`` with ``flags`` from today's source is cached."""
    version = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout
    key = hashlib.sha256(
        b"\0".join(x.encode() for x in (*flags, version, _cpu_signature())) + SOURCE.read_bytes()
    ).hexdigest()[:16]
    return (folder or kernel_dir()) / f"fused-{key}.so"


def _build(cc: str) -> Path:
    errors = []
    for flags in _flag_sets():
        target = library_path(cc, flags)
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        # build under a temporary name and rename: processes building at once never see half
        # a library, and the last rename wins with an identical file
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".so.tmp")
        os.close(fd)
        try:
            result = subprocess.run(
                [cc, *flags, str(SOURCE), "-o", tmp, "-lm"], capture_output=True, text=True
            )
            if result.returncode == 0:
                os.replace(tmp, target)
                return target
            errors.append(result.stderr.strip())
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise FusedUnavailable(
        f"building actopt's fused kernels with {cc} failed:\n{errors[-1][-2000:]}"
    )


@functools.cache
def library() -> ctypes.CDLL:
    """The compiled kernels, built on first use; raises :class:`FusedUnavailable`."""
    path = _build(_compiler())
    try:
        lib = ctypes.CDLL(str(path))
    except OSError:  # a damaged cache entry: rebuild it once
        path.unlink(missing_ok=True)
        lib = ctypes.CDLL(str(_build(_compiler())))
    for rule in RULES:
        for suffix in DTYPES.values():
            fn = getattr(lib, f"{rule}_{suffix}")
            fn.restype = None
            fn.argtypes = [
                ctypes.c_int,
                ctypes.POINTER(ctypes.c_void_p),
                ctypes.POINTER(ctypes.c_int64),
                ctypes.POINTER(ctypes.c_double),
                ctypes.POINTER(ctypes.c_double),
                ctypes.c_int,
                ctypes.c_int,
            ]
    return lib


def common_flags(group: dict) -> int:
    """The option bits every rule shares: maximize and (coupled) weight decay."""
    return MAXIMIZE * bool(group["maximize"]) | WEIGHT_DECAY * (not is_zero(group["weight_decay"]))


def check_tensors(params: list[Tensor]) -> None:
    """The layout the kernels assume; a clear error instead of a wrong answer. A complex
    parameter runs as its real view (see ``_base``): float32 or float64 pairs."""
    for p in params:
        if p.is_complex():
            p = torch.view_as_real(p)
        if p.device.type != "cpu":
            raise ValueError(
                f"fused=True runs actopt's CPU kernels, but a parameter is on {p.device}; "
                "leave fused unset there (the foreach path is the default off CPU)"
            )
        if p.dtype not in DTYPES:
            raise ValueError(f"fused=True needs float32 or float64 parameters, got {p.dtype}")
        if not p.is_contiguous():
            raise ValueError(
                f"fused=True needs contiguous parameters; one of shape {tuple(p.shape)} is not"
            )


def launch(
    rule: str,
    buffers: list[list[Tensor]],
    per_tensor: list[list[float]],
    scalars: tuple[float, ...],
    flags: int,
) -> None:
    """Run ``rule`` over a list of tensors in one call.

    ``buffers[k][i]`` is buffer k of tensor i (0 the parameter, 1 its gradient, then its state
    tensors); ``per_tensor[s][i]`` is the rule's s-th per-tensor scalar for tensor i. Each step
    pays this function's Python once for all tensors, so it checks with one pass per buffer.

    Stacked replicas (``_replica``): a scalar may be a per-replica ``[K]`` tensor; then every
    tensor is split into its K replica slices along dim 0, one call per replica, each with that
    replica's numbers (the kernels take one value of each).
    """
    if any(isinstance(v, Tensor) for v in (*scalars, *(x for c in per_tensor for x in c))):
        _launch_replicas(rule, buffers, per_tensor, scalars, flags)
        return
    params = buffers[0]
    dtype = params[0].dtype
    if any(p.dtype != dtype for p in params):  # mixed precision: one call per dtype
        for d in {p.dtype for p in params}:
            idx = [i for i, p in enumerate(params) if p.dtype == d]
            sub = [[b[i] for i in idx] for b in buffers]
            launch(rule, sub, [[s[i] for i in idx] for s in per_tensor], scalars, flags)
        return
    numels, pointers, _alive = _pointers(buffers)
    _call(rule, dtype, numels, pointers, [x for column in per_tensor for x in column], scalars,
          flags)  # fmt: skip


def _pointers(buffers: list[list[Tensor]]) -> tuple[list[int], list[int], list[Tensor]]:
    """Each tensor's element count, and the data pointers of every buffer (buffer-major), after
    checking the layout; the third item keeps alive the contiguous copies of gradients made."""
    params = buffers[0]
    dtype = params[0].dtype
    check_tensors(params)
    numels = [p.numel() for p in params]
    # a gradient is only read, so a contiguous copy will do (kept alive by the caller)
    grads = [g if g.is_contiguous() else g.contiguous() for g in buffers[1]]
    pointers = [p.data_ptr() for p in params]
    for k, tensors in enumerate([grads, *buffers[2:]], start=1):
        for t, n in zip(tensors, numels, strict=True):
            if t.dtype != dtype or t.numel() != n or not t.is_contiguous():
                raise ValueError(
                    f"fused=True: buffer {k} of a {n}-element {dtype} parameter is a "
                    f"{tuple(t.shape)} {t.dtype} tensor{'' if t.is_contiguous() else ' (strided)'}"
                )
        pointers += [t.data_ptr() for t in tensors]
    return numels, pointers, grads


def _call(rule: str, dtype: torch.dtype, numels: list[int], pointers: list[int],
          slots: list[float], scalars: tuple[float, ...], flags: int) -> None:  # fmt: skip
    getattr(library(), f"{rule}_{DTYPES[dtype]}")(
        len(numels),
        (ctypes.c_void_p * len(pointers))(*pointers),
        (ctypes.c_int64 * len(numels))(*numels),
        (ctypes.c_double * len(slots))(*slots),
        (ctypes.c_double * len(scalars))(*scalars),
        flags,
        torch.get_num_threads(),
    )


def _launch_replicas(
    rule: str, buffers: list[list[Tensor]], per_tensor: list[list], scalars: tuple, flags: int
) -> None:
    """``launch`` once per replica on the replica slices ``t[k]`` of stacked tensors. The
    layout is checked once, on the stacked tensors: replica k's slice of a contiguous tensor
    starts ``k`` slice lengths after its first element (a check and 4·P slices per replica
    took as long as the update itself at K = 10)."""
    params = buffers[0]
    replicas, dtype = params[0].shape[0], params[0].dtype

    def column(v):  # one value per replica
        return v.tolist() if isinstance(v, Tensor) else [v] * replicas

    per_tensor_k = [[column(v) for v in col] for col in per_tensor]
    scalars_k = [column(v) for v in scalars]
    if any(p.dtype != dtype for p in params):  # mixed precision: slice by slice
        for k in range(replicas):
            launch(
                rule,
                [[t[k] for t in tensors] for tensors in buffers],
                [[v[k] for v in col] for col in per_tensor_k],
                tuple(v[k] for v in scalars_k),
                flags,
            )
        return
    numels, pointers, _alive = _pointers(buffers)
    lengths = [n // replicas for n in numels]
    steps = [n * params[0].element_size() for n in lengths] * len(buffers)  # bytes per replica
    for k in range(replicas):
        _call(
            rule, dtype, lengths, [p + k * b for p, b in zip(pointers, steps, strict=True)],
            [v[k] for col in per_tensor_k for v in col], tuple(v[k] for v in scalars_k), flags,
        )  # fmt: skip

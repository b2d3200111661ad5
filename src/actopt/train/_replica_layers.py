"""Batched layers: K replicas of one layer as one computation, parameters stacked [K, …] on dim 0.

Three activation layouts travel between them, each with the replica dim first:

- *rows* ``[K, N, F]`` (after a flatten): a linear layer is one ``torch.baddbmm``;
- *signal* ``[K, N, L, C]`` (1-D, channels last): a convolution is im2col (each output
  position's input window as a row) and one ``baddbmm`` with the ``[K, k·C_in, C_out]`` filters;
- *planes* (2-D): each replica's convolutional trunk runs on its own ``[N, C, H, W]`` tensors
  (``one(k, x)`` of each layer), then the features are stacked ``[K, N, F]``.

Each layer is built from the K solo layers, so replica k starts with exactly the
weights of its solo run, and gives them back in the solo layout (``solo_state(k)``). The first
weighted layer also has ``forward_shared(x)`` for one input shared by every replica (evaluation,
the diagnostics probe), with no K-fold copy of the input (batch stride 0).

Chosen by measurement (``benchmarks/engine.py --strategies``): ``torch.func`` (``vmap`` of
``functional_call``) was never faster and cannot run actopt's custom autograd Function
activations; for MNIST-1D's small 1-D convolutions im2col + bmm (with its own col2im backward:
autograd's ``unfold`` backward took half the step) beat one grouped ``conv1d``; for LeNet's 2-D
ones (5×5, 16 and 32 channels, 28×28) the K trunks one after another beat one grouped ``conv2d``
(up to twice as long from K = 10), im2col (its 25-fold copies: four times) and even K
convolutions per layer on stacked tensors (1.6 times: 64 MB layers fall out of cache).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from ..activations import Activation

__all__ = [
    "PLANES",
    "ROWS",
    "SIGNAL",
    "ReplicaActivation",
    "ReplicaConv",
    "ReplicaConv1d",
    "ReplicaDropout",
    "ReplicaLinear",
    "ReplicaNorm",
    "channels_view",
]

ROWS, SIGNAL, PLANES = "rows", "signal", "planes"
_NARROW = 32  # fewer outputs than this: _NarrowLinear (measured 2-5× at 10, no gain at 64)


def _stack(tensors: Sequence[Tensor]) -> nn.Parameter:
    return nn.Parameter(torch.stack([t.detach() for t in tensors]).contiguous())


def channels_view(x: Tensor, layout: str) -> Tensor:
    """x as ``[N, K, C, *spatial]`` (rows: C = F), the layout of per-channel torch functions
    once K·C is taken for the channels; its own inverse."""
    return x.permute(1, 0, 3, 2) if layout == SIGNAL else x.transpose(0, 1)


def _narrowed(p: nn.Parameter, keep: Tensor) -> nn.Parameter:
    """A new parameter (and gradient) of the rows ``keep``: a leaf cannot change its shape in
    place (autograd keeps the shape it had when it first accumulated a gradient)."""
    new = nn.Parameter(p.detach().index_select(0, keep), requires_grad=p.requires_grad)
    if p.grad is not None:
        new.grad = p.grad.index_select(0, keep)
    return new


class _Replicated(nn.Module):
    """Every parameter and buffer has the replica dim first; ``select`` keeps some replicas and
    returns {old parameter: new parameter}, for the optimizer to follow."""

    def select(self, keep: Tensor) -> dict[Tensor, Tensor]:
        swapped = {}
        for name, p in list(self.named_parameters(recurse=False)):
            swapped[p] = _narrowed(p, keep.to(p.device))
            setattr(self, name, swapped[p])
        for name, b in list(self.named_buffers(recurse=False)):
            setattr(self, name, b.index_select(0, keep.to(b.device)))
        return swapped


class _NarrowLinear(torch.autograd.Function):
    """``h @ Wᵀ + b`` for few outputs, W ``[K, out, in]``. MKL's batched GEMM is 2-5× slower
    with so few columns than on the same product transposed, so each of the three products is
    taken in its fast form, and every result is contiguous (a transposed gradient made the
    next ReLU's backward 17× slower)."""

    @staticmethod
    def forward(ctx, h: Tensor, w: Tensor, bias: Tensor | None) -> Tensor:
        ctx.save_for_backward(h, w)
        ctx.has_bias = bias is not None
        out = torch.bmm(w, h.transpose(1, 2)).transpose(1, 2)  # [K, N, out]
        return (out + bias.unsqueeze(1) if bias is not None else out).contiguous()

    @staticmethod
    def backward(ctx, g: Tensor):
        h, w = ctx.saved_tensors
        grad_h = torch.bmm(g, w) if ctx.needs_input_grad[0] else None
        grad_w = torch.bmm(g.transpose(1, 2), h)
        return grad_h, grad_w, g.sum(1) if ctx.has_bias else None


class ReplicaLinear(_Replicated):
    """``out[k] = h[k] @ W[k] + b[k]``: W stored ``[K, in, out]``, the layout bmm reads fastest,
    or for few outputs (the classes) ``[K, out, in]`` for :class:`_NarrowLinear`."""

    def __init__(self, solos: Sequence[nn.Linear]) -> None:
        super().__init__()
        self.narrow = solos[0].out_features < _NARROW
        self.weight = _stack([m.weight if self.narrow else m.weight.t() for m in solos])
        self.bias = _stack([m.bias for m in solos]) if solos[0].bias is not None else None

    def forward(self, h: Tensor) -> Tensor:  # [K, N, in] → [K, N, out]
        if self.narrow:
            return _NarrowLinear.apply(h, self.weight, self.bias)
        if self.bias is None:
            return torch.bmm(h, self.weight)
        return torch.baddbmm(self.bias.unsqueeze(1), h, self.weight)

    def forward_shared(self, x: Tensor) -> Tensor:  # [N, in] for every replica → [K, N, out]
        return self(x.expand(self.weight.shape[0], *x.shape))  # batch stride 0: no copies

    def solo_state(self, k: int) -> dict[str, Tensor]:
        state = {"weight": self.weight[k] if self.narrow else self.weight[k].t()}
        if self.bias is not None:
            state["bias"] = self.bias[k]
        return state


class ReplicaConv(_Replicated):
    """A 2-D convolution, replica by replica: ``one(k, x)`` runs replica k's filters (stacked
    ``[K, out, in, kh, kw]`` as the solo layers have them) on its ``[N, in, H, W]`` input."""

    def __init__(self, solos: Sequence[nn.Conv2d]) -> None:
        super().__init__()
        m = solos[0]
        self.stride, self.padding = m.stride, m.padding
        self.weight = _stack([s.weight for s in solos])
        self.bias = _stack([s.bias for s in solos]) if m.bias is not None else None

    def one(self, k: int, x: Tensor) -> Tensor:
        bias = self.bias[k] if self.bias is not None else None
        return F.conv2d(x, self.weight[k], bias, self.stride, self.padding)

    def solo_state(self, k: int) -> dict[str, Tensor]:
        state = {"weight": self.weight[k]}
        if self.bias is not None:
            state["bias"] = self.bias[k]
        return state


class _Im2col(torch.autograd.Function):
    """``[K, N, L, C]`` → ``[K, N·L_out, k·C]``: row (n, t) holds the input window of output
    position t, tap-major. Backward (col2im) adds each tap's gradient back with one strided add
    per tap, where autograd's generic ``unfold`` backward is several times slower."""

    @staticmethod
    def forward(ctx, x: Tensor, k: int, stride: int, pad: int) -> Tensor:
        reps, n, length, c = x.shape
        windows = F.pad(x, (0, 0, pad, pad)).unfold(2, k, stride)  # [K, N, L_out, C, k]
        ctx.shape = (reps, n, length, c, k, stride, pad, windows.shape[2])
        return windows.transpose(3, 4).reshape(reps, n * windows.shape[2], k * c)

    @staticmethod
    def backward(ctx, g: Tensor):
        reps, n, length, c, k, stride, pad, out = ctx.shape
        g = g.view(reps, n, out, k, c)
        grad = g.new_zeros(reps, n, length + 2 * pad, c)
        for j in range(k):
            grad[:, :, j : j + stride * (out - 1) + 1 : stride] += g[:, :, :, j]
        return grad[:, :, pad : pad + length], None, None, None


class ReplicaConv1d(_Replicated):
    """A 1-D convolution as im2col + one bmm, on the signal layout ``[K, N, L, C]``. The filters
    are stored ``[K, k, C_in, C_out]``: a free view as the ``[K, k·C_in, C_out]`` matrix."""

    def __init__(self, solos: Sequence[nn.Conv1d]) -> None:
        super().__init__()
        m = solos[0]
        (self.k,), (self.stride,), (self.pad,) = m.kernel_size, m.stride, m.padding
        self.weight = _stack([s.weight.permute(2, 1, 0) for s in solos])
        self.bias = _stack([s.bias for s in solos]) if m.bias is not None else None

    def forward(self, h: Tensor) -> Tensor:  # [K, N, L, C_in] → [K, N, L_out, C_out]
        reps, n = h.shape[:2]
        cols = _Im2col.apply(h, self.k, self.stride, self.pad)
        w = self.weight.view(reps, -1, self.weight.shape[-1])
        out = (
            torch.bmm(cols, w)
            if self.bias is None
            else torch.baddbmm(self.bias.unsqueeze(1), cols, w)
        )
        return out.view(reps, n, -1, w.shape[-1])

    def forward_shared(self, x: Tensor) -> Tensor:  # [N, C_in, L] for every replica
        signal = x.transpose(1, 2)  # [N, L, C_in]
        return self(signal.expand(self.weight.shape[0], *signal.shape))

    def solo_state(self, k: int) -> dict[str, Tensor]:
        state = {"weight": self.weight[k].permute(2, 1, 0)}
        if self.bias is not None:
            state["bias"] = self.bias[k]
        return state


class ReplicaNorm(_Replicated):
    """Batch norm (statistics per replica and channel: replica k's channels are channels of
    their own) or layer norm (rows only), with affine parameters and running stats per replica."""

    def __init__(self, solos: Sequence[nn.Module]) -> None:
        super().__init__()
        m = solos[0]
        self.batch = isinstance(m, nn.modules.batchnorm._BatchNorm)
        self.eps = m.eps
        self.weight, self.bias = _stack([s.weight for s in solos]), _stack([s.bias for s in solos])
        if self.batch:
            self.momentum = m.momentum
            self.register_buffer("running_mean", torch.stack([s.running_mean for s in solos]))
            self.register_buffer("running_var", torch.stack([s.running_var for s in solos]))
            self.register_buffer("tracked", torch.stack([s.num_batches_tracked for s in solos]))

    def forward(self, x: Tensor, layout: str) -> Tensor:
        if not self.batch:  # rows [K, N, F]
            y = F.layer_norm(x, x.shape[-1:], eps=self.eps)
            return torch.addcmul(self.bias.unsqueeze(1), y, self.weight.unsqueeze(1))
        if self.training:
            self.tracked += 1
        view = channels_view(x, layout)  # [N, K, C, …]
        y = F.batch_norm(
            view.flatten(1, 2), self.running_mean.view(-1), self.running_var.view(-1),
            self.weight.reshape(-1), self.bias.reshape(-1), self.training, self.momentum, self.eps,
        )  # fmt: skip
        return channels_view(y.view(view.shape), layout)

    def one(self, k: int, x: Tensor) -> Tensor:
        """Replica k's norm on its own ``[N, C, …]`` input (batch norm, as in a planes trunk)."""
        if self.training and k == 0:
            self.tracked += 1
        return F.batch_norm(
            x, self.running_mean[k], self.running_var[k], self.weight[k], self.bias[k],
            self.training, self.momentum, self.eps,
        )  # fmt: skip

    def solo_state(self, k: int) -> dict[str, Tensor]:
        state = {"weight": self.weight[k], "bias": self.bias[k]}
        if self.batch:
            state.update(running_mean=self.running_mean[k], running_var=self.running_var[k])
            state["num_batches_tracked"] = self.tracked[k]
        return state


class ReplicaDropout(nn.Module):
    """Dropout with each replica's mask drawn from its own generator, in its solo run's order
    (``bernoulli_(1 - p)`` on a tensor of the solo shape, then ``/ (1 - p)``, as CPU ``F.dropout``
    does), so replica k drops exactly the units its solo run drops on the CPU. (On a GPU the
    masks are still drawn on the CPU and copied over: deterministic, not the GPU run's.)"""

    def __init__(self, p: float, generators: list[torch.Generator]) -> None:
        super().__init__()
        self.p, self.generators = p, generators

    def forward(self, x: Tensor) -> Tensor:  # rows [K, N, F]
        if not self.training or self.p == 0:
            return x
        noise = torch.empty(x.shape, dtype=x.dtype)  # on the CPU, whatever x's device
        for k, g in enumerate(self.generators):
            noise[k].bernoulli_(1 - self.p, generator=g)
        return x * noise.div_(1 - self.p).to(x.device)

    def select(self, keep: Tensor) -> dict[Tensor, Tensor]:
        self.generators = [self.generators[i] for i in keep.tolist()]
        return {}


class ReplicaActivation(nn.Module):
    """Each replica's activation on its own slice. ``keys[k]`` names replica k's activation (equal
    keys, equal functions); one distinct key is one call on the whole tensor.

    A learnable activation (PReLU's slope, a trained Swish β) is the same function for every
    replica of a group, with its parameters stacked ``[K, count]``: the replica dim is moved next
    to the channels so the module's own per-channel broadcasting applies replica k's values to
    replica k's slice.
    """

    def __init__(self, solos: Sequence[nn.Module], keys: Sequence[Hashable]) -> None:
        super().__init__()
        self.keys = list(keys)
        self.names = [str(getattr(getattr(m, "spec", None), "name", type(m).__name__.lower()))
                      for m in solos]  # fmt: skip
        trained = dict(solos[0].named_parameters())
        if trained and len(set(self.keys)) > 1:
            raise ValueError("replicas of a learnable activation must share one activation")
        # not registered: a learnable one runs with the stacked values (functional_call), and
        # the others hold nothing to train or move
        self.modules_by_key: dict[Hashable, nn.Module] = {}
        for key, m in zip(self.keys, solos, strict=True):
            self.modules_by_key.setdefault(key, m)
        # the same function computed in place, for an input nothing else needs (forward(fresh=))
        self.in_place: dict[Hashable, nn.Module] = {}
        for key, m in self.modules_by_key.items():
            if isinstance(m, Activation) and (twin := Activation(m.spec, inplace=True)).inplace:
                self.in_place[key] = twin
        self.trained = list(trained)
        self.stacked = nn.ParameterList(
            [_stack([dict(m.named_parameters())[n] for m in solos]) for n in self.trained]
        )
        self._plan()

    def _plan(self) -> None:
        groups: dict[Hashable, list[int]] = {}
        for k, key in enumerate(self.keys):
            groups.setdefault(key, []).append(k)
        self.groups = list(groups.items())
        order = [k for _, idx in self.groups for k in idx]
        self.contiguous = order == list(range(len(order)))
        self.inverse = torch.argsort(torch.tensor(order)) if not self.contiguous else None

    def _learnable(self, x: Tensor, layout: str) -> Tensor:
        xr = channels_view(x, layout)  # [N, K, C, …]
        module = self.modules_by_key[self.keys[0]]
        count = self.stacked[0].shape[1]
        flat = count > 1  # per-channel values: the channel dim joins the replica dim
        inner = xr.flatten(1, 2) if flat else xr
        values = {n: p.reshape(-1) for n, p in zip(self.trained, self.stacked, strict=True)}
        y = functional_call(module, values, (inner,))
        return channels_view(y.reshape(xr.shape), layout)

    def one(self, k: int, x: Tensor) -> Tensor:
        """Replica k's activation on its own input, with its own trained values."""
        module = self.modules_by_key[self.keys[k]]
        if not self.trained:
            return module(x)
        values = {n: p[k] for n, p in zip(self.trained, self.stacked, strict=True)}
        return functional_call(module, values, (x,))

    def forward(self, x: Tensor, layout: str, fresh: bool = False) -> Tensor:
        """``fresh``: x is a layer's new output that its own backward does not read, so an
        activation with an in-place kernel may overwrite it (one tensor less to allocate and
        write per layer; the values and gradients are the same)."""
        if self.trained:
            return self._learnable(x, layout)
        if len(self.groups) == 1:
            key = self.groups[0][0]
            module = self.modules_by_key[key]
            if fresh and key in self.in_place:
                twin = self.in_place[key]
                twin.training = module.training  # neither is registered: mirror the solo one
                return twin(x)
            return module(x)
        if self.contiguous:  # replica dim 0 in every layout
            # one split, not a narrow per key: a narrow's backward writes its slice into a zero
            # tensor of the whole shape, and autograd sums one such tensor per key
            pieces = x.split([len(idx) for _, idx in self.groups])
        else:
            pieces = [
                x.index_select(0, torch.tensor(idx, device=x.device)) for _, idx in self.groups
            ]
        y = torch.cat(
            [
                self.modules_by_key[key](part)
                for (key, _), part in zip(self.groups, pieces, strict=True)
            ]
        )
        return y.index_select(0, self.inverse.to(x.device)) if self.inverse is not None else y

    def select(self, keep: Tensor) -> dict[Tensor, Tensor]:
        positions = keep.tolist()
        self.keys = [self.keys[i] for i in positions]
        self.names = [self.names[i] for i in positions]
        swapped = {}
        for i, p in enumerate(self.stacked):
            swapped[p] = self.stacked[i] = _narrowed(p, keep.to(p.device))
        self._plan()
        return swapped

    def solo_state(self, k: int) -> dict[str, Tensor]:
        return {n: p[k] for n, p in zip(self.trained, self.stacked, strict=True)}

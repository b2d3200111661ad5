"""One generic wrapper from an :class:`ActivationSpec` to an ``nn.Module``.

When torch has a built-in kernel for the activation, the module calls it (fastest, and torch's own
autograd). Otherwise it runs :class:`SpecFunction`, a custom ``autograd.Function`` whose backward
calls the spec's hand-derived derivative and which saves only the input (and the trainable
parameters): intermediates such as ``sigmoid(βx)`` are recomputed in backward rather than kept,
as timm's memory-efficient activations do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:  # a spec builds its module (ActivationSpec.module): no import back at run time
    from ._spec import ActivationSpec

__all__ = ["Activation", "SpecFunction", "SpecFunctionJvp"]


def _broadcast_param(t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Shape a per-channel parameter (C,) so it broadcasts over x's channel dim 1, as nn.PReLU."""
    if t.dim() == 0 or t.numel() == 1 or x.dim() < 2:
        return t.reshape(()) if t.numel() == 1 else t
    return t.view(1, -1, *([1] * (x.dim() - 2)))


def _params(spec: ActivationSpec, names: tuple, x: torch.Tensor, tensors) -> dict[str, Any]:
    """The spec's values with the trainable ones as (broadcast) tensors."""
    params = dict(spec.values)
    params.update({n: _broadcast_param(t, x) for n, t in zip(names, tensors, strict=True)})
    return params


class SpecFunction(torch.autograd.Function):
    """f and f' of a spec as an autograd Function: ``apply(x, spec, names, *param_tensors)``.

    Written in the ``forward`` + ``setup_context`` form with a generated vmap rule, so
    ``torch.func`` (vmap, grad, jacrev) transforms it like any torch operation, and
    ``torch.compile`` (fullgraph too) traces it; :class:`SpecFunctionJvp` adds forward mode.
    """

    generate_vmap_rule = True

    @staticmethod
    def forward(x: torch.Tensor, spec: ActivationSpec, names: tuple, *tensors):
        # the fast forward may write through out= (step), which vmap cannot batch
        fast = None if torch._C._are_functorch_transforms_active() else spec.fast.forward
        y = (fast or spec.fn)(x, **_params(spec, names, x, tensors))
        return y.view_as(y) if y is x else y  # identity: autograd wants a view, not x itself

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: torch.Tensor) -> None:
        x, spec, names, *tensors = inputs
        ctx.spec, ctx.names = spec, names
        ctx.save_for_backward(x, *tensors)  # x only: intermediates are recomputed in backward

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor):
        x, *tensors = ctx.saved_tensors
        spec = ctx.spec
        params = dict(spec.values)
        shaped = [_broadcast_param(t, x) for t in tensors]
        params.update(zip(ctx.names, shaped, strict=True))
        wanted = ctx.needs_input_grad[3:]
        # the fused grads work in place, so only when no graph is built (not for double backward)
        if spec.fast.grads is not None and not spec.vector and not torch.is_grad_enabled():
            df, dparams = spec.fast.grads(x, **params)
        else:
            df = None
            dparams = {
                n: spec.param_grads[n](x, **params)
                for n, want in zip(ctx.names, wanted, strict=True)
                if want
            }
        grad_x = None
        if ctx.needs_input_grad[0]:
            if spec.vector:
                grad_x = spec.vjp_fn(x, g, **params)
            elif df is not None:
                grad_x = df.mul_(g)  # df is the fused path's own temporary: reuse it
            else:
                grad_x = g * spec.grad(x, **params)
        grads = []
        for name, t, s, want in zip(ctx.names, tensors, shaped, wanted, strict=True):
            if not want:
                grads.append(None)
            elif s.dim() == 0 or s.numel() == 1:  # one scalar: a fused dot, no g * d temporary
                grads.append(torch.dot(g.reshape(-1), dparams[name].reshape(-1)).reshape(t.shape))
            else:
                grads.append((g * dparams[name]).sum_to_size(s.shape).reshape(t.shape))
        return (grad_x, None, None, *grads)


class SpecFunctionJvp(SpecFunction):
    """:class:`SpecFunction` with forward mode, for ``torch.func.jvp`` (and jacfwd, hessian):
    the modules use it under torch.func's transforms only, as Dynamo cannot trace a custom jvp.
    """

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: torch.Tensor) -> None:
        SpecFunction.setup_context(ctx, inputs, output)
        ctx.save_for_forward(*inputs[:1], *inputs[3:])

    @staticmethod
    def jvp(ctx: Any, x_t: torch.Tensor | None, _spec_t: None, _names_t: None, *tensor_ts):
        """Forward mode (``torch.func.jvp``): f'(x)·ẋ plus ∂f/∂p·ṗ for each parameter."""
        x, *tensors = ctx.saved_tensors
        spec, names = ctx.spec, ctx.names
        params = _params(spec, names, x, tensors)
        if spec.vector:
            raise NotImplementedError(f"{spec.name}: forward-mode AD of a vector-valued spec")
        out = torch.zeros_like(x) if x_t is None else spec.grad(x, **params) * x_t
        for name, t_t in zip(names, tensor_ts, strict=True):
            if t_t is not None:
                out = out + spec.param_grads[name](x, **params) * _broadcast_param(t_t, x)
        return out


class Activation(nn.Module):
    """An activation function as a module, built from its spec.

    Trainable parameters (PReLU's slope, learnable Swish's β) are ``nn.Parameter``s named after
    the spec's parameter (PReLU's is ``weight``, as in ``torch.nn.PReLU``) so they appear in
    ``state_dict`` and reach the optimizer.

    ``inplace=True`` (as timm passes it) overwrites the input, as ``nn.ReLU(inplace=True)`` does,
    where torch has an in-place kernel for the activation (``spec.fast.inplace``: relu,
    leaky_relu, elu, …) and no parameter is trained; elsewhere it is accepted and ignored
    (``self.inplace`` says which). Results and gradients are the same either way.
    """

    def __init__(self, spec: ActivationSpec, inplace: bool = False) -> None:
        super().__init__()
        if not isinstance(inplace, bool):
            raise ValueError(f"{spec.name}: inplace must be True or False, got {inplace!r}")
        self.spec = spec
        self._names = spec.trainable
        for name in self._names:
            count = int(spec.values.get("num_parameters", 1))
            init = torch.full((count,), float(spec.values[name]))
            self.register_parameter(self._tensor_name(name), nn.Parameter(init))
        fast = spec.fast
        use_kernel = fast.kernel is not None and (not self._names or fast.takes_tensors)
        if use_kernel and fast.applies is not None:
            use_kernel = fast.applies(spec.values)
        self.uses_kernel = use_kernel
        self.inplace = inplace and use_kernel and fast.inplace

    @staticmethod
    def _tensor_name(name: str) -> str:
        return "weight" if name == "init" else name  # PReLU's learned slope, named as torch does

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tensors = [getattr(self, self._tensor_name(n)) for n in self._names]
        # under torch.func, a kernel taking parameter tensors (F.prelu) sizes its output from
        # x alone: vmap over a stacked weight with x shared resized it (torch warned). The
        # Function's generated vmap rule broadcasts the two, so it runs there instead.
        if self.uses_kernel and not (tensors and torch._C._are_functorch_transforms_active()):
            params = dict(self.spec.values)
            params.update(zip(self._names, tensors, strict=True))
            kernel = (
                self.spec.fast.train_kernel if self.training else None
            ) or self.spec.fast.kernel
            return kernel(x, **params, inplace=True) if self.inplace else kernel(x, **params)
        # under torch.func's transforms, the Function with forward mode (jvp); otherwise the
        # one torch.compile can trace
        if torch._C._are_functorch_transforms_active():
            return SpecFunctionJvp.apply(x, self.spec, self._names, *tensors)
        if not torch.is_grad_enabled() or not (
            x.requires_grad or any(t.requires_grad for t in tensors)
        ):
            # no graph to record: f itself. (Dynamo, with no grad needed, traces the Function's
            # forward as if it took a ctx, and fullgraph compilation failed.)
            return SpecFunction.forward(x, self.spec, self._names, *tensors)
        return SpecFunction.apply(x, self.spec, self._names, *tensors)

    def extra_repr(self) -> str:
        return self.spec.describe() + (", inplace=True" if self.inplace else "")

"""`custom_gradient`: `keras.ops.custom_gradient` for functions with several outputs.

On PyTorch, Keras 3.15's `custom_gradient` is a `torch.autograd.Function` whose backward
takes one upstream gradient, so a function with several outputs (the logits and their
target entries) fails in the backward pass with a TypeError. There this uses a Function
that takes one upstream gradient per output and hands the grad function the tuple, as
JAX does; on the other backends it is `keras.ops.custom_gradient`.
"""

from keras import backend, ops


def custom_gradient(forward):
    """Decorator: as `keras.ops.custom_gradient`, with any number of outputs."""
    if backend.backend() != "torch":
        return ops.custom_gradient(forward)

    def call(*args):
        return _torch_function().apply(forward, *args)

    return call


_TORCH_FUNCTION = []


def _torch_function():
    """The `torch.autograd.Function`, defined on first use: torch imports only here."""
    if not _TORCH_FUNCTION:
        import torch

        class CustomGradient(torch.autograd.Function):
            @staticmethod
            def forward(ctx, forward, *args):
                outputs, ctx.grad_fn = forward(*args)
                return outputs

            @staticmethod
            def backward(ctx, *upstream):
                grads = ctx.grad_fn(upstream=upstream[0] if len(upstream) == 1 else upstream)
                return (None,) + (grads if isinstance(grads, tuple) else (grads,))

        _TORCH_FUNCTION.append(CustomGradient)
    return _TORCH_FUNCTION[0]

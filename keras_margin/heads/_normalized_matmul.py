"""`x @ W` with every column of `W` divided by its L2 norm, without a normalised copy of `W`.

Cosine heads need `x @ (W / ||W_j||)`. Normalising `W` first writes a second (D, C)
matrix in the forward pass and its gradient costs two more passes over (D, C) in the
backward pass. Dividing the (B, C) product by the column norms gives the same numbers;
the custom gradient below folds `1 / ||W_j||` into the upstream gradient before the two
matmuls and gets the radial part of dL/dW_j from `sum_b G_bj * out_bj`, a (B, C) reduction,
so the only extra (D, C) work is one read for the norms and one scaled subtraction.
"""

from keras import ops

# Column norms below this are treated as this: a zero column then gives cosines of 0
# instead of 0 / 0.
NORM_EPSILON = 1e-12


def column_norms(kernel):
    """L2 norm of each column of a (D, C) matrix, floored at `NORM_EPSILON`."""
    return ops.sqrt(ops.maximum(ops.sum(ops.square(kernel), axis=0), NORM_EPSILON**2))


@ops.custom_gradient
def normalized_matmul(inputs, kernel):
    """Returns `(inputs @ kernel) / ||kernel[:, j]||`, shape (B, C).

    Args:
        inputs: (B, D) tensor.
        kernel: (D, C) tensor (a variable's value, not the variable).
    """
    inverse_norms = 1.0 / column_norms(kernel)
    outputs = ops.matmul(inputs, kernel) * inverse_norms

    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        scaled_upstream = upstream * inverse_norms
        grad_inputs = ops.matmul(scaled_upstream, ops.transpose(kernel))
        # d out_bj / d W_j = x_b / n_j - out_bj * W_j / n_j^2
        radial = ops.sum(scaled_upstream * outputs, axis=0) * inverse_norms
        grad_kernel = ops.matmul(ops.transpose(inputs), scaled_upstream) - kernel * radial
        return grad_inputs, grad_kernel

    return outputs, grad

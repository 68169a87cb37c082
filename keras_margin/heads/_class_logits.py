"""The C-wide part of every head: one matmul, the centre norms, and the target logits.

Cosine heads need `x @ (W / ||W_j||)`. Normalising `W` first would write a second
(D, C) matrix and cost two more (D, C) passes in the backward pass; dividing the (B, C)
product by the column norms gives the same numbers. The custom gradient folds
`1 / ||W_j||` into the upstream gradient before the two matmuls and takes the radial part
of dL/dW_j from `sum_b G_bj * logit_bj` (a (B, C) reduction), so the only extra (D, C)
work is one read for the norms and one scaled subtraction.

The target logits `logit[b, y_b]` are returned by the same op: their gradient is added
to the (B, C) upstream gradient at B positions in place, where gathering them with a
separate op would cost a dense (B, C) scatter and an addition in the backward pass.
"""

from keras import backend, ops

from keras_margin.heads._custom_gradient import custom_gradient

# Column norms below this are treated as this: a zero column gives cosines of 0, not 0/0.
NORM_EPSILON = 1e-12


def column_norms(kernel):
    """L2 norm of each column of a (D, C) matrix, floored at `NORM_EPSILON`."""
    if backend.backend() == "tensorflow" and not _in_xla_context():
        import tensorflow as tf

        # One pass and no (D, C) temporary: twice as fast as sqrt(sum(square)) on CPU.
        # XLA has no kernel for it, and fuses the generic form below anyway.
        return ops.maximum(tf.math.reduce_euclidean_norm(kernel, axis=0), NORM_EPSILON)
    return ops.sqrt(ops.maximum(ops.sum(ops.square(kernel), axis=0), NORM_EPSILON**2))


def upstream_gradients(args, upstream):
    """The upstream gradient(s) a `keras.ops.custom_gradient` grad function received.

    TensorFlow passes one positional argument per output; JAX passes a single argument
    holding the output structure; the keyword form is Keras' own.
    """
    if upstream is not None:
        return upstream
    return args[0] if len(args) == 1 else tuple(args)


def _in_xla_context():
    try:
        import tensorflow as tf
        from keras_margin.utils._compat import control_flow_util
    except ImportError:  # a TensorFlow without this module: take the portable path
        return True
    if tf.executing_eagerly():
        return False
    return control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())


def target_indices(ids):
    """(B, 2) indices `(b, ids[b])` of the target entries of a (B, C) matrix."""
    return ops.stack([ops.arange(ops.shape(ids)[0], dtype=ids.dtype), ids], axis=1)


def gather_targets(matrix, ids):
    """`matrix[b, ids[b]]` for every row, shape (B,)."""
    num_classes = ops.shape(matrix)[1]
    flat_ids = ops.arange(ops.shape(ids)[0], dtype=ids.dtype) * num_classes + ids
    return ops.take(ops.reshape(matrix, (-1,)), flat_ids)


def class_logits(inputs, kernel, normalize_centers):
    """`inputs @ kernel`, with each column divided by its norm if `normalize_centers`.

    Args:
        inputs: (B, D) tensor.
        kernel: (D, C) tensor (a read of the variable, not the variable).
        normalize_centers: divide by the column norms of `kernel`.
    """
    if not normalize_centers:
        return ops.matmul(inputs, kernel)
    return _normalized_logits(inputs, kernel)


def class_logits_and_targets(inputs, kernel, ids, normalize_centers):
    """`class_logits(...)`, its target entries `logits[b, ids[b]]` and the target norms.

    Returns:
        `(logits, targets, target_center_norms)`: (B, C), (B,) and (B,) tensors, the last
        being `||kernel[:, ids[b]]||` (ones when `normalize_centers`, where the target
        logits are already divided by them).
    """
    indices = target_indices(ids)

    @custom_gradient
    def forward(inputs, kernel):
        inverse_norms = 1.0 / column_norms(kernel) if normalize_centers else None
        logits = ops.matmul(inputs, kernel)
        if normalize_centers:
            logits = logits * inverse_norms
            target_norms = ops.ones_like(ids, dtype=logits.dtype)
        else:
            # Only the B target columns: a (B, D) read, where all C norms would cost a
            # (D, C) temporary forward and two more backward.
            target_norms = column_norms(ops.take(kernel, ids, axis=1))
        targets = gather_targets(logits, ids)

        def grad(*args, upstream=None):
            upstream_logits, upstream_targets, upstream_norms = upstream_gradients(args, upstream)
            upstream_logits = ops.scatter_update(
                upstream_logits, indices, upstream_targets, reduction="add"
            )
            grad_inputs, grad_kernel = _matmul_backward(
                inputs, kernel, logits, inverse_norms, upstream_logits
            )
            if not normalize_centers:
                # d||W_j|| / dW_j = W_j / ||W_j||, summed over the rows targeting class j.
                per_class = ops.segment_sum(
                    upstream_norms / target_norms, ids, num_segments=ops.shape(kernel)[1]
                )
                grad_kernel = grad_kernel + kernel * per_class
            return grad_inputs, grad_kernel

        return (logits, targets, target_norms), grad

    return forward(inputs, kernel)


@custom_gradient
def _normalized_logits(inputs, kernel):
    inverse_norms = 1.0 / column_norms(kernel)
    logits = ops.matmul(inputs, kernel) * inverse_norms

    def grad(*args, upstream=None):
        return _matmul_backward(inputs, kernel, logits, inverse_norms, upstream_gradients(args, upstream))

    return logits, grad


def _matmul_backward(inputs, kernel, logits, inverse_norms, upstream):
    """Gradients of `logits = inputs @ kernel [* inverse_norms]` for inputs and kernel."""
    if inverse_norms is None:
        return (
            ops.matmul(upstream, ops.transpose(kernel)),
            ops.matmul(ops.transpose(inputs), upstream),
        )
    scaled = upstream * inverse_norms
    grad_inputs = ops.matmul(scaled, ops.transpose(kernel))
    # d logit_bj / d W_j = x_b / n_j - logit_bj * W_j / n_j^2
    radial = ops.sum(scaled * logits, axis=0) * inverse_norms
    grad_kernel = ops.matmul(ops.transpose(inputs), scaled) - kernel * radial
    return grad_inputs, grad_kernel

"""`LazyAdam`: Adam that updates only the rows a sparse gradient reaches."""

import keras
from keras import backend


@keras.saving.register_keras_serializable(package="keras_margin")
class LazyAdam(keras.optimizers.Adam):
    """Adam whose sparse updates touch only the rows present in the gradient.

    For a dense gradient this is Keras' `Adam`, step for step. For a sparse one
    (`tf.IndexedSlices`, e.g. the class-centre gradient of a sampling head, which reaches
    only the sampled classes' rows), Adam's moment decay and update are applied to those
    rows alone; every other row of the variable and of its two moments is left as it
    is. With `g_i` the gradient of row `i` (duplicate indices summed) and `t` the step:

    ```
    m_i <- beta_1 * m_i + (1 - beta_1) * g_i
    v_i <- beta_2 * v_i + (1 - beta_2) * g_i ** 2
    w_i <- w_i - lr * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t) * m_i / (sqrt(v_i) + epsilon)
    ```

    (`amsgrad` keeps `v_hat_i = max(v_hat_i, v_i)` for the same rows and divides by its
    root.) This is the "lazy" Adam of TensorFlow Addons and PyTorch's `SparseAdam`. It
    differs from Adam on rows a step does not reach: Adam decays their moments and so
    still moves them, by an amount that shrinks with every step they are not sampled;
    the lazy form leaves them. What it buys is a step whose cost scales with the rows
    reached, not with all of them: Keras' `Adam` densifies an `IndexedSlices` gradient
    and rewrites the whole (C, D) variable and both (C, D) moments every step.

    Memory is the same as Adam: both moments are full (C, D) slots, because any row may
    be sampled at some step.

    Sparse gradients exist on the TensorFlow backend; on JAX and PyTorch gradients are
    dense and this is `Adam`. Under `tf.distribute.MirroredStrategy` the all-reduced
    sparse gradient holds each replica's rows, with repeats, which are summed first.
    Every operation has a static shape, so the update compiles under XLA.

    Args:
        learning_rate, beta_1, beta_2, epsilon, amsgrad, **kwargs: as for
            `keras.optimizers.Adam`. `weight_decay` still decays every row every step
            (it reads the whole variable).

    Example:

    >>> import keras, numpy as np, tensorflow as tf, keras_margin as km
    >>> optimizer = km.optimizers.LazyAdam(learning_rate=0.1)
    >>> centres = keras.Variable(np.zeros((4, 2), "float32"))
    >>> gradient = tf.IndexedSlices(tf.constant([[1.0, -1.0]]), tf.constant([2]))
    >>> optimizer.apply([gradient], [centres])
    >>> np.round(centres.numpy(), 3)  # only row 2 moved, by lr * sign(g) on step 1
    array([[ 0. ,  0. ],
           [ 0. ,  0. ],
           [-0.1,  0.1],
           [ 0. ,  0. ]], dtype=float32)

    References:
        - Diederik P. Kingma, Jimmy Ba, "Adam: A Method for Stochastic Optimization",
          ICLR 2015.
        - TensorFlow Addons, `tfa.optimizers.LazyAdam` (the lazy sparse update).
        - Xiang An et al., "Partial FC: Training 10 Million Identities on a Single
          Machine", ICCV Workshops 2021 (only the sampled centres are updated).
    """

    def update_step(self, gradient, variable, learning_rate):
        if not _is_indexed_slices(gradient):
            return super().update_step(gradient, variable, learning_rate)
        import tensorflow as tf

        dtype = variable.dtype
        rows, values = _sum_duplicate_rows(gradient.indices, tf.cast(gradient.values, dtype))
        lr = tf.cast(learning_rate, dtype)
        step = tf.cast(self.iterations + 1, dtype)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        alpha = lr * tf.sqrt(1 - tf.pow(beta_2, step)) / (1 - tf.pow(beta_1, step))

        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        m_rows = beta_1 * _read_rows(m, rows) + (1 - beta_1) * values
        v_rows = beta_2 * _read_rows(v, rows) + (1 - beta_2) * tf.square(values)
        self.assign(m, tf.IndexedSlices(m_rows, rows))
        self.assign(v, tf.IndexedSlices(v_rows, rows))
        if self.amsgrad:
            v_hat = self._velocity_hats[index]
            v_rows = tf.maximum(_read_rows(v_hat, rows), v_rows)
            self.assign(v_hat, tf.IndexedSlices(v_rows, rows))
        # Written as new row values (scatter_update), not as a scatter_sub of the step:
        # the padded repeats of `_sum_duplicate_rows` then rewrite a row with the same
        # value instead of subtracting the step twice.
        new_rows = _read_rows(variable, rows) - alpha * m_rows / (tf.sqrt(v_rows) + self.epsilon)
        self.assign(variable, tf.IndexedSlices(new_rows, rows))


def _is_indexed_slices(gradient):
    if backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return isinstance(gradient, tf.IndexedSlices)


def _read_rows(variable, rows):
    """`variable[rows]` as a sparse read (`ResourceGather`), not a read of the whole."""
    import tensorflow as tf

    if isinstance(variable, keras.Variable):
        variable = variable.value
    return tf.gather(variable, rows)


def _sum_duplicate_rows(indices, values):
    """(rows, values) with each row's values summed, in a static (n,) shape.

    A sparse gradient may name a row more than once (an embedding lookup of a repeated
    id; the replicas' rows after an all-reduce), and its gradient is the sum. `unique`
    would give a data-dependent shape, which XLA cannot compile, so the n entries are
    sorted, summed per run of equal indices into the first `u` of n slots, and the n - u
    spare slots repeat the last row with its sum: writing a row twice with the same
    value is harmless.
    """
    import tensorflow as tf

    count = tf.shape(indices)[0]
    order = tf.argsort(indices, stable=True)
    sorted_indices = tf.gather(indices, order)
    starts = tf.concat([tf.ones([1], tf.bool)[:count], sorted_indices[1:] != sorted_indices[:-1]], 0)
    segments = tf.cumsum(tf.cast(starts, tf.int32)) - 1
    summed = tf.math.unsorted_segment_sum(tf.gather(values, order), segments, count)
    rows = tf.math.unsorted_segment_max(sorted_indices, segments, count)
    slots = tf.minimum(tf.range(count), tf.reduce_max(segments))
    return tf.gather(rows, slots), tf.gather(summed, slots)

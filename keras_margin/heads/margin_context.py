"""`MarginContext`: what a head's hooks know about the batch besides the cosines."""

from keras import ops


class MarginContext:
    """The batch a margin is computed for, handed to every training hook of a head.

    The base class builds one per training call with labels and passes it to
    `on_training_step(context)`, `target_cosine(cosine, context)` and
    `non_target_cosine(cosine, context)` (the hook contract in `MarginHead`'s
    docstring); a hook that does not need it ignores it.

    Per-sample fields are (batch, 1): they broadcast against the cosines a hook
    receives, which are (batch, 1) (the target column) for class ids and
    (batch, num_classes) for a label matrix.

    Attributes:
        embeddings: the (batch, embedding_dim) embeddings, in the head's compute dtype.
        embedding_norms: (batch, 1) `||x_b||`, floored at 1e-12 and, for embeddings
            too large for float32 norms, capped at the largest float32. It carries a
            gradient (MagFace learns through it); a head whose paper detaches it applies
            `ops.stop_gradient` itself (AdaFace).
        target_cosines: (batch, 1) `cos(theta_{b, y_b})`, with a gradient; for a label
            matrix the label-mass-weighted mean of the row's cosines.
        class_ids: (batch, 1) int32 class ids, or None when the labels are a matrix.
        labels: the (batch, num_classes) label matrix, or None for class ids.
        num_classes: the number of classes.
    """

    __slots__ = ("embeddings", "embedding_norms", "target_cosines", "class_ids", "labels", "num_classes")

    def __init__(self, embeddings, embedding_norms, target_cosines, class_ids, labels, num_classes):
        self.embeddings = embeddings
        self.embedding_norms = embedding_norms
        self.target_cosines = target_cosines
        self.class_ids = class_ids
        self.labels = labels
        self.num_classes = num_classes

    def finite_rows(self):
        """(batch, 1) bool: the rows whose embedding norm and target cosine are finite.

        Hooks that update state from the batch (running statistics, counts) use only
        these rows, so one NaN or Inf embedding cannot poison every later call.
        """
        return ops.logical_and(ops.isfinite(self.embedding_norms), ops.isfinite(self.target_cosines))

    def mean_over_finite_rows(self, values):
        """`(mean, count)`: the mean of (batch, 1) `values` over `finite_rows`, and how many.

        The mean is 0 when no row is finite; check `count > 0` before using it.
        """
        finite = self.finite_rows()
        count = ops.sum(ops.cast(finite, values.dtype))
        total = ops.sum(ops.where(finite, values, 0.0))
        return total / ops.maximum(count, 1.0), count

    def per_class(self, values):
        """A per-class vector (num_classes,) laid out to broadcast against the cosines.

        (batch, 1) values at each row's class for class ids; (1, num_classes) for a
        label matrix, where every class's cosine gets its own value.
        """
        values = ops.convert_to_tensor(values)
        if self.class_ids is not None:
            return ops.take(values, self.class_ids, axis=0)
        return ops.reshape(values, (1, -1))

    def dominant_class_ids(self):
        """(batch,) class ids: the given ids, or each label row's largest entry."""
        if self.class_ids is not None:
            return self.class_ids[:, 0]
        return ops.cast(ops.argmax(self.labels, axis=-1), "int32")

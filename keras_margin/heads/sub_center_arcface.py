"""Sub-center ArcFace: K centres per class, so noisy samples can gather apart."""

import math

import keras
from keras import ops

from keras_margin.heads import _class_logits
from keras_margin.heads import _labels
from keras_margin.heads.arcface import ArcFace
from keras_margin.heads.base import unit_rows
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class SubCenterArcFace(ArcFace):
    """Sub-center ArcFace head: ArcFace on the nearest of K centres of each class.

    Each class has `sub_centers` (K) unit centres and its cosine is the largest of the
    K: `cos(theta_bj) = max_k cos(x_b, W_jk)`. The target logit is ArcFace's
    `s * cos(theta_y + m)` on that cosine (with ArcFace's fallback past pi), other
    logits and inference logits are `s * cos(theta_j)`. Clean samples gather around
    one dominant sub-centre per class; mislabelled and atypical ones are free to settle
    on another one instead of pulling the class centre towards them.

    After training, the paper keeps each class's dominant sub-centre (the one most of
    the class's training samples are nearest to) and drops samples more than 75
    degrees from it. `dominant_centers` and `find_outliers` do both. Dominance is
    counted on the embeddings you pass (the paper's procedure: embed the training set
    once with the trained model), or, without embeddings, on the running counts the
    head keeps in training (`assignment_counts`, non-trainable, saved with the model:
    one count per training sample per step, to the sub-centre nearest at that step).

    Args:
        num_classes: number of classes, at least 2.
        scale: the scale `s` > 0, or `"auto"` (see `CosineMarginHead`) (default 64.0).
        margin: the angular margin `m` in radians, in [0, pi/2] (default 0.5).
        sub_centers: centres per class K, an integer >= 1 (default 3); K = 1 is ArcFace.
        easy_margin: ArcFace's easy margin (default False).
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.SubCenterArcFace(num_classes=10, sub_centers=3)
    >>> embeddings = np.random.rand(4, 64).astype("float32")
    >>> labels = np.array([0, 1, 2, 3])
    >>> logits = head(embeddings, labels=labels, training=True)
    >>> tuple(head.kernel.shape)
    (64, 30)
    >>> noisy = head.find_outliers(embeddings, labels, threshold_degrees=75.0)

    References:
        - Deng, Guo, Liu, Gong, Zafeiriou. "Sub-center ArcFace: Boosting Face
          Recognition by Large-scale Noisy Web Faces", ECCV 2020.
          https://www.ecva.net/papers/eccv_2020/papers_ECCV/papers/123560715.pdf
    """

    def __init__(self, num_classes, scale=64.0, margin=0.5, sub_centers=3, easy_margin=False, **kwargs):
        super().__init__(num_classes, scale=scale, margin=margin, easy_margin=easy_margin, **kwargs)
        # Class ids times K index the int32 centre columns.
        self.sub_centers = validation.integer_at_least(
            sub_centers, 1, "sub_centers", maximum=validation.INT32_MAX // self.num_classes
        )
        self.centers_per_class = self.sub_centers

    def build(self, embeddings_shape, labels_shape=None):
        super().build(embeddings_shape)
        self.assignment_counts = self.add_weight(
            name="assignment_counts",
            shape=(self.num_classes, self.sub_centers),
            initializer="zeros",
            trainable=False,
        )

    def on_training_step(self, context):
        ids = context.dominant_class_ids()
        nearest = self._nearest_sub_centers(ops.stop_gradient(context.embeddings), ids)
        # A row with a non-finite embedding has no nearest sub-centre: not counted.
        self.assignment_counts.assign_add(self._count(nearest, ids, weights=context.finite_rows()))

    @property
    def class_centers(self):
        """The dominant sub-centres by the training counts, (num_classes, embedding_dim)."""
        return self.dominant_centers()

    def dominant_centers(self, embeddings=None, labels=None):
        """Each class's dominant sub-centre, a (num_classes, embedding_dim) unit tensor.

        Args:
            embeddings: optional (N, embedding_dim) embeddings, e.g. the training set.
                Dominance is then counted on them: the sub-centre most of the class's
                samples are nearest to. Classes without a sample among them, and every
                class when `embeddings` is None, use the training counts.
            labels: class ids (N,) of `embeddings`; required with them.

        Ties go to the lower sub-centre index, so before any training call or data,
        sub-centre 0 is every class's dominant one.
        """
        counts = ops.convert_to_tensor(self.assignment_counts)
        if embeddings is not None:
            embeddings, ids = self._embeddings_and_ids(embeddings, labels)
            data_counts = self._count(self._nearest_sub_centers(embeddings, ids), ids)
            has_samples = ops.sum(data_counts, axis=-1, keepdims=True) > 0
            counts = ops.where(has_samples, data_counts, counts)
        dominant = ops.cast(ops.argmax(counts, axis=-1), "int32")
        columns = ops.arange(self.num_classes, dtype="int32") * self.sub_centers + dominant
        centers = ops.take(self._kernel_value(), columns, axis=1)
        return ops.transpose(centers / _class_logits.column_norms(centers))

    def find_outliers(self, embeddings, labels, threshold_degrees=75.0):
        """Boolean (N,) mask of samples farther than the threshold from their class.

        The angle is measured to the class's dominant sub-centre, counted on these
        embeddings (see `dominant_centers`); the paper drops samples beyond 75 degrees
        before retraining with one centre per class. A zero embedding has no direction
        and is at 90 degrees from every centre.

        Args:
            embeddings: (N, embedding_dim) embeddings, e.g. of the whole training set.
            labels: their class ids, (N,) or (N, 1).
            threshold_degrees: the largest angle kept, in [0, 180] (default 75.0).
        """
        threshold_degrees = validation.number_in_range(
            threshold_degrees, "threshold_degrees", 0.0, 180.0
        )
        embeddings, ids = self._embeddings_and_ids(embeddings, labels)
        centers = ops.take(self.dominant_centers(embeddings, ids), ids, axis=0)
        cosines = ops.sum(unit_rows(embeddings) * centers, axis=-1)
        return cosines < math.cos(math.radians(threshold_degrees))

    def get_config(self):
        config = super().get_config()
        config["sub_centers"] = self.sub_centers
        return config

    # ---------------------------------------------------------------- private
    def _embeddings_and_ids(self, embeddings, labels):
        if labels is None:
            raise ValueError("`labels` must be given with `embeddings`.")
        embeddings = ops.cast(ops.convert_to_tensor(embeddings), self.compute_dtype)
        ids = _labels.class_ids(ops.convert_to_tensor(labels), self.num_classes)
        return embeddings, ids

    def _nearest_sub_centers(self, embeddings, ids):
        """(B,) index of the sub-centre of class `ids[b]` with the largest cosine to x_b.

        Only the B target classes' K centres are read, (D, B, K): not a (B, C*K) product.
        """
        centers = self._gather_centers(ids)  # (D, B*K), only the target classes' centres
        centers = ops.reshape(centers, (ops.shape(centers)[0], -1, self.sub_centers))
        # Unit rows: x_b . W_k can overflow float32 where the cosine cannot.
        products = ops.einsum("bd,dbk->bk", unit_rows(embeddings), centers)
        norms = ops.sqrt(ops.maximum(ops.sum(ops.square(centers), axis=0), 1e-24))
        return ops.cast(ops.argmax(products / norms, axis=-1), "int32")

    def _count(self, nearest, ids, weights=None):
        """(C, K) counts of samples per (class, nearest sub-centre); `weights` (B, 1) masks rows."""
        one_hot = ops.one_hot(nearest, self.sub_centers, dtype=self.assignment_counts.dtype)
        if weights is not None:
            one_hot = one_hot * ops.cast(weights, one_hot.dtype)
        return ops.segment_sum(one_hot, ids, num_segments=self.num_classes)

"""`MarginHead`: the base class of every classification head in keras_margin."""

import keras
import numpy as np
from keras import backend
from keras import ops

from keras_margin.heads import _labels
from keras_margin.heads import _class_logits
from keras_margin.heads import _sampling
from keras_margin.heads._class_logits import upstream_gradients
from keras_margin.heads.margin_context import MarginContext
from keras_margin.utils import validation

# Floor for embedding norms, so a zero embedding gives cosines of 0 instead of 0 / 0.
_EMBEDDING_NORM_EPSILON = 1e-12
# Logits are clipped to +-LOGIT_LIMIT. Only heads whose logits grow with ||x|| (Softmax,
# L-Softmax, SphereFace) or with an enormous scale reach it; at this size the softmax
# is a hard max anyway, and a batch's summed cross-entropy (< 2 * limit per sample)
# stays finite for any realistic batch.
LOGIT_LIMIT = 1e30
# Under float16 inputs the norm floor of a cosine head is raised until
# ||d logits / d x|| <= s / floor fits float16 this many times over (the softmax's
# |p - y|_1 <= 2 and a margin's slope take part of it).
_GRADIENT_HEADROOM = 16.0
# Rows whose largest entry is within 2^+-32 are used as they are (`_Rows`).
_ORDINARY_EXPONENT = 32.0


@keras.saving.register_keras_serializable(package="keras_margin")
class MarginHead(keras.layers.Layer):
    """A linear classifier on embeddings whose target logit may carry a margin.

    Every head writes its logits as `logit_bj = r_b * c_j * cos(theta_bj)`, where
    `theta_bj` is the angle between embedding `x_b` and class centre `W_j`, `r_b` is a
    per-sample scale (`s` for cosine heads, `||x_b||` for SphereFace and L-Softmax) and
    `c_j` is `||W_j||` for heads that keep centre norms (L-Softmax, Softmax) and 1 for
    the rest. During training, and only when labels are given, the target logit is
    replaced by `r_b * c_y * target_cosine(cos(theta_by))`.

    The C-wide work is a single matmul plus a division by the centre norms (no
    normalised copy of the centre matrix is made); the margin only touches the B
    target logits.

    Subclasses set a few class attributes and override a few hooks:

    - `normalize_embeddings`: use `x / ||x||` (cosine heads) or `x` as it is.
    - `normalize_centers`: divide by `||W_j||` (unit centres) or keep centre norms.
    - `has_margin`: False for heads whose training logits equal their inference logits.
    - `adjusts_non_target_logits`: True for heads that also change non-target logits
      in training (CurricularFace); only then is `non_target_cosine` called.
    - `centers_per_class`: K > 1 gives each class K centres (kernel D x C*K, class j's
      centres in columns j*K .. j*K + K - 1) and the class cosine is the largest of
      its K cosines (Sub-center ArcFace).
    - `logit_scale(embedding_norms)`: the per-sample scale `r_b` (also at inference).
    - `target_cosine(cosine, context)`: the margin, as a function of the target cosine.
    - `non_target_cosine(cosine, context)`: the training cosines of the other classes.
    - `on_training_step(context)`: update state once per training call.

    The hook contract (docs/heads/README.md, "The hook contract"). In a training call
    with labels, the base class builds one `MarginContext` and calls, in this order and
    always positionally:

        on_training_step(context)             # state updates; reads context.target_cosines
        target_cosine(cosine, context)        # -> margined cosines, shaped like `cosine`
        non_target_cosine(cosine, context)    # only with `adjusts_non_target_logits`

    `cosine` is (batch, 1), the target column, for class ids and (batch, num_classes)
    for a label matrix in `target_cosine`, and all (batch, num_classes) cosines (the
    sampled classes' with `sample_rate`) in `non_target_cosine`, so hooks are
    elementwise. `context` (embedding norms, target cosines, class ids or label
    matrix; see `MarginContext`) is passed to every hook, which ignores what it does
    not need; margins that depend on more than the cosine read it (AdaFace, MagFace,
    LDAM, ElasticFace+, CurricularFace). A hook returns its full margin:
    `margin_scale` is applied after it. Hooks run only in training calls with labels,
    so state they update is frozen at inference.

    Heads with a margin (`has_margin`) own a non-trainable scalar `margin_scale`
    (alpha, default 1, saved with the weights, not in the config). Every margined
    training cosine is `alpha * margined + (1 - alpha) * cosine`: alpha = 1 is the
    head as defined (exactly, bit for bit), alpha = 0 is the head without margin
    (NormFace for cosine heads), and in between the margin grows linearly. For an
    additive cosine margin (CosFace, LDAM, ElasticFace-Cos) that is the margin `m`
    multiplied by alpha; for angular ones it blends the two target curves, which stay
    monotone in the angle. It is a variable so that a callback
    (`keras_margin.callbacks.MarginWarmup`) can change it inside a compiled train step.

    Class-centre sampling (Partial FC) is owned by `keras_margin.heads._sampling`: its
    `sample_rate` and `seed` arguments (validated and turned into a seed generator by
    `_sampling.configure`, which `CosineMarginHead` calls), its config and each step's
    draw. This class only draws in training calls with class ids and reads the sampled
    centres: a sampling head stores its centres as rows, kernel (C*K, D) instead of
    (D, C*K), since a gather of rows is what TensorFlow differentiates into
    `IndexedSlices`, so a step's gradient and an SGD update touch only the sampled
    centres.

    Labels may be class ids, shape `(batch,)` or `(batch, 1)`, or a floating
    `(batch, num_classes)` one-hot or soft label matrix (MixUp, CutMix, label
    smoothing). With a label matrix `y` the margin is applied to every class in
    proportion to its label mass:

    `logit_bj = (1 - y_bj) * r_b c_j cos_bj + y_bj * r_b c_j target_cosine(cos_bj)`,

    which equals the class-id form for one-hot rows.

    Under a `mixed_float16` or `mixed_bfloat16` policy a head computes in float32:
    margins on half-precision cosines are too coarse and `exp(s * cos)` overflows.
    Embeddings are cast to float32 first; a cosine head then divides float16
    embeddings by `max(||x||, 16 * s / 65504)` instead of `||x||`, so the gradient sent
    back to the float16 embeddings (at most about `s / ||x||`) stays finite.

    Any finite embedding gives finite logits and gradients. Norms are computed on rows
    divided by a power of two near their largest entry (exact, and no overflow of
    `sum(x^2)`); heads whose logits grow with `||x||` multiply that power of two back
    and clip the logits to `+-LOGIT_LIMIT` (1e30), where their gradient is zero (a
    saturated logit). Zero embeddings (norm <= 1e-12) have cosines 0 and no gradient.

    Args:
        num_classes: number of classes, at least 2.
        kernel_initializer: initializer of the class centres (default
            `"glorot_uniform"`).
        kernel_regularizer: optional regularizer of the class centres.
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`, ...).
    """

    normalize_embeddings = True
    normalize_centers = True
    has_margin = True
    adjusts_non_target_logits = False
    centers_per_class = 1
    # Fraction of classes a training step computes logits for; None: all of them. Set
    # per instance by `_sampling.configure`.
    sample_rate = None

    def __init__(
        self,
        num_classes,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        dtype=None,
        **kwargs,
    ):
        validation.floating_dtype(dtype, "dtype")
        # No autocast: `call` casts the embeddings itself, and needs their dtype to keep
        # the gradient it sends back to half-precision embeddings finite.
        kwargs.setdefault("autocast", False)
        super().__init__(dtype=_float32_under_mixed_precision(dtype), **kwargs)
        # Class ids are int32.
        self.num_classes = validation.integer_at_least(
            num_classes, 2, "num_classes", maximum=validation.INT32_MAX
        )
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        if self.has_margin:
            # Created here, not in `build`: a callback may set it before the first
            # training step, and Keras builds a model inside that step's trace.
            self.margin_scale = self.add_weight(
                name="margin_scale", shape=(), initializer="ones", trainable=False
            )

    def build(self, embeddings_shape, labels_shape=None):
        embedding_dim = embeddings_shape[-1]
        if embedding_dim is None:
            raise ValueError(
                f"{type(self).__name__} needs a known embedding size; received input "
                f"shape {embeddings_shape}."
            )
        columns = self.num_classes * self.centers_per_class
        self.kernel = self.add_weight(
            name="kernel",
            shape=(columns, embedding_dim) if self._centers_as_rows else (embedding_dim, columns),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )

    # ------------------------------------------------------------------ hooks
    def logit_scale(self, embedding_norms):
        """Per-sample scale `r_b` of the logits; `embedding_norms` is (batch, 1)."""
        raise NotImplementedError

    def target_cosine(self, cosine, context):
        """The margin: maps target cosines to margined cosines.

        `cosine` is (batch, 1) for class ids and (batch, num_classes) for a label
        matrix; `context` is the step's `MarginContext`.
        """
        return cosine

    def non_target_cosine(self, cosine, context):
        """Training cosines of the non-target classes (`adjusts_non_target_logits`).

        Receives all (batch, num_classes) cosines (only the sampled classes' with
        `sample_rate`: an elementwise hook sees no difference); the target entries of its result are
        replaced by the margined ones (with a label matrix, mixed by label mass), so it
        need not leave them alone. Elementwise work only: it runs on B x C entries.
        """
        return cosine

    def on_training_step(self, context):
        """Called once per training call with labels, before the margin is applied.

        `context` is the step's `MarginContext`; the target cosines are
        `context.target_cosines`.
        """

    # ----------------------------------------------------------------- public
    @property
    def class_axis(self):
        """The axis of `kernel` that runs over the classes' centres.

        1 for the (D, C*K) kernel of a full head, 0 for the (C*K, D) kernel of a
        sampling head. What splits the centres by class across devices
        (`keras_margin.distribution.class_sharded`) reads it from here.
        """
        return 0 if self._centers_as_rows else 1

    @property
    def class_centers(self):
        """The class centres as a (num_classes, embedding_dim) L2-normalised tensor."""
        kernel = self._kernel_value()
        return ops.transpose(kernel / _class_logits.column_norms(kernel))

    def call(
        self, embeddings, labels=None, training=None, return_inference_logits=False, return_labels=False
    ):
        """Logits of shape (batch, num_classes), or (batch, sampled) when sampling.

        Args:
            embeddings: (batch, embedding_dim) tensor.
            labels: class ids (batch,) / (batch, 1), or a floating (batch, num_classes)
                label matrix; `None` at inference.
            training: the margin is applied only when this is true and labels are given.
            return_inference_logits: also return the no-margin logits, at no extra cost
                (`MarginModel` computes its metrics on them).
            return_labels: also return the labels the logits are to be scored against:
                `labels` as given, except in a sampling head's training call, where they
                are each sample's position among the sampled classes. A sampling head
                requires it in that call, so its logits cannot be scored against the
                original class ids by mistake.

        Returns:
            `logits`, or a tuple `(logits, [inference_logits], [labels])` with the
            requested extras in that order.
        """
        with_margin = labels is not None and training
        target_labels = labels
        if with_margin and not _labels.is_label_matrix(labels, self.num_classes):
            ids = _labels.class_ids(labels, self.num_classes)
            if self.sample_rate is not None:
                if not return_labels:
                    raise ValueError(
                        f"{type(self).__name__}(sample_rate={self.sample_rate}) returns "
                        "training logits over the sampled classes only; call it with "
                        "`return_labels=True` to get the labels that match them (or "
                        "train it inside a `keras_margin.MarginModel`, which does)."
                    )
                inference_logits, logits, target_labels = self._margin_on_class_ids(
                    embeddings, ids, sample=True
                )
            elif self.has_margin:
                inference_logits, logits, _ = self._margin_on_class_ids(embeddings, ids)
            else:
                logits = inference_logits = self.inference_logits(embeddings)
                if not _labels.checks_raise():
                    # The margin path turns rows with a bad id into NaN; without a margin
                    # that is done here, so a bad id fails loudly where nothing can raise.
                    valid = _labels.valid_class_ids(ids, self.num_classes)
                    logits = ops.where(ops.expand_dims(valid, -1), logits, float("nan"))
        else:
            if with_margin and self.sample_rate is not None:
                raise ValueError(
                    f"{type(self).__name__}(sample_rate={self.sample_rate}) needs class-id "
                    "labels: a label matrix (MixUp, CutMix, label smoothing) can give mass "
                    "to every class, so no sample smaller than all classes keeps them. "
                    "Train with class ids, or use `sample_rate=None`."
                )
            if with_margin and self.has_margin:
                rows = self._rows(embeddings)
                row_logits = self._row_logits(rows)
                inference_logits = self._finish(row_logits, rows)
                logits = self._margin_on_label_matrix(rows, row_logits, labels)
            else:
                logits = inference_logits = self.inference_logits(embeddings)
        outputs = (logits,)
        if return_inference_logits:
            outputs += (inference_logits,)
        if return_labels:
            outputs += (target_labels,)
        return outputs if len(outputs) > 1 else logits

    def inference_logits(self, embeddings):
        """Logits without margin: `r_b * c_j * cos(theta_bj)` for every class."""
        rows = self._rows(embeddings)
        return self._finish(self._row_logits(rows), rows)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_classes=self.num_classes,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer),
        )
        return config

    # ---------------------------------------------------------------- private
    @property
    def _centers_as_rows(self):
        return self.sample_rate is not None

    def _kernel_value(self):
        """The centres as a (D, C*K) tensor, whatever the variable's layout."""
        # A tensor read of the variable: custom gradients must not capture the variable.
        if self._centers_as_rows:
            return ops.transpose(self.kernel)
        return ops.copy(self.kernel)

    def _gather_centers(self, classes):
        """The K centres of each of `classes` (n,), as a (D, n*K) tensor."""
        columns = classes
        if self.centers_per_class > 1:
            offsets = ops.arange(self.centers_per_class, dtype=classes.dtype)
            columns = ops.reshape(
                ops.expand_dims(classes, -1) * self.centers_per_class + offsets, (-1,)
            )
        if self._centers_as_rows:
            return ops.transpose(_gather_rows(self.kernel, columns))
        return ops.take(self._kernel_value(), columns, axis=1)

    def _rows(self, embeddings):
        """The embeddings in the compute dtype, split into `_Rows`."""
        embeddings = ops.convert_to_tensor(embeddings)
        input_dtype = backend.standardize_dtype(embeddings.dtype)
        return _Rows(ops.cast(embeddings, self.compute_dtype), input_dtype)

    def _row_scale(self, rows):
        """`r_b` of the logits `_row_logits` gives: (B, 1).

        Cosine heads: `s`. Heads whose `r_b` is `||x_b||`: the norm of `rows.rows`,
        since their logits are computed on `x_b / rows.scales` (`_finish` multiplies
        the power of two back).
        """
        if self.normalize_embeddings:
            return self.logit_scale(rows.norms)
        return self.logit_scale(rows.row_norms)

    def _logit_inputs(self, rows):
        """The (B, D) matrix multiplied by the centres: `r_b * x_b / ||x_b||` or `x_b / 2^e_b`."""
        if not self.normalize_embeddings:
            return rows.rows
        scale = self.logit_scale(rows.norms)
        return _unit_rows(rows, _norm_floor(scale, rows.input_dtype)) * scale

    def _row_logits(self, rows):
        """(B, C) logits before `_finish`, each class pooled over its centres."""
        return self._pool_centers(
            _class_logits.class_logits(
                self._logit_inputs(rows), self._kernel_value(), self.normalize_centers
            )
        )

    def _finish(self, row_logits, rows):
        """The logits from `_row_logits`-style logits.

        Heads whose logits grow with `||x||` multiply back the power of two their rows
        were divided by and clip to `+-LOGIT_LIMIT`. Cosine heads' logits are bounded by
        `s` already and are returned as they are.
        """
        if self.normalize_embeddings:
            return row_logits
        return _scale_back(row_logits, rows.scales, rows.all_ordinary)

    def _target_scale(self, rows):
        """`r_b * c_j` of the row logits: (B, 1) for unit centres, else (B, C)."""
        scale = self._row_scale(rows)
        if self.normalize_centers:
            return scale
        return scale * _class_logits.column_norms(self._kernel_value())

    def _pool_centers(self, logits, num_classes=None):
        """(B, C*K) logits -> (B, C): each class's largest logit over its K centres."""
        if self.centers_per_class == 1:
            return logits
        num_classes = self.num_classes if num_classes is None else num_classes
        pooled = ops.reshape(logits, (-1, num_classes, self.centers_per_class))
        return ops.max(pooled, axis=-1)

    def _logits_and_targets(self, rows, ids, kernel, num_classes):
        """(B, n) row logits, their (B,) target entries and the (B,) target centre norms.

        `kernel` is (D, n*K): all centres, or the sampled classes' centres.
        """
        inputs = self._logit_inputs(rows)
        if self.centers_per_class == 1:
            return _class_logits.class_logits_and_targets(inputs, kernel, ids, self.normalize_centers)
        # Several centres per class are pooled by a max, so the fused op's in-place
        # target gradient does not apply; a gather on the pooled logits does.
        logits = self._pool_centers(
            _class_logits.class_logits(inputs, kernel, self.normalize_centers), num_classes
        )
        targets = _class_logits.gather_targets(logits, ids)
        return logits, targets, ops.ones_like(targets)

    def _margin_on_class_ids(self, embeddings, ids, sample=False):
        """(inference logits, logits with the margin on each row's target, labels).

        With `sample`, the logits cover only the sampled classes (in class order) and
        the labels are each row's position among them; otherwise they are `ids`.
        """
        rows = self._rows(embeddings)
        valid = _labels.valid_class_ids(ids, self.num_classes)
        ids = ops.where(valid, ids, 0)
        if sample:
            classes, local_ids, count = _sampling.draw(self, ids)
            kernel, width = self._gather_centers(classes), count
        else:
            local_ids, kernel, width = ids, self._kernel_value(), self.num_classes
        logits, target_logits, target_center_norms = self._logits_and_targets(
            rows, local_ids, kernel, width
        )
        scale = self._row_scale(rows)[:, 0] * target_center_norms
        # (B, 1), not (B,): per-sample context fields are (B, 1) and must not broadcast
        # against the target cosines into a (B, B) matrix.
        target_cosines = ops.expand_dims(_safe_divide(target_logits, scale), -1)
        # The context keeps the true class ids: per-class hooks (LDAM's margins,
        # Sub-center ArcFace's counts) index all C classes, sampled or not.
        context = MarginContext(
            rows.embeddings, rows.norms, target_cosines, ops.expand_dims(ids, -1), None, self.num_classes
        )
        self.on_training_step(context)
        margined_cosines = self._scaled_margin(self.target_cosine(target_cosines, context), target_cosines)
        margined = _saturate(scale * ops.squeeze(margined_cosines, -1))
        # A row whose id is out of range becomes NaN (where no assertion can run, e.g.
        # under XLA), so a bad label never yields a plausible loss.
        margined = ops.where(valid, margined, float("nan"))
        training_logits = logits
        if self.adjusts_non_target_logits:
            row_scale = self._target_scale(rows)
            cosines = _safe_divide(logits, row_scale)
            training_logits = row_scale * self._scaled_margin(
                self.non_target_cosine(cosines, context), cosines
            )
        indices = _class_logits.target_indices(local_ids)
        training_logits = ops.scatter_update(training_logits, indices, margined)
        return self._finish(logits, rows), self._finish(training_logits, rows), local_ids

    def _margin_on_label_matrix(self, rows, logits, labels):
        """`logits + y * (margined - logits)`: each class's margin by its label mass.

        `logits` are the row logits (`_row_logits`); returns finished logits.
        """
        labels = ops.cast(labels, logits.dtype)
        scale = self._target_scale(rows)
        cosines = _safe_divide(logits, scale)
        label_mass = ops.sum(labels, axis=-1, keepdims=True)
        target_cosines = ops.sum(labels * cosines, axis=-1, keepdims=True) / ops.maximum(
            label_mass, _EMBEDDING_NORM_EPSILON
        )
        context = MarginContext(
            rows.embeddings, rows.norms, target_cosines, None, labels, self.num_classes
        )
        self.on_training_step(context)
        margined_cosines = self.target_cosine(cosines, context)
        margined = _saturate(scale * self._scaled_margin(margined_cosines, cosines))
        if self.adjusts_non_target_logits:
            non_target = self._scaled_margin(self.non_target_cosine(cosines, context), cosines)
            logits = _saturate(scale * non_target)
        return self._finish(logits + labels * (margined - logits), rows)

    def _scaled_margin(self, margined, cosines):
        """`alpha * margined + (1 - alpha) * cosines`; exactly `margined` at alpha = 1."""
        if not self.has_margin:
            # No margin, no `margin_scale`: reached when a sampling NormFace trains.
            return margined
        alpha = ops.cast(self.margin_scale, margined.dtype)
        # Not `cosines + alpha * (margined - cosines)`: that rounds at alpha = 1, while
        # `1 * x + 0 * y` is x exactly, so the head is unchanged unless warmed up.
        return alpha * margined + (1.0 - alpha) * cosines


def _gather_rows(variable, rows):
    """`variable[rows]`, read as a sparse gather where the backend has one.

    On TensorFlow, `tf.gather` on the variable itself is a `ResourceGather`: it reads only
    the rows, and its gradient is `IndexedSlices`. `ops.take` would first read the whole
    variable, which after the first sparse update (when TensorFlow puts the variable in
    copy-on-read mode) copies all C*K centres on every step.
    """
    if backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.gather(variable.value, rows)
    return ops.take(variable, rows, axis=0)


class _Rows:
    """A batch of embeddings with norms that cannot overflow or underflow.

    Attributes:
        embeddings: (B, D) embeddings `x`, in the compute dtype.
        input_dtype: the dtype the embeddings came in (their gradient's dtype).
        scales: (B, 1) powers of two `2^e_b`, without gradient: 1 for rows whose largest
            `|x_bd|` lies in [2^-32, 2^32] (and zero and non-finite rows), where neither
            `sum(x^2)` nor a logit `x . W_j` can overflow or underflow; for the other
            rows, the power of two just below the largest `|x_bd|`.
        all_ordinary: scalar bool, whether every scale is 1 (`rows` is `embeddings`).
        rows: (B, D) `x_b / 2^e_b`, computed exactly.
        row_squared_norms: (B, 1) `||rows_b||^2`, floored at 1e-24 (zero rows only).
        row_norms: (B, 1) `||rows_b||`.
        norms: (B, 1) `||x_b||`, floored at 1e-12 and capped at the dtype's largest value.
    """

    def __init__(self, embeddings, input_dtype):
        dtype = backend.standardize_dtype(embeddings.dtype)
        info = np.finfo(dtype)
        largest = ops.max(ops.abs(embeddings), axis=-1, keepdims=True)
        usable = ops.logical_and(largest > 0.0, ops.isfinite(largest))
        exponent = ops.floor(ops.log2(ops.where(usable, largest, 1.0)))
        ordinary = ops.logical_or(ops.logical_not(usable), ops.abs(exponent) <= _ORDINARY_EXPONENT)
        # Within the normal range, so that 2^e and x / 2^e are exact.
        exponent = ops.clip(exponent, float(info.minexp), float(info.maxexp - 1))
        exponent = ops.where(ordinary, 0.0, exponent)
        self.embeddings = embeddings
        self.input_dtype = input_dtype
        self.all_ordinary = ops.all(ordinary)
        self.scales = ops.stop_gradient(ops.power(ops.cast(2.0, dtype), exponent))
        self.rows = embeddings / self.scales
        self.row_squared_norms = ops.maximum(
            ops.sum(ops.square(self.rows), axis=-1, keepdims=True), _EMBEDDING_NORM_EPSILON**2
        )
        self.row_norms = ops.sqrt(self.row_squared_norms)
        self.norms = ops.clip(self.scales * self.row_norms, _EMBEDDING_NORM_EPSILON, float(info.max))


def unit_rows(embeddings):
    """`x / ||x||` for a (B, D) tensor, zero rows mapped to zero, for any finite `x`."""
    return _unit_rows(_Rows(embeddings, backend.standardize_dtype(embeddings.dtype)), 0.0)


def _unit_rows(rows, floor):
    """`x / max(||x||, floor)`, with zero rows (norm below 1e-12) mapped to zero.

    A zero embedding has no direction; mapping it to 0 gives it cosines of 0 and a zero
    gradient, where dividing by the floored norm would give a gradient of 1e12. The
    `floor` (at least 1e-12, larger for float16 inputs: `_norm_floor`) bounds the
    gradient `1 / max(||x||, floor)` for the small rows that are not zero.
    """
    norms = rows.scales * rows.row_norms  # may be inf: only compared
    is_zero = norms <= _EMBEDDING_NORM_EPSILON
    # x / floor = rows * 2^e / floor; x / ||x|| = rows / ||rows||. Not `rsqrt`: sqrt and
    # division are correctly rounded, TensorFlow's vectorised rsqrt on AVX-512 CPUs is not
    # (an ulp off even for exact squares). That ulp moves a cosine of 1 to 1 - 6e-8, and
    # arccos is so steep there that ArcFace's s cos(theta + m) at theta = 0 moves by 0.015.
    inverse_norms = 1.0 / ops.sqrt(rows.row_squared_norms)
    inverse = ops.where(norms < floor, rows.scales / floor, inverse_norms)
    return rows.rows * ops.where(is_zero, 0.0, inverse)


def _norm_floor(logit_scale, input_dtype):
    """The smallest norm a cosine head divides by, for embeddings of `input_dtype`.

    1e-12, except where `s / 1e-12` would not fit the embeddings' dtype (float16): there
    the gradient `s / max(||x||, floor)` must, `_GRADIENT_HEADROOM` times over.
    """
    if input_dtype != "float16":
        return _EMBEDDING_NORM_EPSILON
    largest = float(np.finfo(input_dtype).max)
    return ops.maximum(ops.abs(logit_scale) * (_GRADIENT_HEADROOM / largest), _EMBEDDING_NORM_EPSILON)


@ops.custom_gradient
def _scale_back(row_logits, scales, all_ordinary):
    """`clip(row_logits * scales, +-LOGIT_LIMIT)`, at no cost when every scale is 1.

    Ordinary rows (all scales 1) cannot reach the limit unless centres have norms near
    1e27, so the two (B, C) passes are skipped there. The gradient is written out so
    that differentiating the `cond` keeps no (B, C) intermediate for the branch not taken.
    """
    logits = ops.cond(all_ordinary, lambda: row_logits, lambda: _saturate(row_logits * scales))

    def grad(*args, upstream=None):
        upstream = upstream_gradients(args, upstream)

        def saturated():
            return ops.where(ops.abs(logits) < LOGIT_LIMIT, upstream * scales, 0.0)

        return ops.cond(all_ordinary, lambda: upstream, saturated), None, None

    return logits, grad


def _saturate(logits):
    """Clips logits to `+-LOGIT_LIMIT` (NaN stays NaN); zero gradient beyond the limit."""
    return ops.clip(logits, -LOGIT_LIMIT, LOGIT_LIMIT)


def _safe_divide(numerator, denominator):
    return numerator / ops.maximum(denominator, _EMBEDDING_NORM_EPSILON)


def _float32_under_mixed_precision(dtype):
    policy = keras.dtype_policies.get(dtype) if dtype is not None else None
    if policy is None:
        policy = keras.config.dtype_policy()
    if policy.compute_dtype in ("float16", "bfloat16"):
        return "float32"
    return dtype

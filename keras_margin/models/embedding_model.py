"""`EmbeddingModel`: a backbone trained with a loss on embeddings through `model.fit`."""

import copy

import keras
import numpy as np
from keras import ops

from keras_margin.heads.normface import NormFace
from keras_margin.losses._pairs import EmbeddingLoss
from keras_margin.losses._pairs import l2_normalize
from keras_margin.metrics.class_means import class_means
from keras_margin.metrics.verification import DEFAULT_FAR_TARGETS
from keras_margin.models.margin_model import MarginModel
from keras_margin.models.margin_model import _is_array_like
from keras_margin.utils import validation


# `classifier`'s logit scale: the softmax of cosines in [-1, 1] needs a scale to become
# confident; 16 is the low end of the margin heads' usual scales, and temperature
# scaling refits it anyway.
CLASSIFIER_SCALE = 16.0


@keras.saving.register_keras_serializable(package="keras_margin")
class EmbeddingModel(keras.Model):
    """A backbone (inputs -> embeddings) trained with a pair, triplet or contrastive loss.

    The loss is one of `keras_margin.losses`' losses on embeddings
    (`TripletMarginLoss`, `ContrastiveLoss`, `MultiSimilarityLoss`, `SupConLoss`,
    `NTXentLoss`), given to `compile` and called as `loss(labels, embeddings)` on each
    batch's labels and backbone output. Those losses compare the samples of a batch
    with each other, so train on batches with several samples per class:
    `keras_margin.data.pk_batches` (P classes x K samples). Batches of arrays shuffled
    by `fit` often hold no positive pair, and then give a loss of 0.

    - `model(x)` returns the backbone's embeddings as they are (what the loss sees;
      every loss L2-normalises them itself);
    - `model.predict(x)` and `model.embed(x)` return L2-normalised float32
      embeddings (`x / max(||x||, 1e-12)`), also under a mixed-precision policy;
    - `model.evaluate_open_set(x, labels)` gives the open-set numbers: TAR@FAR, EER,
      ROC AUC, verification accuracy, rank-1 accuracy and MAP@R;
    - `model.classifier(train, num_classes)` is a closed-set classifier: a
      `MarginModel` on the same backbone whose centres are the class means of the
      training embeddings (nearest class mean);
    - `model.export(path)` writes a SavedModel whose `serving_default` returns the
      `embedding` of `MarginModel.export` (and, with `thresholds`, the same
      `thresholds` and `verify` endpoints), with no labels and no keras_margin needed.

    `evaluate` reports the compiled loss on the batches it is given (P x K batches for
    a meaningful value); Keras metrics such as "accuracy" have no meaning on
    embeddings.

    Args:
        backbone: a Keras model or layer from inputs to (batch, embedding_dim)
            embeddings. Random layers inside it (dropout, augmentation) are switched
            off outside training and in the export.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:

    >>> import numpy as np, keras, keras_margin as km
    >>> images = np.random.default_rng(0).uniform(0, 255, (40, 8, 8, 1)).astype("float32")
    >>> labels = np.arange(40) % 5
    >>> backbone = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
    ...                              keras.layers.Dense(16)])
    >>> model = km.models.EmbeddingModel(backbone)
    >>> model.compile(optimizer="adam",
    ...               loss=km.losses.TripletMarginLoss(margin=0.2, miner="batch_hard"))
    >>> train = km.data.pk_batches(images, labels, classes_per_batch=4, samples_per_class=4,
    ...                            seed=0)
    >>> history = model.fit(train, epochs=1, verbose=0)
    >>> embeddings = model.predict(images, verbose=0)
    >>> embeddings.shape, bool(np.allclose(np.linalg.norm(embeddings, axis=-1), 1.0, atol=1e-6))
    ((40, 16), True)
    >>> # model.evaluate_open_set(test_images, test_labels); model.export("serving/")

    References:
        - Schroff, Kalenichenko, Philbin. "FaceNet: A Unified Embedding for Face
          Recognition and Clustering", CVPR 2015. https://arxiv.org/abs/1503.03832
        - Musgrave, Belongie, Lim. "A Metric Learning Reality Check", ECCV 2020
          (training and evaluating embedding losses; MAP@R).
          https://arxiv.org/abs/2003.08505
    """

    def __init__(self, backbone, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(backbone, keras.layers.Layer):
            raise ValueError(
                f"`backbone` must be a Keras model or layer; received {type(backbone).__name__}."
            )
        self.backbone = backbone

    def build(self, input_shape):
        if not self.backbone.built:
            self.backbone.build(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        return self.backbone(inputs, training=training)

    def compute_output_shape(self, input_shape):
        return self.backbone.compute_output_shape(input_shape)

    def compile(self, optimizer="adam", loss=None, **kwargs):
        """As `keras.Model.compile`; `loss` must be a loss on embeddings.

        Args:
            optimizer: any Keras optimizer (default Adam).
            loss: an instance of one of `keras_margin.losses`' losses on embeddings,
                e.g. `TripletMarginLoss(margin=0.2, miner="batch_hard")` or
                `SupConLoss()`.
            **kwargs: other `keras.Model.compile` arguments.
        """
        if not isinstance(loss, EmbeddingLoss):
            raise ValueError(
                "`loss` must be a loss on embeddings from keras_margin.losses (ContrastiveLoss, "
                "TripletMarginLoss, MultiSimilarityLoss, SupConLoss, NTXentLoss); received "
                f"{loss!r}."
            )
        super().compile(optimizer=optimizer, loss=loss, **kwargs)

    def compile_from_config(self, config):
        # Keras skips a custom `compile` when loading a `.keras` file unless this exists.
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def fit(self, *args, **kwargs):
        """As `keras.Model.fit`, but `shuffle` defaults to False for data that is not an
        array (a `tf.data.Dataset` such as `pk_batches`, which reshuffles every epoch
        itself): Keras cannot shuffle those and warns on every call that its default
        `shuffle=True` is ignored."""
        x = args[0] if args else kwargs.get("x")
        shuffle_given = "shuffle" in kwargs or len(args) > 8  # shuffle is fit's ninth argument
        if not shuffle_given and not _is_array_like(x):
            kwargs["shuffle"] = False
        return super().fit(*args, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        # Said here rather than deep inside the loss: these are mistakes in the data.
        if y is None:
            raise ValueError(
                "An `EmbeddingModel` trains on (inputs, labels) batches: the loss compares "
                "the embeddings of samples with the same and with different labels."
            )
        if sample_weight is not None:
            raise ValueError(
                "The losses on embeddings reduce the whole batch to one value, so "
                "`sample_weight` and `class_weight` are not supported; balance classes "
                "with the P x K sampling of `keras_margin.data.pk_batches` instead."
            )
        return super().compute_loss(x=x, y=y, y_pred=y_pred, training=training)

    def predict_step(self, *args):
        outputs = super().predict_step(*args)
        if isinstance(outputs, tuple):  # JAX: (outputs, non_trainable_variables)
            return (_unit_rows(outputs[0]),) + tuple(outputs[1:])
        return _unit_rows(outputs)

    def embed(self, x, batch_size=None, verbose=0):
        """L2-normalised float32 embeddings of `x` (array or dataset), as a NumPy array:
        `predict` with `verbose=0`, named as `MarginModel.embed`."""
        return np.asarray(self.predict(x, batch_size=batch_size, verbose=verbose))

    def evaluate_open_set(self, x, labels=None, num_pairs=3000, seed=0,
                          far_targets=DEFAULT_FAR_TARGETS, batch_size=None, index="exact"):
        """Open-set verification and identification numbers of the embeddings of `x`.

        Usually on classes held out from training. Verification: up to `num_pairs`
        genuine and as many impostor pairs scored by cosine similarity
        (`keras_margin.metrics.open_set_metrics`; fewer pairs when `x` has fewer
        distinct pairs of a kind). Identification: every embedding queries all the
        others (leave-one-out, `keras_margin.retrieval.identification_metrics`).

        Args:
            x: inputs (an array), or a dataset of `(inputs, labels)` batches when
                `labels` is None.
            labels: identity labels of `x`, shape (n,); None when `x` yields them.
            num_pairs: the most genuine (and impostor) pairs to draw, >= 1.
            seed: seed of the pair sampling.
            far_targets: FAR values for the `tar_at_far_*` keys.
            batch_size: batch size of `predict` for arrays.
            index: the `Gallery` index of the identification search.

        Returns:
            A dict of plain numbers: `tar_at_far_<far>` per target, `eer`, `roc_auc`,
            `verification_accuracy`, `verification_accuracy_std`,
            `num_genuine_pairs`, `num_impostor_pairs` (see `open_set_metrics`), and
            `rank_1_accuracy`, `map_at_r`, `num_queries`.
        """
        from keras_margin.metrics.report import open_set_metrics
        from keras_margin.retrieval.identification import identification_metrics

        num_pairs = validation.integer_at_least(num_pairs, 1, "num_pairs")
        if labels is None:
            embeddings, labels = self._embed_labelled_batches(x)
        else:
            embeddings = self.embed(x, batch_size=batch_size)
            labels = np.asarray(labels)
        counts = np.unique(labels.reshape(-1), return_counts=True)[1]
        genuine = int(np.sum(counts * (counts - 1) // 2))
        impostor = int(counts.sum() * (counts.sum() - 1) // 2) - genuine
        # At least 1, so that data without any genuine or impostor pair gets
        # `verification_pairs`' own error, which says which is missing.
        num_pairs = max(1, min(num_pairs, genuine, impostor))
        metrics = open_set_metrics(embeddings, labels, num_pairs=num_pairs, seed=seed,
                                   far_targets=far_targets)
        metrics.update(identification_metrics(embeddings, labels.reshape(-1), index=index))
        return metrics

    def classifier(self, reference, num_classes, scale=CLASSIFIER_SCALE):
        """A `MarginModel` that classifies by the nearest class mean of `reference`.

        Its head is a `NormFace` whose centres are `keras_margin.metrics.class_means`
        of the embeddings of `reference` (usually the training split, without
        augmentation): logits `scale * cos(embedding, class mean)`. The backbone is
        this model's own (shared, not copied). The predicted class does not depend on
        `scale`; the probabilities do, which `MarginModel.calibrate_temperature` on
        validation data corrects.

        Args:
            reference: a dataset (or iterable) of `(inputs, labels)` batches holding
                every class.
            num_classes: number of classes, >= 2.
            scale: the logits' scale, > 0.

        Returns:
            A `MarginModel`, ready for `predict`, `calibrate_temperature` and `export`.
        """
        num_classes = validation.integer_at_least(num_classes, 2, "num_classes")
        embeddings, labels = self._embed_labelled_batches(reference)
        means = class_means(embeddings, labels, num_classes)
        head = NormFace(num_classes, scale=scale)
        head.build((None, means.shape[1]))
        head.kernel.assign(means.T.astype(head.kernel.dtype))
        return MarginModel(self.backbone, head)

    def _embed_labelled_batches(self, data):
        embeddings, labels = [], []
        for batch in data:
            inputs, batch_labels, _ = keras.utils.unpack_x_y_sample_weight(batch)
            if batch_labels is None:
                raise ValueError("`x` must yield (inputs, labels) batches when `labels` is None.")
            # A direct call, not `predict_on_batch`: that traces a function per model and
            # again for a last batch of another size.
            embeddings.append(np.asarray(_unit_rows(self(inputs, training=False))))
            labels.append(np.asarray(batch_labels).reshape(-1))
        if not embeddings:
            raise ValueError("`x` is empty: open-set evaluation needs labelled examples.")
        return np.concatenate(embeddings), np.concatenate(labels)

    def export(self, filepath, format="tf_saved_model", verbose=True, input_signature=None,
               thresholds=None, version=None):
        """Writes a SavedModel whose `serving_default` returns only `embedding`.

        `embedding` is (batch, embedding_dim) float32, L2-normalised: the values of
        `predict`, and the `embedding` output of `MarginModel.export`, written by the
        same code (so the same input checks: an input of another size than the
        signature fixes raises `InvalidArgumentError`, a row with a NaN or infinite
        value answers a NaN embedding; every layer runs with `training=False`). It
        loads with plain `tf.saved_model.load`, without keras_margin.

        Args:
            filepath: the SavedModel directory to write.
            format: only `"tf_saved_model"` is supported.
            verbose: print a summary of the endpoint.
            input_signature: a `keras.InputSpec`/`tf.TensorSpec` for the input; by
                default taken from the backbone's input.
            thresholds: optional `{far: threshold}` (e.g. from
                `keras_margin.retrieval.calibrate`), stored as a `thresholds` endpoint
                beside a `verify(inputs_a, inputs_b)` endpoint that decides with them.
            version: write to `filepath/version/`, TensorFlow Serving's layout.

        Raises:
            NotImplementedError: on a Keras backend other than TensorFlow.
        """
        if keras.backend.backend() != "tensorflow":
            raise NotImplementedError(
                "`EmbeddingModel.export` writes a TensorFlow SavedModel and needs the "
                f"TensorFlow backend; Keras runs on {keras.backend.backend()!r} here. Save the "
                "weights (`model.save_weights`), then load them and export in a process "
                "started with KERAS_BACKEND=tensorflow."
            )
        from keras_margin.models import export as export_lib

        if format != "tf_saved_model":
            raise ValueError(f"`format` must be 'tf_saved_model'; received {format!r}.")
        if not self.built:
            # A backbone trained elsewhere, wrapped only to be exported, is exported as
            # it is; the model's own build only records the input shape.
            if input_signature is None:
                input_signature = export_lib.serving_signature(self)
            self.build(tuple(input_signature.shape))
        export_lib.export_serving(self, filepath, input_signature=input_signature, verbose=verbose,
                                  thresholds=thresholds, version=version, classify=False)

    def get_config(self):
        config = super().get_config()
        config.update(backbone=keras.saving.serialize_keras_object(self.backbone))
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # A copy: deserialising a functional backbone empties its config dict in place.
        config = copy.deepcopy(config)
        backbone = keras.saving.deserialize_keras_object(
            config.pop("backbone"), custom_objects=custom_objects
        )
        return cls(backbone, **config)


def _unit_rows(embeddings):
    """float32 rows divided by `max(||x||, 1e-12)` (a zero row stays zero), as the
    losses and the export normalise."""
    return l2_normalize(ops.cast(embeddings, "float32"))

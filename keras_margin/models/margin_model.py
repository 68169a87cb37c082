"""`MarginModel`: a backbone and a margin head trained with the ordinary Keras workflow."""

from typing import Any, NamedTuple

import keras
import numpy as np
from keras import ops

from keras_margin.heads.base import MarginHead
from keras_margin.losses.cross_entropy import CrossEntropy


class _LabelledInputs(NamedTuple):
    """Model inputs with the labels attached, built by `train_step` for `call`."""

    inputs: Any
    labels: Any


class _TrainingOutputs(NamedTuple):
    """What `call` returns in a training step: the loss reads one, metrics the other.

    `labels` are what both are scored against: the batch's labels, or with a sampling
    head (`sample_rate`) each sample's position among the sampled classes.
    """

    logits: Any
    inference_logits: Any
    labels: Any


@keras.saving.register_keras_serializable(package="keras_margin")
class MarginModel(keras.Model):
    """A backbone (inputs -> embeddings) followed by a margin head (embeddings -> logits).

    During `fit` the labels of each batch reach the head, so it can put its margin on the
    target logits; the loss (by default `keras_margin.losses.CrossEntropy`, which takes
    class ids or soft labels) is computed on those logits, and compiled metrics on the
    no-margin logits, so that "accuracy" means what it will mean at inference. Evaluation
    and prediction never use labels. With a class-sampling head (`sample_rate`), the
    training logits cover the sampled classes and the loss and metrics see the labels
    remapped to them; evaluation, prediction and export use every class.

    - `model(x)` returns the no-margin logits;
    - `model.predict(x)` returns class probabilities (softmax of those logits);
    - `model.embed(x)` returns L2-normalised embeddings;
    - `model.export(path)` writes a SavedModel that needs no labels and no keras_margin.

    Args:
        backbone: a Keras model or layer from inputs to (batch, embedding_dim)
            embeddings. Random layers inside it (dropout, augmentation) are switched
            off outside training and in the export.
        head: a `keras_margin.heads.MarginHead`.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:

    >>> import keras_margin as km
    >>> backbone = km.models.small_cnn(embedding_dim=64, input_shape=(28, 28, 1))
    >>> model = km.MarginModel(backbone, km.heads.ArcFace(num_classes=10))
    >>> model.compile(optimizer="adam", metrics=["accuracy"])
    >>> # model.fit(train_dataset, epochs=10); model.export("serving/")
    """

    def __init__(self, backbone, head, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(head, MarginHead):
            raise ValueError(
                "`head` must be a keras_margin.heads.MarginHead (e.g. "
                f"km.heads.ArcFace(num_classes)); received {type(head).__name__}."
            )
        if not isinstance(backbone, keras.layers.Layer):
            raise ValueError(
                f"`backbone` must be a Keras model or layer; received {type(backbone).__name__}."
            )
        self.backbone = backbone
        self.head = head

    def build(self, input_shape):
        if isinstance(input_shape, _LabelledInputs):
            input_shape = input_shape.inputs
        if not self.backbone.built:
            self.backbone.build(input_shape)
        if not self.head.built:
            self.head.build(self.backbone.compute_output_shape(input_shape))
        self.built = True

    def get_build_config(self):
        # The shape seen by the first call may be the training one, labels attached.
        inputs = getattr(self.backbone, "inputs", None)
        if inputs and len(inputs) == 1:
            return {"input_shape": tuple(inputs[0].shape)}
        return super().get_build_config()

    def call(self, inputs, training=None):
        if isinstance(inputs, _LabelledInputs):
            embeddings = self.backbone(inputs.inputs, training=training)
            logits, inference_logits, labels = self.head(
                embeddings,
                labels=inputs.labels,
                training=training,
                return_inference_logits=True,
                return_labels=True,
            )
            return _TrainingOutputs(logits, inference_logits, labels)
        return self.head(self.backbone(inputs, training=training), training=training)

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras 3 (keras-team/keras#20585) builds the model from its first batch by
        # `strategy.reduce("MEAN", batch)`, which MultiWorkerMirroredStrategy cannot do
        # for a nested batch, so `fit` fails before its first step. Building needs
        # shapes only: this worker's first replica's slice of the batch gives them.
        strategy = getattr(self, "distribute_strategy", None)
        if iterator is not None and data_batch is None and _is_multi_worker(strategy):
            for _, _, batches in iterator:
                data_batch = keras.tree.map_structure(
                    lambda value: strategy.experimental_local_results(value)[0]
                    if isinstance(value, _distributed_values_type())
                    else value,
                    next(batches),
                )
                break
            iterator = None
        return super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def compile(self, optimizer="adam", loss="auto", metrics=None, **kwargs):
        """As `keras.Model.compile`; `loss="auto"` means `CrossEntropy()` on logits."""
        if isinstance(loss, str) and loss == "auto":
            loss = CrossEntropy()
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def compile_from_config(self, config):
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    # Keras' train_step calls `self(x)` without labels; attaching them to the inputs
    # keeps the backend's own train_step (gradient tape, loss scaling, distribution).
    def train_step(self, *args):
        *state, data = args
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        data = (_LabelledInputs(x, y), y) if sample_weight is None else (
            _LabelledInputs(x, y), y, sample_weight
        )
        return _with_batch_axis_for_multi_worker(self, super().train_step(*state, data))

    def test_step(self, *args):
        return _with_batch_axis_for_multi_worker(self, super().test_step(*args))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if isinstance(y_pred, _TrainingOutputs):
            y, y_pred = y_pred.labels, y_pred.logits
        if isinstance(x, _LabelledInputs):
            x = x.inputs
        return super().compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
        )

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if isinstance(y_pred, _TrainingOutputs):
            # With a sampling head these are the sampled classes' logits: training
            # accuracy is then measured among the sampled classes, validation among all.
            y, y_pred = y_pred.labels, y_pred.inference_logits
        if isinstance(x, _LabelledInputs):
            x = x.inputs
        return super().compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def predict_step(self, *args):
        outputs = super().predict_step(*args)
        if isinstance(outputs, tuple):  # JAX returns (outputs, non_trainable_variables)
            return (ops.softmax(outputs[0], axis=-1),) + tuple(outputs[1:])
        return ops.softmax(outputs, axis=-1)

    def embed(self, x, batch_size=None, verbose=0):
        """L2-normalised embeddings of `x` (array or dataset), as a NumPy array."""
        embeddings = np.asarray(self.backbone.predict(x, batch_size=batch_size, verbose=verbose))
        norms = np.linalg.norm(embeddings.astype("float32"), axis=-1, keepdims=True)
        return embeddings / np.maximum(norms, 1e-12)

    def export(self, filepath, format="tf_saved_model", verbose=True, input_signature=None,
               thresholds=None, version=None):
        """Writes a SavedModel whose `serving_default` needs only the model input.

        It returns `probabilities` (batch, num_classes), `class_id` (batch,) int32 and
        `embedding` (batch, embedding_dim), L2-normalised. Every layer runs with
        `training=False`, so two calls on the same input give identical outputs. It loads
        with plain `tf.saved_model.load`, in a process that never imports keras_margin.

        Args:
            filepath: the SavedModel directory to write.
            format: only `"tf_saved_model"` is supported.
            verbose: print a summary of the endpoint.
            input_signature: a `keras.InputSpec`/`tf.TensorSpec` for the input; by
                default taken from the backbone's input.
            thresholds: optional `{far: threshold}` (e.g. from
                `keras_margin.retrieval.calibrate`), stored as a `thresholds` endpoint
                beside a `verify(inputs_a, inputs_b)` endpoint that decides with them.
            version: write to `filepath/version/`, TensorFlow Serving's layout, with
                `filepath` the model base path (`BASE/NAME`).

        Raises:
            NotImplementedError: on a Keras backend other than TensorFlow.
        """
        if keras.backend.backend() != "tensorflow":
            raise NotImplementedError(
                "`MarginModel.export` writes a TensorFlow SavedModel and needs the TensorFlow "
                f"backend; Keras runs on {keras.backend.backend()!r} here. Save the weights "
                "(`model.save_weights`), then load them and export in a process started "
                "with KERAS_BACKEND=tensorflow."
            )
        from keras_margin.models import export as export_lib

        if format != "tf_saved_model":
            raise ValueError(f"`format` must be 'tf_saved_model'; received {format!r}.")
        export_lib.export_serving(self, filepath, input_signature=input_signature, verbose=verbose,
                                  thresholds=thresholds, version=version)

    def get_config(self):
        config = super().get_config()
        config.update(
            backbone=keras.saving.serialize_keras_object(self.backbone),
            head=keras.saving.serialize_keras_object(self.head),
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        backbone = keras.saving.deserialize_keras_object(
            config.pop("backbone"), custom_objects=custom_objects
        )
        head = keras.saving.deserialize_keras_object(config.pop("head"), custom_objects=custom_objects)
        return cls(backbone, head, **config)


def _is_multi_worker(strategy):
    if keras.backend.backend() != "tensorflow" or strategy is None:
        return False
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def _distributed_values_type():
    import tensorflow as tf

    return tf.distribute.DistributedValues


def _with_batch_axis_for_multi_worker(model, logs):
    """Logs with a leading axis of 1 under MultiWorkerMirroredStrategy, else as given.

    Keras 3 reduces a multi-worker step's logs by `strategy.reduce("MEAN", v, axis=0)`,
    which fails on the scalar losses and metrics every step returns; with a leading
    axis of 1 it averages over workers and gives back the scalar.
    """
    if not _is_multi_worker(getattr(model, "distribute_strategy", None)):
        return logs
    return keras.tree.map_structure(lambda value: ops.expand_dims(value, 0), logs)

"""`MarginModel`: a backbone and a margin head trained with the ordinary Keras workflow."""

import copy
from typing import Any, NamedTuple

import keras
import numpy as np
from keras import ops

from keras_margin.heads.base import MarginHead
from keras_margin.losses.cross_entropy import CrossEntropy
from keras_margin.utils import validation


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

    Several heads on one embedding (`heads={...}`) train jointly: the training loss is
    the sum of each head's loss (the compiled loss on that head's margin logits) times
    its `loss_weights` entry, plus any regularisation losses once. The seed's "softmax
    and margin loss together" is `heads={"softmax": Softmax(C), "arcface": ArcFace(C)}`.
    One head, `inference_head` (by default the first), is the model's classifier:
    `model(x)`, `predict`, the compiled metrics, `val_loss`, the export and `model.head`
    all read it; `embed` is the shared embedding, whichever head is named.

    Adversarial training (`adversarial`): each training batch is replaced by adversarial
    examples crafted against the inference logits before the step (PGD-AT or FGSM with
    random start; see `keras_margin.robustness.AdversarialTraining`). Evaluation,
    prediction and export are unchanged.

    Probabilities are `softmax(logits / temperature)`. The temperature is 1 until
    `calibrate_temperature(validation_data)` fits it (temperature scaling, Guo et al.
    2017); it is a non-trainable weight, so `save`, `load_weights` and the export keep it.
    `model(x)` always returns the uncalibrated logits.

    Args:
        backbone: a Keras model or layer from inputs to (batch, embedding_dim)
            embeddings. Random layers inside it (dropout, augmentation) are switched
            off outside training and in the export.
        head: a `keras_margin.heads.MarginHead`; or None with `heads`.
        heads: instead of `head`, a dict of at least one name -> `MarginHead`, trained
            jointly on the same embedding.
        loss_weights: with `heads`, a dict name -> weight >= 0 (every head by default
            1.0; a missing name means 1.0).
        inference_head: with `heads`, the name of the head that classifies (default:
            the first).
        adversarial: None (plain training), or a
            `keras_margin.robustness.AdversarialTraining` (a config dict or spec string
            such as `"pgd:epsilon=32"` is read by `keras_margin.robustness.adversarial_training.get`
            before it gets here; see `fit_margin_model`). TensorFlow backend only.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:

    >>> import keras_margin as km
    >>> backbone = km.models.small_cnn(embedding_dim=64, input_shape=(28, 28, 1))
    >>> model = km.MarginModel(backbone, km.heads.ArcFace(num_classes=10))
    >>> model.compile(optimizer="adam", metrics=["accuracy"])
    >>> # model.fit(train_dataset, epochs=10); model.export("serving/")
    >>> joint = km.MarginModel(backbone, heads={"softmax": km.heads.Softmax(10),
    ...                                         "arcface": km.heads.ArcFace(10)},
    ...                        loss_weights={"softmax": 1.0, "arcface": 1.0}, inference_head="arcface")
    >>> joint.head is joint.heads["arcface"]
    True

    References:
        Guo et al., "On Calibration of Modern Neural Networks", ICML 2017 (temperature
        scaling).
    """

    def __init__(self, backbone, head=None, heads=None, loss_weights=None, inference_head=None,
                 adversarial=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(backbone, keras.layers.Layer):
            raise ValueError(
                f"`backbone` must be a Keras model or layer; received {type(backbone).__name__}."
            )
        self.backbone = backbone
        if heads is None:
            if loss_weights is not None or inference_head is not None:
                raise ValueError("`loss_weights` and `inference_head` need `heads={name: head, ...}`.")
            self.head = _checked_head(head, "head")
            self._loss_weights = None
        else:
            if head is not None:
                raise ValueError("Pass either `head` or `heads`, not both.")
            heads, loss_weights, inference_head = _checked_heads(heads, loss_weights, inference_head)
            # `head` names the inference head as well: Keras tracks the layer once.
            self.heads = heads
            self.head = heads[inference_head]
            self._loss_weights = loss_weights
            self.inference_head = inference_head
        self.adversarial = _checked_adversarial(adversarial)
        # Temperature scaling of the probabilities (1 = none); see `calibrate_temperature`.
        self.temperature = self.add_weight(shape=(), initializer="ones", trainable=False,
                                           dtype="float32", name="temperature")

    def build(self, input_shape):
        if isinstance(input_shape, _LabelledInputs):
            input_shape = input_shape.inputs
        if not self.backbone.built:
            self.backbone.build(input_shape)
        embedding_shape = self.backbone.compute_output_shape(input_shape)
        for head in self._named_heads().values():
            if not head.built:
                head.build(embedding_shape)
        self.built = True

    def _named_heads(self):
        return self.heads if self._loss_weights is not None else {None: self.head}

    def get_build_config(self):
        # The shape seen by the first call may be the training one, labels attached.
        inputs = getattr(self.backbone, "inputs", None)
        if inputs and len(inputs) == 1:
            return {"input_shape": tuple(inputs[0].shape)}
        return super().get_build_config()

    def call(self, inputs, training=None):
        if isinstance(inputs, _LabelledInputs):
            embeddings = self.backbone(inputs.inputs, training=training)
            outputs = {
                name: _TrainingOutputs(*head(embeddings, labels=inputs.labels, training=training,
                                             return_inference_logits=True, return_labels=True))
                for name, head in self._named_heads().items()
            }
            if self._loss_weights is None:
                return outputs[None]
            # Every head's training logits and labels for the loss; the metrics read the
            # inference head's.
            inference = outputs[self.inference_head]
            return _TrainingOutputs(
                {name: output.logits for name, output in outputs.items()},
                inference.inference_logits,
                {name: output.labels for name, output in outputs.items()},
            )
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
        if self._loss_weights is not None and not callable(loss):
            # The joint loss applies one function to each head; a dict or list of
            # losses per output has no meaning here.
            loss = keras.losses.get(loss)
            if loss is None:
                raise ValueError("A `MarginModel` with several heads needs one `loss` function.")
        self._compiled_loss_function = loss
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def compile_from_config(self, config):
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def fit(self, *args, **kwargs):
        """As `keras.Model.fit`, but `shuffle` defaults to False for data that is not an
        array (a `tf.data.Dataset`, a `PyDataset`, a generator): Keras cannot shuffle
        those and warns on every call that its default `shuffle=True` is ignored; the
        pipelines of `keras_margin.data` reshuffle every epoch themselves."""
        x = args[0] if args else kwargs.get("x")
        shuffle_given = "shuffle" in kwargs or len(args) > 8  # shuffle is fit's ninth argument
        if not shuffle_given and not _is_array_like(x):
            kwargs["shuffle"] = False
        return super().fit(*args, **kwargs)

    # Keras' train_step calls `self(x)` without labels; attaching them to the inputs
    # keeps the backend's own train_step (gradient tape, loss scaling, distribution).
    def train_step(self, *args):
        *state, data = args
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if self.adversarial is not None:
            # Crafted before the step's gradient tape opens: the attack's own gradients
            # (on the inputs) never reach the weights' update.
            x = self.adversarial.craft(lambda images: self(images, training=False), x, y,
                                       self.optimizer.iterations)
        data = (_LabelledInputs(x, y), y) if sample_weight is None else (
            _LabelledInputs(x, y), y, sample_weight
        )
        return _with_batch_axis_for_multi_worker(self, super().train_step(*state, data))

    def test_step(self, *args):
        return _with_batch_axis_for_multi_worker(self, super().test_step(*args))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if isinstance(x, _LabelledInputs):
            x = x.inputs
        if isinstance(y_pred, _TrainingOutputs) and isinstance(y_pred.logits, dict):
            return self._joint_loss(y_pred, sample_weight)
        if isinstance(y_pred, _TrainingOutputs):
            y, y_pred = y_pred.labels, y_pred.logits
        return super().compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
        )

    def _joint_loss(self, outputs, sample_weight):
        """The weighted sum of the heads' losses plus the regularisation losses, once."""
        loss_function = self._compiled_loss_function
        total = 0.0
        for name, logits in outputs.logits.items():
            weight = self._loss_weights[name]
            if weight:
                head_loss = loss_function(outputs.labels[name], logits, sample_weight=sample_weight)
                total = total + weight * ops.cast(head_loss, "float32")
        for extra in self.losses:
            total = total + ops.cast(ops.sum(extra), "float32")
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if isinstance(y_pred, _TrainingOutputs):
            # With a sampling head these are the sampled classes' logits: training
            # accuracy is then measured among the sampled classes, validation among all.
            y, y_pred = y_pred.labels, y_pred.inference_logits
            if isinstance(y, dict):
                y = y[self.inference_head]
        if isinstance(x, _LabelledInputs):
            x = x.inputs
        return super().compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def predict_step(self, *args):
        outputs = super().predict_step(*args)
        if isinstance(outputs, tuple):  # JAX: (state, data) in, (outputs, non_trainable) out
            # The temperature is read from the step's state, not from the variable,
            # which JAX's compiled step cannot read.
            mapping = list(zip(self.non_trainable_variables, outputs[1]))
            with keras.StatelessScope(state_mapping=mapping):
                return (self._probabilities(outputs[0]),) + tuple(outputs[1:])
        return self._probabilities(outputs)

    def _probabilities(self, logits):
        logits = ops.cast(logits, "float32")
        return ops.softmax(logits / ops.convert_to_tensor(self.temperature), axis=-1)

    def calibrate_temperature(self, data, batch_size=256):
        """Fits the temperature of the probabilities on held-out data and keeps it.

        Temperature scaling (Guo et al. 2017): the one scalar `T > 0` that minimises the
        negative log-likelihood of `softmax(logits / T)` on `data`, the inference head's
        no-margin logits. It changes confidences, never the predicted class. Margin heads
        need it most: their logits are cosines times the scale `s`, so their confidence
        is set by `s`, not by how often they are right.

        Args:
            data: validation data never trained on: a dataset of `(inputs, labels)`
                batches, or an `(inputs, labels)` pair of arrays. Labels are class ids
                or probability rows.
            batch_size: batch size for arrays.

        Returns:
            The fitted temperature, a float; also stored in `model.temperature`, used by
            `predict` and written by `save` and `export`.
        """
        from keras_margin.models.temperature_scaling import fit_temperature

        logits, labels = [], []
        for inputs, batch_labels in _labelled_batches(data, batch_size):
            embeddings = self.backbone(inputs, training=False)
            logits.append(np.asarray(ops.convert_to_numpy(
                ops.cast(self.head(embeddings, training=False), "float32"))))
            labels.append(np.asarray(batch_labels))
        if not logits:
            raise ValueError("`data` is empty: temperature scaling needs validation examples.")
        temperature = fit_temperature(np.concatenate(logits), np.concatenate(labels))
        self.temperature.assign(temperature)
        return temperature

    def load_own_variables(self, store):
        # Models saved before the temperature existed have no variable of their own:
        # they load with temperature 1, i.e. the probabilities they always gave.
        if len(store.keys()) == 0:
            return
        super().load_own_variables(store)

    def embed(self, x, batch_size=None, verbose=0):
        """L2-normalised embeddings of `x` (array or dataset), as a NumPy array."""
        embeddings = np.asarray(self.backbone.predict(x, batch_size=batch_size, verbose=verbose))
        norms = np.linalg.norm(embeddings.astype("float32"), axis=-1, keepdims=True)
        return embeddings / np.maximum(norms, 1e-12)

    def export(self, filepath, format="tf_saved_model", verbose=True, input_signature=None,
               thresholds=None, version=None):
        """Writes a SavedModel whose `serving_default` needs only the model input.

        It returns `probabilities` (batch, num_classes), `class_id` (batch,) int32 and
        `embedding` (batch, embedding_dim), L2-normalised; the probabilities use the
        model's `temperature`. Every layer runs with `training=False`, so two calls on
        the same input give identical outputs. An input of another size than the
        signature fixes raises `InvalidArgumentError`; a row with a NaN or infinite
        value answers NaN probabilities and embedding and `class_id` -1. It loads with
        plain `tf.saved_model.load`, in a process that never imports keras_margin.

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
        config.update(backbone=keras.saving.serialize_keras_object(self.backbone))
        if self.adversarial is not None:  # absent otherwise: configs as before it existed
            config.update(adversarial=keras.saving.serialize_keras_object(self.adversarial))
        if self._loss_weights is None:
            config.update(head=keras.saving.serialize_keras_object(self.head))
        else:
            config.update(
                heads={name: keras.saving.serialize_keras_object(head)
                       for name, head in self.heads.items()},
                loss_weights=dict(self._loss_weights),
                inference_head=self.inference_head,
            )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # A deep copy: deserialising a functional backbone empties its nested config
        # dict in place, which would reach the caller's dict.
        config = copy.deepcopy(config)
        backbone = keras.saving.deserialize_keras_object(
            config.pop("backbone"), custom_objects=custom_objects
        )
        if config.get("adversarial") is not None:
            config["adversarial"] = keras.saving.deserialize_keras_object(
                config["adversarial"], custom_objects=custom_objects)
        if "heads" in config:
            config["heads"] = {
                name: keras.saving.deserialize_keras_object(head, custom_objects=custom_objects)
                for name, head in config["heads"].items()
            }
        else:
            config["head"] = keras.saving.deserialize_keras_object(
                config.pop("head"), custom_objects=custom_objects)
        return cls(backbone, **config)


def _is_array_like(x):
    return isinstance(x, (list, tuple, dict)) or hasattr(x, "shape")


def _checked_head(head, name):
    if not isinstance(head, MarginHead):
        raise ValueError(
            f"`{name}` must be a keras_margin.heads.MarginHead (e.g. "
            f"km.heads.ArcFace(num_classes)); received {type(head).__name__}."
        )
    return head


def _checked_adversarial(adversarial):
    """None, or an object that crafts the training batch (duck-typed: `models` sits below
    `keras_margin.robustness`, which defines `AdversarialTraining`)."""
    if adversarial is None:
        return None
    if not callable(getattr(adversarial, "craft", None)):
        raise ValueError(
            "`adversarial` must be None or a keras_margin.robustness.AdversarialTraining (e.g. "
            f"AdversarialTraining('pgd', epsilon=32.0)); received {type(adversarial).__name__}.")
    if keras.backend.backend() != "tensorflow":
        raise ValueError("`adversarial` training needs the TensorFlow backend "
                         f"(KERAS_BACKEND=tensorflow); the backend is {keras.backend.backend()!r}.")
    return adversarial


def _checked_heads(heads, loss_weights, inference_head):
    """`heads`, complete `loss_weights` and the inference head's name, checked."""
    if not isinstance(heads, dict) or not heads:
        raise ValueError("`heads` must be a non-empty dict of name -> MarginHead; received "
                         f"{type(heads).__name__}.")
    for name, head in heads.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"`heads` names must be non-empty strings; received {name!r}.")
        _checked_head(head, f"heads[{name!r}]")
    loss_weights = dict(loss_weights or {})
    unknown = sorted(set(loss_weights) - set(heads))
    if unknown:
        raise ValueError(f"`loss_weights` names unknown heads {unknown}; the heads are {list(heads)}.")
    loss_weights = {name: validation.non_negative(loss_weights.get(name, 1.0), f"loss_weights[{name!r}]")
                    for name in heads}
    if not any(loss_weights.values()):
        raise ValueError("`loss_weights` must give at least one head a weight > 0.")
    if inference_head is None:
        inference_head = next(iter(heads))
    if inference_head not in heads:
        raise ValueError(f"`inference_head` must be one of {list(heads)}; received {inference_head!r}.")
    return dict(heads), loss_weights, inference_head


def _labelled_batches(data, batch_size):
    """`(inputs, labels)` batches of a dataset, or of an `(inputs, labels)` pair of arrays."""
    if isinstance(data, (tuple, list)) and len(data) == 2:
        inputs, labels = data
        for start in range(0, len(labels), batch_size):
            yield inputs[start:start + batch_size], labels[start:start + batch_size]
        return
    for batch in data:
        inputs, labels, _ = keras.utils.unpack_x_y_sample_weight(batch)
        if labels is None:
            raise ValueError("`data` must yield (inputs, labels) batches.")
        yield inputs, labels


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

"""`SimCLR`: contrastive pre-training of a backbone on two augmented views per example."""

import copy

import keras
from keras import ops

from keras_margin.losses.ntxent import NTXentLoss
from keras_margin.models.margin_model import _is_array_like
from keras_margin.ssl.views import VIEW_KEYS
from keras_margin.utils import validation

# Chen et al. 2020 (Table 5 and their ImageNet runs): l2-normalised projections at
# temperature 0.1; Khosla et al. 2020 use 0.1 for SupCon too.
DEFAULT_TEMPERATURE = 0.1
# The output size of SimCLR's projection head.
DEFAULT_PROJECTION_DIM = 128


@keras.saving.register_keras_serializable(package="keras_margin")
class SimCLR(keras.Model):
    """SimCLR: a backbone and a projection head trained with NT-Xent on two views.

    Train with `model.fit` on batches of two views per example,
    `keras_margin.ssl.two_views(pool, augment, seed)`: for a batch of B examples the
    backbone `f` and the projection head `g` (Dense-ReLU-Dense) give `z = g(f(x))` for
    the 2B views, and the loss is `keras_margin.losses.NTXentLoss(temperature)` on
    them with the two views of example `i` labelled `i`: with `s_ij = cos(z_i, z_j) /
    temperature` and `j(i)` the other view of `i`,

        L = 1/(2B) sum_i -log( exp(s_{i j(i)}) / sum_{k != i} exp(s_ik) )

    (the other 2B - 2 views are the negatives). Labels in the batches are not used:
    this is self-supervised. `SupCon` is the supervised variant.

    After pre-training, `model.backbone` is the representation (the projection head
    is dropped, as in the paper): evaluate it with `keras_margin.ssl.linear_probe`
    and `knn_accuracy`, or fine-tune it with any margin head,
    `keras_margin.MarginModel(model.backbone, keras_margin.heads.ArcFace(...))`.

    - `model(views)` (the `two_views` dict) returns the (2B, projection_dim)
      projections of `view_1` then `view_2`, what the loss sees; `model(x)` on plain
      inputs returns their projections.
    - `compile(optimizer)` sets the loss itself; the batch norm of the backbone sees
      both views together (2B examples), as SimCLR's global batch norm.
    - Under a mixed-precision policy the loss is computed in float32.

    Args:
        backbone: a Keras model or layer from inputs to (batch, features).
        projection_dim: output size of the projection head, >= 1 (default 128, the
            paper's).
        hidden_dim: units of the head's hidden layer, >= 1; by default the backbone's
            output size, as in the paper (needs a backbone with a known output shape).
        temperature: the NT-Xent temperature, > 0 (default 0.1, the paper's).
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:

    >>> import numpy as np, tensorflow as tf, keras_margin as km
    >>> images = np.random.default_rng(0).uniform(0, 255, (16, 8, 8, 1)).astype("float32")
    >>> pool = tf.data.Dataset.from_tensor_slices(images).batch(8)
    >>> views = km.ssl.two_views(pool, km.augment.image.policy("light"), seed=0)
    >>> backbone = km.models.small_cnn(embedding_dim=16, input_shape=(8, 8, 1), width=4)
    >>> model = km.ssl.SimCLR(backbone, projection_dim=8)
    >>> model.compile(optimizer="adam")
    >>> history = model.fit(views, epochs=1, verbose=0)
    >>> model.backbone.output_shape  # fine-tune it: km.MarginModel(model.backbone, head)
    (None, 16)

    References:
        - Chen, Kornblith, Norouzi, Hinton. "A Simple Framework for Contrastive
          Learning of Visual Representations", ICML 2020.
          https://arxiv.org/abs/2002.05709
        - Khosla, Teterwak, Sarna, Tian, Isola, Maschinot, Liu, Krishnan. "Supervised
          Contrastive Learning", NeurIPS 2020 (the supervised variant, `SupCon`).
          https://arxiv.org/abs/2004.11362
    """

    # What a subclass changes: the loss on the projections (and `view_labels`).
    loss_class = NTXentLoss

    def __init__(self, backbone, projection_dim=DEFAULT_PROJECTION_DIM, hidden_dim=None,
                 temperature=DEFAULT_TEMPERATURE, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(backbone, keras.layers.Layer):
            raise ValueError(
                f"`backbone` must be a Keras model or layer; received {type(backbone).__name__}."
            )
        self.projection_dim = validation.integer_at_least(projection_dim, 1, "projection_dim")
        if hidden_dim is None:
            hidden_dim = _output_size(backbone)
        self.hidden_dim = validation.integer_at_least(hidden_dim, 1, "hidden_dim")
        self.temperature = validation.positive(temperature, "temperature")
        self.backbone = backbone
        self.projection_head = keras.Sequential(
            [
                keras.layers.Dense(self.hidden_dim, activation="relu", name="hidden"),
                keras.layers.Dense(self.projection_dim, name="projection"),
            ],
            name="projection_head",
        )

    def build(self, input_shape):
        if isinstance(input_shape, dict):
            input_shape = input_shape[VIEW_KEYS[0]]
        if not self.backbone.built:
            self.backbone.build(input_shape)
        features = self.backbone.compute_output_shape(input_shape)
        if not self.projection_head.built:
            self.projection_head.build(features)
        self.built = True

    def call(self, inputs, training=None):
        if isinstance(inputs, dict):
            _check_views(inputs)
            # Both views in one pass: one set of batch statistics for the 2B views.
            inputs = ops.concatenate([inputs[VIEW_KEYS[0]], inputs[VIEW_KEYS[1]]], axis=0)
        return self.projection_head(self.backbone(inputs, training=training), training=training)

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict):
            shape = input_shape[VIEW_KEYS[0]]
            batch = None if shape[0] is None else 2 * shape[0]
            return (batch, self.projection_dim)
        return (input_shape[0], self.projection_dim)

    def compile(self, optimizer="adam", **kwargs):
        """As `keras.Model.compile`, with the loss set by the model.

        Args:
            optimizer: any Keras optimizer (default Adam; the paper used LARS at
                batch sizes of thousands).
            **kwargs: other `keras.Model.compile` arguments, but not `loss`: the loss
                is `NTXentLoss(temperature)` (`SupConLoss` for `SupCon`).
        """
        if "loss" in kwargs:
            raise ValueError(
                f"`loss` is set by {type(self).__name__} ({self.loss_class.__name__} at "
                f"temperature={self.temperature:g}); change `temperature` instead of passing one."
            )
        super().compile(optimizer=optimizer, loss=self.loss_class(temperature=self.temperature),
                        **kwargs)

    def compile_from_config(self, config):
        # Keras skips a custom `compile` when loading a `.keras` file unless this exists.
        config = keras.saving.deserialize_keras_object(config)
        config.pop("loss", None)
        self.compile(**config)
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def fit(self, *args, **kwargs):
        """As `keras.Model.fit`; `shuffle` defaults to False for a dataset (which
        `two_views` batches are; the pool reshuffles itself every epoch), as Keras
        cannot shuffle one and warns otherwise."""
        x = args[0] if args else kwargs.get("x")
        if "shuffle" not in kwargs and len(args) <= 8 and not _is_array_like(x):
            kwargs["shuffle"] = False
        return super().fit(*args, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if not isinstance(x, dict):
            raise ValueError(
                f"{type(self).__name__} trains on batches of two views per example: map the "
                "dataset with `keras_margin.ssl.two_views(dataset, augment, seed)` before "
                "`fit` or `evaluate`."
            )
        if sample_weight is not None:
            raise ValueError(
                "The contrastive losses reduce the whole batch to one value, so "
                "`sample_weight` and `class_weight` are not supported."
            )
        return super().compute_loss(x=x, y=self.view_labels(y_pred, y), y_pred=y_pred,
                                    training=training)

    def view_labels(self, projections, labels=None):
        """The labels of the 2B stacked views that the loss sees: example `i`'s id
        (SimCLR; `labels` are ignored) or its class (SupCon), for both of its views."""
        size = ops.shape(projections)[0] // 2
        ids = ops.arange(size, dtype="int32")
        return ops.concatenate([ids, ids], axis=0)

    def get_config(self):
        config = super().get_config()
        config.update(
            backbone=keras.saving.serialize_keras_object(self.backbone),
            projection_dim=self.projection_dim,
            hidden_dim=self.hidden_dim,
            temperature=self.temperature,
        )
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # A copy: deserialising a functional backbone empties its config dict in place.
        config = copy.deepcopy(config)
        backbone = keras.saving.deserialize_keras_object(
            config.pop("backbone"), custom_objects=custom_objects
        )
        return cls(backbone, **config)


def _output_size(backbone):
    try:
        size = backbone.output_shape[-1]
    except (AttributeError, ValueError, RuntimeError):
        size = None
    if size is None:
        raise ValueError(
            "`hidden_dim` is required for a backbone without a known output shape "
            f"({type(backbone).__name__}); pass e.g. hidden_dim=128."
        )
    return int(size)


def _check_views(inputs):
    if sorted(inputs) != sorted(VIEW_KEYS):
        raise ValueError(
            f"Two-view inputs must be a dict with the keys {VIEW_KEYS} (see "
            f"`keras_margin.ssl.two_views`); received keys {sorted(inputs)}."
        )

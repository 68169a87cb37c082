"""`RandomChoice`: one of several layers, chosen per image."""

import keras
import tensorflow as tf

from keras_margin.augment.image import _layer
from keras_margin.augment.image import _per_image_layers
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class RandomChoice(_layer.AugmentationLayer):
    """Applies to each image one layer drawn from `layers` (uniformly, or by `weights`).

    Every image draws its own layer; the images that drew the same layer go through it
    together, as one batch, and a layer no image drew does not run. With
    `training=False` the layer returns its input unchanged.

    The layers must keep the image shape. keras_margin augmentation layers get seeds
    derived from this layer's (so `seeded_map` reproduces them); Keras core layers
    draw from their own seed generators. The output dtype is the one the first layer
    declares for its output; the other layers' outputs are cast to it.

    Args:
        layers: a non-empty list of Keras layers.
        weights: None (uniform) or one non-negative number per layer, not all zero;
            they are normalised to probabilities.
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for an empty or non-layer `layers`, `weights`
            of the wrong length or sign, or a bad `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.image import GaussianNoise, GridMask, RandomChoice
    >>> images = np.full((8, 32, 32, 3), 100, "uint8")
    >>> choice = RandomChoice([GridMask(seed=1), GaussianNoise(seed=2)], seed=0)
    >>> tuple(choice(images).shape)
    (8, 32, 32, 3)
    """

    def __init__(self, layers, weights=None, seed=None, **kwargs):
        if not isinstance(layers, (list, tuple)) or not layers:
            raise ValueError(f"`layers` must be a non-empty list of layers; received {layers!r}.")
        layers = [
            _per_image_layers.deserialize(layer) if isinstance(layer, dict) else layer
            for layer in layers
        ]
        layers = [_per_image_layers.check_layer(layer, "layers") for layer in layers]
        if weights is not None:
            if (
                not isinstance(weights, (list, tuple))
                or len(weights) != len(layers)
                or not all(validation.is_finite_number(w) and w >= 0 for w in weights)
                or not sum(weights) > 0
            ):
                raise ValueError(
                    "`weights` must be None or one non-negative number per layer, not "
                    f"all zero ({len(layers)} layers); received {weights!r}."
                )
            weights = [float(w) for w in weights]
        super().__init__(seed=seed, **kwargs)
        self.layers = list(layers)
        self.weights_ = weights

    def build(self, input_shape):
        # The wrapped layers see images of the same shape as this layer.
        images_shape = input_shape["images"] if isinstance(input_shape, dict) else input_shape
        for layer in self.layers:
            if not layer.built:
                layer.build(images_shape)
        self.built = True

    def augment(self, inputs, seed):
        images, unbatch = _layer.as_batch(_layer.images_of(inputs))
        draw_seed, layer_seed = _layer.split_seed(seed, 2)
        count = len(self.layers)
        weights = self.weights_ or [1.0] * count
        logits = tf.math.log(tf.constant([weights], tf.float32))
        group = tf.random.stateless_categorical(
            logits, tf.shape(images)[0], draw_seed, dtype=tf.int32
        )[0]
        out = _per_image_layers.run_on_groups(images, group, self.layers, layer_seed)
        return _layer.with_images(inputs, unbatch(out))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "layers": [_per_image_layers.serialize(layer) for layer in self.layers],
                "weights": self.weights_,
            }
        )
        return config

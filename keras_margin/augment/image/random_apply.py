"""`RandomApply`: a layer applied to each image with a probability."""

import keras
import tensorflow as tf

from keras_margin.augment.image import _layer
from keras_margin.augment.image import _per_image_layers
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class RandomApply(_layer.AugmentationLayer):
    """Applies `layer` to each image of a batch independently with `probability`.

    The decision is per image (Keras core layers decide per batch or not at all): the
    chosen images go through `layer` together, as one batch, and the others pass
    through unchanged; none of the work is spent on images that were not chosen.
    With `training=False` the layer returns its input unchanged.

    `layer` must keep the image shape. A keras_margin augmentation layer gets a seed
    derived from this layer's, so `seeded_map` reproduces it; a Keras core layer
    draws from its own seed generator. The output dtype is the one `layer` declares
    for its output (Keras core layers: their float compute dtype; keras_margin layers:
    the input's); images that skip `layer` are cast to it.

    Args:
        layer: a Keras layer taking and returning image batches of one shape.
        probability: the chance that an image goes through `layer`, in [0, 1]
            (default 0.5).
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a non-layer `layer` (or one that mixes
            labels), a `probability` outside [0, 1] or a bad `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.image import GridMask, RandomApply
    >>> images = np.full((8, 32, 32, 3), 200, "uint8")
    >>> masked = RandomApply(GridMask(seed=0), probability=0.5, seed=0)(images)
    >>> tuple(masked.shape), masked.dtype.name
    ((8, 32, 32, 3), 'uint8')
    """

    def __init__(self, layer, probability=0.5, seed=None, **kwargs):
        if isinstance(layer, dict):
            layer = _per_image_layers.deserialize(layer)
        layer = _per_image_layers.check_layer(layer, "layer")
        probability = validation.number_in_range(probability, "probability", 0.0, 1.0)
        super().__init__(seed=seed, **kwargs)
        self.layer = layer
        self.probability = probability

    def build(self, input_shape):
        # The wrapped layers see images of the same shape as this layer.
        images_shape = input_shape["images"] if isinstance(input_shape, dict) else input_shape
        for layer in [self.layer]:
            if not layer.built:
                layer.build(images_shape)
        self.built = True

    def augment(self, inputs, seed):
        images, unbatch = _layer.as_batch(_layer.images_of(inputs))
        draw_seed, layer_seed = _layer.split_seed(seed, 2)
        chosen = tf.random.stateless_uniform([tf.shape(images)[0]], draw_seed)
        group = tf.cast(chosen < self.probability, tf.int32)
        out = _per_image_layers.run_on_groups(images, group, [None, self.layer], layer_seed)
        return _layer.with_images(inputs, unbatch(out))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "layer": _per_image_layers.serialize(self.layer),
                "probability": self.probability,
            }
        )
        return config

"""`ProgressiveResizing`: EfficientNetV2's staged image size and augmentation strength."""

import keras
import tensorflow as tf

from keras_margin.utils import validation


class ProgressiveResizing(keras.callbacks.Callback):
    """Trains on small images with weak augmentation first, then larger and stronger.

    Training is split into `stages` equal runs of epochs. In stage i of M the images
    are resized to `S_i = S_0 + (S_e - S_0) * i / (M - 1)` and the augmentation
    magnitude is `Phi_i = Phi_0 + (Phi_e - Phi_0) * i / (M - 1)`, as in EfficientNetV2:
    small images train fast and need little regularisation; the final stages at full
    size, with strong augmentation, recover (or improve) the accuracy.

    The size lives in the `size` variable, read by the `resize` map inside `tf.data`;
    the magnitude in the variable you pass (read by e.g.
    `keras_margin.augment.magnitude.ScaledAffine`). This callback writes both at the
    start of every epoch; the dataset is not rebuilt.

    Constraint: the model must accept images of varying height and width, since the
    batches change size between stages. A backbone that ends in global pooling does,
    when built for `(None, None, channels)` inputs, e.g.
    `km.models.small_cnn(input_shape=(None, None, 1))`; one with a `Flatten` and a
    dense layer does not. Evaluate at the final size (leave validation data alone).

    Args:
        epochs: the total number of training epochs, an integer >= 1.
        initial_size: `S_0`, (height, width) or one integer for square images.
        final_size: `S_e`, likewise; usually the data's own size.
        stages: M, an integer in [1, epochs] (default 4).
        magnitude: optional scalar variable the augmentation reads.
        initial_magnitude: `Phi_0`, >= 0 (default 0.0).
        final_magnitude: `Phi_e`, >= 0 (default 1.0).

    Example:

    >>> import keras_margin as km
    >>> magnitude = km.augment.magnitude.magnitude_variable(0.0)
    >>> resizing = km.callbacks.ProgressiveResizing(
    ...     epochs=8, initial_size=16, final_size=28, stages=4, magnitude=magnitude)
    >>> [resizing.size_at(e) for e in (0, 2, 4, 7)]
    [(16, 16), (20, 20), (24, 24), (28, 28)]
    >>> # train = train.map(resizing.resize).map(km.augment.magnitude.ScaledAffine(
    >>> #     rotation=15, magnitude=magnitude))
    >>> # backbone = km.models.small_cnn(input_shape=(None, None, 1))
    >>> # model.fit(train, epochs=8, callbacks=[resizing])

    References:
        - Tan, Le. "EfficientNetV2: Smaller Models and Faster Training", ICML 2021,
          section 4 (progressive learning). https://arxiv.org/abs/2104.00298
    """

    def __init__(self, epochs, initial_size, final_size, stages=4, magnitude=None,
                 initial_magnitude=0.0, final_magnitude=1.0):
        super().__init__()
        self.epochs = validation.integer_at_least(epochs, 1, "epochs")
        self.initial_size = _size(initial_size, "initial_size")
        self.final_size = _size(final_size, "final_size")
        self.stages = validation.integer_at_least(stages, 1, "stages")
        if self.stages > self.epochs:
            raise ValueError(f"`stages` must be at most `epochs` ({self.epochs}); received {stages!r}.")
        if magnitude is not None and (
            not isinstance(magnitude, (tf.Variable, keras.Variable)) or tuple(magnitude.shape) != ()
        ):
            raise ValueError(f"`magnitude` must be None or a scalar variable; received {magnitude!r}.")
        self.magnitude = magnitude
        self.initial_magnitude = validation.non_negative(initial_magnitude, "initial_magnitude")
        self.final_magnitude = validation.non_negative(final_magnitude, "final_magnitude")
        self.size = tf.Variable(self.initial_size, trainable=False, dtype=tf.int32, name="image_size")

    def stage_of(self, epoch):
        """The 0-based stage of a 0-based epoch; epochs past `epochs` stay in the last."""
        return min(epoch * self.stages // self.epochs, self.stages - 1)

    def _fraction(self, epoch):
        return 1.0 if self.stages == 1 else self.stage_of(epoch) / (self.stages - 1)

    def size_at(self, epoch):
        """(height, width) of the training images during `epoch`."""
        fraction = self._fraction(epoch)
        return tuple(
            int(round(start + (end - start) * fraction))
            for start, end in zip(self.initial_size, self.final_size)
        )

    def magnitude_at(self, epoch):
        """The augmentation magnitude during `epoch`."""
        return self.initial_magnitude + (self.final_magnitude - self.initial_magnitude) * self._fraction(epoch)

    def resize(self, images, labels):
        """The `tf.data` map: resizes a batch to the current `size` (bilinear, antialiased)."""
        resized = tf.image.resize(tf.cast(images, tf.float32), self.size, antialias=True)
        return resized, labels

    def on_epoch_begin(self, epoch, logs=None):
        self.size.assign(self.size_at(epoch))
        if self.magnitude is not None:
            self.magnitude.assign(self.magnitude_at(epoch))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["image_height"], logs["image_width"] = (float(s) for s in self.size_at(epoch))


def _size(value, name):
    if not isinstance(value, (tuple, list)):
        value = (value, value)
    if len(value) != 2:
        raise ValueError(f"`{name}` must be an integer or (height, width); received {value!r}.")
    return tuple(validation.integer_at_least(v, 1, name) for v in value)

"""`AugmentationSchedule`: set an augmentation strength variable at every epoch."""

import keras
import tensorflow as tf

from keras_margin.utils import validation


class AugmentationSchedule(keras.callbacks.Callback):
    """Writes an augmentation magnitude (or probability) variable at each epoch start.

    The variable is read inside the `tf.data` map (see
    `keras_margin.augment.magnitude`), so the dataset is not rebuilt: the same
    pipeline augments more (or less) strongly from the next batch it produces. Keras
    starts a new iterator over a finite dataset every epoch, after `on_epoch_begin`,
    so the new value holds from the epoch's first batch; over a repeated dataset
    (`steps_per_epoch`), the few batches already prefetched keep the old value.

    A curriculum from weak to strong augmentation lets the model fit the clean data
    first; strong augmentation from the start can slow or stall early training,
    especially together with a large margin.

    Args:
        magnitude: the scalar `tf.Variable` (or `keras.Variable`) the augmentation
            reads, e.g. from `keras_margin.augment.magnitude.magnitude_variable`.
        schedule: a callable `epoch -> value` (0-based epochs), or a sequence of
            per-epoch values whose last value holds for later epochs.

    Example:

    >>> import keras_margin as km
    >>> magnitude = km.augment.magnitude.magnitude_variable(0.0)
    >>> schedule = km.callbacks.AugmentationSchedule.linear(magnitude, 0.2, 1.0, epochs=5)
    >>> [round(schedule.value_at(e), 2) for e in range(7)]
    [0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0]
    >>> # affine = km.augment.magnitude.ScaledAffine(rotation=15, magnitude=magnitude)
    >>> # model.fit(train.map(affine), epochs=10, callbacks=[schedule])

    References:
        - Tan, Le. "EfficientNetV2: Smaller Models and Faster Training", ICML 2021,
          section 4.2 (regularisation that grows with training).
          https://arxiv.org/abs/2104.00298
    """

    def __init__(self, magnitude, schedule):
        super().__init__()
        if not isinstance(magnitude, (tf.Variable, keras.Variable)) or tuple(magnitude.shape) != ():
            raise ValueError(
                "`magnitude` must be a scalar tf.Variable or keras.Variable read by the "
                f"augmentation; received {magnitude!r}."
            )
        if callable(schedule):
            values = None
        else:
            try:
                values = [validation.non_negative(v, "schedule") for v in schedule]
            except TypeError:
                raise ValueError(
                    f"`schedule` must be a callable or a sequence of numbers; received {schedule!r}."
                ) from None
            if not values:
                raise ValueError("`schedule` must hold at least one value.")
        self.magnitude = magnitude
        self.schedule = schedule
        self._values = values

    @classmethod
    def linear(cls, magnitude, start, end, epochs):
        """From `start` at epoch 0 to `end` at epoch `epochs - 1`, then `end`."""
        start = validation.non_negative(start, "start")
        end = validation.non_negative(end, "end")
        epochs = validation.integer_at_least(epochs, 1, "epochs")
        if epochs == 1:
            return cls(magnitude, [end])
        return cls(magnitude, [start + (end - start) * e / (epochs - 1) for e in range(epochs)])

    def value_at(self, epoch):
        """The value written at the start of `epoch` (0-based)."""
        if self._values is None:
            return validation.non_negative(self.schedule(epoch), "schedule(epoch)")
        return self._values[min(epoch, len(self._values) - 1)]

    def on_epoch_begin(self, epoch, logs=None):
        self.magnitude.assign(self.value_at(epoch))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["augmentation_magnitude"] = float(self.value_at(epoch))

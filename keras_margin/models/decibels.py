"""`Decibels`: power to decibels with a fixed floor, for log-mel spectrograms."""

import keras
from keras import ops

from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class Decibels(keras.layers.Layer):
    """`10 * log10(max(power, 10 ** (floor_db / 10)))`: power in decibels, fixed floor.

    Each value depends on nothing but itself (no batch-wide reference), so a clip
    gets the same features whatever it is batched with.

    Args:
        floor_db: the smallest output, in dB (default -100).

    Example:

    >>> import numpy as np
    >>> Decibels()(np.array([[1.0, 100.0, 0.0]], "float32")).numpy().tolist()
    [[0.0, 20.0, -100.0]]
    """

    def __init__(self, floor_db=-100.0, **kwargs):
        super().__init__(**kwargs)
        self.floor_db = validation.number_in_range(floor_db, "floor_db")

    def call(self, inputs):
        floor = 10.0 ** (self.floor_db / 10.0)
        return 10.0 * ops.log10(ops.maximum(inputs, floor))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "floor_db": self.floor_db}

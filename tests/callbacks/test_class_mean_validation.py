"""`ClassMeanValidation`: the nearest-class-mean accuracy as `val_accuracy`, before the
callbacks that read it."""

import keras
import numpy as np
import tensorflow as tf

import keras_margin as km


def test_writes_the_accuracy_that_best_validation_then_reads():
    reference = tf.data.Dataset.from_tensor_slices(
        (np.array([[1.0, 0.0], [0.0, 1.0]], "float32"), np.array([0, 1]))).batch(2)
    # Two of the three validation points lie nearer the other class's mean.
    validation = tf.data.Dataset.from_tensor_slices(
        (np.array([[2.0, 0.1], [0.1, 2.0], [3.0, 0.2]], "float32"), np.array([0, 0, 1]))).batch(2)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Identity()])
    check = km.callbacks.ClassMeanValidation(reference, validation, num_classes=2)
    seen = []
    reader = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs["val_accuracy"]))
    check.set_model(model)
    callbacks = keras.callbacks.CallbackList([check, reader], model=model)
    callbacks.on_epoch_end(0, {"loss": 1.0})
    assert seen == [1 / 3]

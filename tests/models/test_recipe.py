"""`fit_margin_model`: the training recipe shared by the CLI and the studies."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype("float32")
    y = rng.integers(0, 8, size=32).astype("int32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(8)


@pytest.mark.parametrize(
    "sample_rate, optimizer_class",
    [(None, keras.optimizers.Adam), (0.5, km.optimizers.LazyAdam)],
)
def test_a_sampling_head_trains_with_lazy_adam(sample_rate, optimizer_class):
    backbone = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    head = km.heads.CosFace(8, sample_rate=sample_rate, seed=0)
    model, history = km.models.fit_margin_model(backbone, head, _data(), None, epochs=1)
    assert type(model.optimizer) is optimizer_class
    assert np.isfinite(history.history["loss"][-1])

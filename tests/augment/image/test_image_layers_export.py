"""Every random image layer: identity at inference, export, `.keras` round trip, tf.data."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_margin.augment import image

INPUT = (24, 24, 3)


def layers():
    """One of each layer, as a user would stack them in a model's preprocessing."""
    return [
        image.RandAugment(seed=1),
        image.TrivialAugment(seed=2),
        image.RandomApply(image.GridMask(seed=3), 0.5, seed=4),
        image.RandomChoice([image.GaussianNoise(seed=5), image.RandomJPEGQuality(seed=6)],
                           seed=7),
        image.GridMask(seed=8),
        image.GaussianNoise(seed=9),
        image.RandomJPEGQuality(seed=10),
        image.RandomResizedCrop(16, 16, seed=11),
    ]


def model():
    inputs = keras.Input(INPUT, dtype="uint8")
    x = inputs
    for layer in layers():
        x = layer(x)
    x = keras.layers.Rescaling(1 / 255.0)(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(3, kernel_initializer="ones")(x)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).integers(0, 256, (4, *INPUT)).astype("uint8")


def test_symbolic_shapes_follow_the_layers():
    inputs = keras.Input(INPUT, dtype="uint8")
    for layer in layers()[:-1]:
        out = layer(inputs)
        assert tuple(out.shape) == (None, *INPUT) and out.dtype == "uint8"
    assert tuple(layers()[-1](inputs).shape) == (None, 16, 16, 3)


def test_inference_is_the_identity_or_the_central_crop(images):
    for layer in layers()[:-1]:
        np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)
    crop = layers()[-1]
    expected = tf.image.crop_and_resize(
        images.astype("float32"), [[1.5 / 23, 1.5 / 23, 21.5 / 23, 21.5 / 23]] * 4,
        tf.range(4), (16, 16),
    )
    central = np.asarray(crop(images, training=False))
    np.testing.assert_allclose(central, np.round(expected.numpy()), atol=1)


def test_in_a_model_the_layers_follow_the_training_argument(images):
    built = model()
    expected = np.asarray(built(images, training=False))
    # Called without `training` (as model.export serves), the model is inference.
    np.testing.assert_allclose(np.asarray(built(images)), expected, rtol=1e-6)
    assert not np.allclose(np.asarray(built(images, training=True)), expected)
    # Called directly, outside a model, a layer augments.
    assert not np.array_equal(np.asarray(image.GridMask(seed=0)(images)), images)


def test_export_serves_deterministically(images, tmp_path):
    built = model()
    expected = np.asarray(built(images, training=False))
    np.testing.assert_allclose(np.asarray(built.predict(images, verbose=0)), expected, rtol=1e-5)
    path = str(tmp_path / "served")
    built.export(path, verbose=False)
    served = tf.saved_model.load(path)
    first = served.serve(tf.constant(images)).numpy()
    np.testing.assert_allclose(first, expected, rtol=1e-5)
    np.testing.assert_array_equal(served.serve(tf.constant(images)).numpy(), first)


def test_keras_file_round_trip(images, tmp_path):
    built = model()
    path = str(tmp_path / "model.keras")
    built.save(path)
    restored = keras.models.load_model(path)
    assert [type(layer).__name__ for layer in restored.layers] == [
        type(layer).__name__ for layer in built.layers
    ]
    np.testing.assert_allclose(
        np.asarray(restored(images, training=False)), np.asarray(built(images, training=False)),
        rtol=1e-5,
    )
    for original, loaded in zip(built.layers, restored.layers):
        # Through JSON, as the file stores them (tuples come back as lists).
        as_stored = json.loads(json.dumps(original.get_config()))
        assert as_stored == json.loads(json.dumps(loaded.get_config()))


@pytest.mark.parametrize("index", range(8))
def test_runs_in_tf_data_with_autotune(index, images):
    layer = layers()[index]
    dataset = tf.data.Dataset.from_tensor_slices(np.repeat(images, 4, axis=0)).batch(8)
    dataset = dataset.map(layer, num_parallel_calls=tf.data.AUTOTUNE)
    out = [batch.numpy() for batch in dataset]
    assert len(out) == 2 and out[0].dtype == np.uint8
    assert any(not np.array_equal(batch, np.repeat(images, 4, axis=0)[:8]) for batch in out)


def test_exported_names():
    for name in ("RandAugment", "TrivialAugment", "RandomResizedCrop", "RandomApply",
                 "RandomChoice", "GridMask", "FourierMix", "RandomJPEGQuality",
                 "GaussianNoise", "seeded_map", "policy", "POLICIES", "RandomAffine"):
        assert name in image.__all__ and hasattr(image, name)
    assert os.path.basename(image.__file__) == "__init__.py"

"""Every waveform layer: inference identity, seeds, tf.data, silence, config, export."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_margin.augment import audio
from keras_margin.augment.seeded_map import seeded_map

SAMPLES = 256
BACKGROUNDS = np.random.default_rng(7).normal(size=(3, 200)).astype("float32")


def layers():
    """One of each waveform layer, with settings that always change a clip."""
    return [
        audio.TimeShift(0.3, seed=1),
        audio.TimeShift(20, unit="samples", rollover=False, seed=2),
        audio.Gain((-6.0, 6.0), seed=3),
        audio.AddNoise((5.0, 20.0), color="pink", seed=4),
        audio.MixBackground(BACKGROUNDS, (0.0, 10.0), seed=5),
        audio.SpeedPerturbation((0.8, 1.2), seed=6),
    ]


IDS = ["shift", "shift-zero", "gain", "noise", "background", "speed"]


@pytest.fixture(scope="module")
def clips():
    t = np.arange(SAMPLES) / 8000.0
    rng = np.random.default_rng(0)
    frequencies = rng.uniform(200, 2000, 8)
    tones = np.sin(2 * np.pi * frequencies[:, None] * t[None, :])
    return (tones * rng.uniform(0.1, 1.0, (8, 1))).astype("float32")


@pytest.mark.parametrize("index", range(6), ids=IDS)
def test_inference_is_the_identity(index, clips):
    layer = layers()[index]
    np.testing.assert_array_equal(np.asarray(layer(clips, training=False)), clips)
    np.testing.assert_array_equal(np.asarray(layer(clips[0], training=False)), clips[0])


@pytest.mark.parametrize("index", range(6), ids=IDS)
def test_same_seed_same_output_and_shape_and_dtype_kept(index, clips):
    out = np.asarray(layers()[index](clips, seed=11))
    again = np.asarray(layers()[index](clips, seed=11))
    other = np.asarray(layers()[index](clips, seed=12))
    np.testing.assert_array_equal(out, again)
    assert out.shape == clips.shape and out.dtype == np.float32
    assert not np.array_equal(out, clips) and not np.array_equal(out, other)
    for dtype in ("float64", "float16"):
        typed = np.asarray(layers()[index](clips.astype(dtype), seed=11))
        assert typed.dtype == dtype and typed.shape == clips.shape
        np.testing.assert_allclose(typed, out, atol=0.02 if dtype == "float16" else 1e-4)
    single = np.asarray(layers()[index](clips[0], seed=11))
    assert single.shape == (SAMPLES,) and np.all(np.isfinite(single))


@pytest.mark.parametrize("index", range(6), ids=IDS)
def test_each_clip_draws_its_own_values(index, clips):
    same = np.repeat(clips[:1], 6, axis=0)
    out = np.asarray(layers()[index](same, seed=3))
    changes = out - same
    distinct = {tuple(np.round(row, 4)) for row in changes}
    assert len(distinct) == 6


@pytest.mark.parametrize("index", range(6), ids=IDS)
def test_silent_input_gives_no_nan(index):
    silence = np.zeros((4, SAMPLES), "float32")
    out = np.asarray(layers()[index](silence, seed=0))
    # Every layer leaves silence silent: noise and backgrounds are set relative to the
    # signal's power, which is zero.
    np.testing.assert_array_equal(out, silence)
    one_sample = np.asarray(layers()[index](np.ones((2, 1), "float32"), seed=0))
    assert one_sample.shape == (2, 1) and np.all(np.isfinite(one_sample))


@pytest.mark.parametrize("index", range(6), ids=IDS)
def test_seeded_map_with_autotune_is_reproducible(index, clips):
    dataset = tf.data.Dataset.from_tensor_slices(
        (np.tile(clips, (2, 1)), np.arange(16))
    ).batch(4)

    def run():
        mapped = seeded_map(dataset, layers()[index], seed=5)
        return [x.numpy() for x, _ in mapped]

    first, second = run(), run()
    assert len(first) == 4
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[2])  # same clips, other seeds


@pytest.mark.parametrize("index", range(6), ids=IDS)
def test_config_round_trip(index, clips):
    layer = layers()[index]
    config = json.loads(json.dumps(layer.get_config()))
    restored = type(layer).from_config(config)
    assert json.loads(json.dumps(restored.get_config())) == config
    np.testing.assert_array_equal(
        np.asarray(restored(clips, seed=4)), np.asarray(layer(clips, seed=4))
    )


def model():
    inputs = keras.Input((SAMPLES,))
    x = inputs
    for layer in layers():
        x = layer(x)
    outputs = keras.layers.Dense(2, kernel_initializer="ones")(x)
    return keras.Model(inputs, outputs)


def test_export_and_keras_file_serve_the_identity(clips, tmp_path):
    built = model()
    expected = clips.sum(axis=1, keepdims=True).repeat(2, axis=1)
    np.testing.assert_allclose(np.asarray(built(clips)), expected, rtol=1e-5, atol=1e-5)
    assert not np.allclose(np.asarray(built(clips, training=True)), expected, atol=1e-3)
    path = str(tmp_path / "served")
    built.export(path, verbose=False)
    served = tf.saved_model.load(path)
    first = served.serve(tf.constant(clips)).numpy()
    np.testing.assert_allclose(first, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(served.serve(tf.constant(clips)).numpy(), first)
    built.save(str(tmp_path / "model.keras"))
    restored = keras.models.load_model(str(tmp_path / "model.keras"))
    np.testing.assert_array_equal(
        np.asarray(restored.layers[5](clips, seed=1)), np.asarray(built.layers[5](clips, seed=1))
    )


def test_symbolic_shapes_and_bad_inputs():
    inputs = keras.Input((SAMPLES,))
    for layer in layers():
        assert tuple(layer(inputs).shape) == (None, SAMPLES)
    with pytest.raises(ValueError, match="float waveforms"):
        audio.Gain(seed=0)(np.zeros((2, 8), "int32"))
    with pytest.raises(ValueError, match="shape"):
        audio.Gain(seed=0)(np.zeros((2, 8, 1), "float32"))


def test_exported_names():
    for name in ("TimeShift", "Gain", "AddNoise", "MixBackground", "SpeedPerturbation",
                 "seeded_map"):
        assert name in audio.__all__ and hasattr(audio, name)

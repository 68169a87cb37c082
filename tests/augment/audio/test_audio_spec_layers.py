"""Contract of every phase-vocoder and spectrogram layer: identity at inference, seeds,
per-example draws, silence, tf.data under AUTOTUNE, config round trip, export."""


import keras
import numpy as np
import pytest
import tensorflow as tf

import spec_signals
from keras_margin.augment.seeded_map import seeded_map
from keras_margin.augment.audio.frequency_masking import FrequencyMasking
from keras_margin.augment.audio.pitch_shift import PitchShift
from keras_margin.augment.audio.spec_augment import SpecAugment
from keras_margin.augment.audio.time_masking import TimeMasking
from keras_margin.augment.audio.time_stretch import TimeStretch
from keras_margin.augment.audio.time_warp import TimeWarp

SAMPLES = 4000
SPECTROGRAM = (40, 24)


def waveform_layers():
    return [TimeStretch(seed=1), PitchShift(seed=2)]


def spectrogram_layers():
    return [
        FrequencyMasking(8, count=2, seed=3),
        TimeMasking(10, count=2, mask_value="mean", seed=4),
        TimeWarp(10, seed=5),
        SpecAugment("SS", seed=6),  # p = 0.2: never masks a whole 40-frame input
    ]


def layers():
    return waveform_layers() + spectrogram_layers()


def inputs_for(layer, batch=4):
    if isinstance(layer, (TimeStretch, PitchShift)):
        return np.stack([
            spec_signals.note(220.0 * (1 + b / 4), start=0.02, duration=0.15,
                              length=SAMPLES, seed=b)
            for b in range(batch)
        ])
    rng = np.random.default_rng(0)
    return rng.normal(size=(batch, *SPECTROGRAM)).astype("float32")


IDS = [type(layer).__name__ for layer in layers()]


@pytest.mark.parametrize("index", range(6), ids=IDS)
def test_inference_is_the_identity(index):
    layer = layers()[index]
    x = inputs_for(layer)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    assert not np.array_equal(np.asarray(layer(x)), x)


@pytest.mark.parametrize("index", range(6), ids=IDS)
def test_same_seed_same_output_and_each_example_draws_its_own(index):
    layer = layers()[index]
    x = inputs_for(layer)
    first = np.asarray(layer(x, seed=[4, 2]))
    np.testing.assert_array_equal(np.asarray(layer(x, seed=[4, 2])), first)
    np.testing.assert_array_equal(np.asarray(layers()[index](x, seed=[4, 2])), first)
    assert not np.array_equal(np.asarray(layer(x, seed=[4, 3])), first)
    same = np.repeat(x[:1], 4, axis=0)
    out = np.asarray(layer(same, seed=[4, 2]))
    assert len({out[b].tobytes() for b in range(4)}) == 4


@pytest.mark.parametrize("index", range(6), ids=IDS)
def test_silence_stays_finite(index):
    layer = layers()[index]
    zeros = np.zeros_like(inputs_for(layer))
    out = np.asarray(layer(zeros, seed=[0, 1]))
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out, 0.0)


@pytest.mark.parametrize("index", range(6), ids=IDS)
def test_graph_native_in_tf_data_reproducible_under_autotune(index):
    layer = layers()[index]
    x = np.concatenate([inputs_for(layer)] * 2)
    labels = np.arange(8)
    dataset = tf.data.Dataset.from_tensor_slices((x, labels)).batch(2)
    runs = [
        [(a.numpy(), b.numpy()) for a, b in seeded_map(dataset, layer, seed=7)]
        for _ in range(2)
    ]
    for (a, la), (b, lb) in zip(*runs):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(la, lb)
    assert any(not np.array_equal(a, x[2 * i:2 * i + 2]) for i, (a, _) in enumerate(runs[0]))
    # Graph-native: the traced call holds no Python callback op.
    traced = tf.function(lambda t: layer(t, training=True, seed=[1, 2]))
    graph = traced.get_concrete_function(
        tf.TensorSpec([None, *x.shape[1:]], tf.float32)).graph
    op_types = {op.type for op in graph.get_operations()}
    assert not op_types & {"PyFunc", "EagerPyFunc", "PyFuncStateless"}


@pytest.mark.parametrize("index", range(6), ids=IDS)
def test_config_round_trip(index):
    layer = layers()[index]
    config = layer.get_config()
    restored = type(layer).from_config(config)
    assert restored.get_config() == config
    x = inputs_for(layer)
    np.testing.assert_array_equal(np.asarray(restored(x, seed=[3, 3])),
                                  np.asarray(layer(x, seed=[3, 3])))
    serialized = keras.saving.serialize_keras_object(layer)
    assert type(keras.saving.deserialize_keras_object(serialized)) is type(layer)


def _model(shape, stack):
    inputs = keras.Input(shape)
    x = inputs
    for layer in stack:
        x = layer(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(3, kernel_initializer="ones")(x)
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("kind", ["waveform", "spectrogram"])
def test_export_serves_deterministically(kind, tmp_path):
    if kind == "waveform":
        stack, shape = waveform_layers(), (SAMPLES,)
    else:
        stack, shape = spectrogram_layers(), SPECTROGRAM
    x = inputs_for(stack[0])
    model = _model(shape, stack)
    expected = np.asarray(model(x, training=False))
    np.testing.assert_allclose(np.asarray(model(x)), expected, rtol=1e-6)
    assert not np.allclose(np.asarray(model(x, training=True)), expected)
    path = str(tmp_path / "served")
    model.export(path, verbose=False)
    served = tf.saved_model.load(path)
    first = served.serve(tf.constant(x)).numpy()
    np.testing.assert_allclose(first, expected, rtol=1e-5)
    np.testing.assert_array_equal(served.serve(tf.constant(x)).numpy(), first)


def test_exported_names():
    from keras_margin.augment import audio

    for name in ("TimeStretch", "PitchShift", "FrequencyMasking", "TimeMasking",
                 "TimeWarp", "SpecAugment"):
        assert name in audio.__all__ and hasattr(audio, name)


def test_mel_spectrogram_transposed_feeds_spec_augment_in_a_model():
    """The documented layout: Keras' MelSpectrogram gives (batch, bins, frames)."""
    inputs = keras.Input((SAMPLES,))
    mel = keras.layers.MelSpectrogram(fft_length=256, sequence_stride=80, num_mel_bins=20,
                                      sampling_rate=spec_signals.SAMPLE_RATE)(inputs)
    frames_first = keras.layers.Permute((2, 1))(mel)
    augmented = SpecAugment("SM", seed=0)(frames_first)
    model = keras.Model(inputs, [frames_first, augmented])
    x = inputs_for(TimeStretch())
    clean, out = (np.asarray(t) for t in model(x, training=True))
    assert clean.shape == out.shape and clean.shape[1:] == (51, 20)
    assert (out == 0).all(axis=2).any() and (out == 0).all(axis=1).any()


@pytest.mark.parametrize("index", range(6), ids=IDS)
def test_tiny_and_empty_inputs_keep_their_shape(index):
    layer = layers()[index]
    shapes = ([(2, 0), (2, 1), (2, 100)] if index < 2
              else [(2, 0, 5), (2, 1, 5), (2, 5, 0), (2, 3, 2)])
    for shape in shapes:
        x = np.random.default_rng(0).normal(size=shape).astype("float32")
        out = np.asarray(layer(x, seed=[1, 1]))
        assert out.shape == shape and np.isfinite(out).all()


def test_keras_file_round_trip(tmp_path):
    model = _model(SPECTROGRAM, spectrogram_layers())
    path = str(tmp_path / "model.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    for original, loaded in zip(model.layers, restored.layers):
        assert type(original) is type(loaded)
        assert original.get_config() == loaded.get_config()
    wave = _model((SAMPLES,), waveform_layers())
    wave.save(path)
    assert [type(layer) for layer in keras.models.load_model(path).layers] == [
        type(layer) for layer in wave.layers]

"""Hostile audio input (issue 18): zero-length clips, empty batches, very loud clips,
and an exported audio model asked for an empty batch."""

import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from keras_margin.augment.audio import AddNoise
from keras_margin.augment.audio import Gain
from keras_margin.augment.audio import MixBackground
from keras_margin.augment.audio import PitchShift
from keras_margin.augment.audio import SpeedPerturbation
from keras_margin.augment.audio import TimeShift
from keras_margin.augment.audio import TimeStretch

HUM = np.sin(np.arange(1000) * 0.3).astype("float32")

WAVEFORM_LAYERS = [
    lambda: AddNoise(20.0, color="pink", seed=0),
    lambda: Gain(seed=0),
    lambda: MixBackground(np.ones(100, "float32"), seed=0),
    lambda: PitchShift(seed=0),
    lambda: SpeedPerturbation(seed=0),
    lambda: TimeShift(seed=0),
    lambda: TimeStretch(seed=0),
]


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 0), (0, 64)])
def test_zero_length_clips_and_empty_batches_come_back_unchanged(shape):
    # Before the fix AddNoise sent a zero-length clip into a zero-length FFT, whose C++
    # assertion ended the whole Python process (exit status 134), and PitchShift
    # failed on an empty batch.
    for make_layer in WAVEFORM_LAYERS:
        layer = make_layer()
        assert layer(np.zeros(shape, "float32")).shape == shape, type(layer).__name__
    # And in a tf.data graph, where the length is not known when the graph is built.
    add_noise = AddNoise(10.0, seed=0)
    data = tf.data.Dataset.from_tensors(np.zeros(shape, "float32")).map(
        lambda clips: add_noise(clips, training=True))
    assert next(iter(data)).shape == shape


def loud_clips(amplitude):
    t = np.arange(4096) / 16000.0
    clips = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 1234 * t) * (t < 0.1)])
    return (amplitude * clips).astype("float32")


@pytest.mark.parametrize("make_layer", [
    lambda: TimeStretch(rate_range=(0.8, 0.8), seed=0),
    lambda: PitchShift(semitone_range=(3.0, 3.0), seed=0),
    lambda: AddNoise(20.0, color="pink", seed=0),
    lambda: MixBackground(HUM, snr_range_db=10.0, seed=0),
], ids=["TimeStretch", "PitchShift", "AddNoise", "MixBackground"])
@pytest.mark.parametrize("amplitude", [1e18, 1e30, 1e-30])
def test_loud_and_quiet_clips_scale_like_ordinary_ones(make_layer, amplitude):
    # Before the fix: 99-100% NaN (TimeStretch, PitchShift: spectra overflow at 1e18),
    # Inf (AddNoise, MixBackground: a sum of squares overflows), and at 1e-30 the
    # squares underflowed to 0 so the noise layers treated the clip as silent.
    # Every layer here is linear in its input: the output of a clip times a is a times
    # the output of the clip.
    ordinary = make_layer()(loud_clips(1.0)).numpy().astype(np.float64)
    scaled = make_layer()(loud_clips(amplitude)).numpy().astype(np.float64)
    assert np.all(np.isfinite(scaled))
    # To float32 rounding, which the phase vocoder's phase locking amplifies a little
    # in the near-silent bins: compared as an energy ratio.
    error = np.linalg.norm(scaled / amplitude - ordinary) / np.linalg.norm(ordinary)
    assert error < 1e-3


def test_noise_layers_keep_the_snr_of_a_loud_clip():
    clips = loud_clips(1e30)
    for layer, snr in ((AddNoise(15.0, seed=1), 15.0), (MixBackground(HUM, 7.0, seed=1), 7.0)):
        noise = layer(clips).numpy().astype(np.float64) - clips
        achieved = 10 * np.log10(np.mean(clips.astype(np.float64) ** 2, 1) / np.mean(noise**2, 1))
        np.testing.assert_allclose(achieved, snr, atol=0.01)


def test_the_audio_export_serves_an_empty_batch(tmp_path):
    # Before the fix Keras' MelSpectrogram (MirrorPad) refused a batch of zero clips.
    backbone = km.models.audio_cnn(embedding_dim=8, num_samples=1024, fft_length=256,
                                   hop_length=128, num_mel_bins=16, width=4)
    model = km.MarginModel(backbone, km.heads.create("cosface", 3, [2, 2, 2]))
    clips = np.random.default_rng(0).normal(size=(2, 1024)).astype("float32")
    expected = tf.nn.softmax(model(clips, training=False)).numpy()
    model.export(str(tmp_path / "audio"), verbose=False)
    serve = tf.saved_model.load(str(tmp_path / "audio")).signatures["serving_default"]
    empty = serve(inputs=tf.zeros((0, 1024)))
    assert empty["probabilities"].shape == (0, 3) and empty["embedding"].shape == (0, 8)
    assert empty["class_id"].shape == (0,)
    np.testing.assert_allclose(serve(inputs=clips)["probabilities"], expected, rtol=1e-5, atol=1e-6)


def test_gain_speed_and_shift_stay_finite_on_loud_clips():
    clips = loud_clips(1e30)
    for layer in (Gain((-6.0, 0.0), seed=0), SpeedPerturbation(seed=0), TimeShift(seed=0)):
        assert np.all(np.isfinite(layer(clips).numpy())), type(layer).__name__

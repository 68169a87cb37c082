"""`audio_cnn`: waveforms in, embeddings out; trains, exports and serves raw waveforms."""


import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from keras_margin.augment import audio

RATE = 4000


def _tones(count, seed=0):
    """Two classes of 0.5 s clips at 4 kHz: a low (200-300 Hz) or a high (900-1100 Hz)
    tone with noise, at random phases and levels."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 2
    low = rng.uniform(200, 300, count)
    high = rng.uniform(900, 1100, count)
    frequency = np.where(labels == 0, low, high)
    t = np.arange(RATE // 2) / RATE
    clips = np.sin(2 * np.pi * frequency[:, None] * t + rng.uniform(0, 6.3, (count, 1)))
    clips = clips * rng.uniform(0.1, 0.8, (count, 1)) + rng.normal(0, 0.02, clips.shape)
    return clips.astype("float32"), labels.astype("int32")


def test_trains_on_waveforms_and_serves_them_from_an_export(tmp_path):
    clips, labels = _tones(96)
    standard = audio.policy("standard", seed=0)
    backbone = km.models.audio_cnn(embedding_dim=8, num_samples=RATE // 2, sample_rate=RATE,
                                   fft_length=128, hop_length=64, num_mel_bins=16, width=4,
                                   spectrogram_augmentation=standard.model_layer)
    assert backbone.input_shape == (None, RATE // 2) and backbone.output_shape == (None, 8)
    model = km.MarginModel(backbone, km.heads.CosFace(2, scale=16.0, margin=0.2))
    model.compile(optimizer=keras.optimizers.Adam(5e-3), metrics=["accuracy"])
    # The policy's waveform half runs in tf.data (tests/augment/audio); here only the
    # spectrogram half, which lives in the model.
    train = tf.data.Dataset.from_tensor_slices((clips, labels)).batch(16)
    history = model.fit(train, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    test_clips, test_labels = _tones(40, seed=1)
    predicted = np.argmax(model.predict(test_clips, verbose=0), axis=-1)
    assert np.mean(predicted == test_labels) >= 0.8

    model.export(str(tmp_path / "serving"), verbose=False)
    served = tf.saved_model.load(str(tmp_path / "serving"))
    outputs = served.signatures["serving_default"](tf.constant(test_clips[:3]))
    assert outputs["probabilities"].shape == (3, 2) and outputs["embedding"].shape == (3, 8)
    # The export does not augment: it matches predict, and repeated calls agree.
    np.testing.assert_allclose(outputs["probabilities"].numpy(),
                               model.predict(test_clips[:3], verbose=0), atol=1e-5)
    again = served.signatures["serving_default"](tf.constant(test_clips[:3]))
    np.testing.assert_array_equal(outputs["embedding"].numpy(), again["embedding"].numpy())


def test_spectrogram_augmentation_acts_in_training_only():
    clips, _ = _tones(4)
    masks = audio.policy("standard", seed=0).model_layer
    backbone = km.models.audio_cnn(embedding_dim=4, num_samples=RATE // 2, sample_rate=RATE,
                                   fft_length=128, hop_length=64, num_mel_bins=16, width=2,
                                   spectrogram_augmentation=masks)
    spectrogram = keras.Model(backbone.input, backbone.get_layer("spec_augment").output)
    inference = spectrogram(clips, training=False).numpy()
    np.testing.assert_array_equal(inference, spectrogram(clips, training=False).numpy())
    assert not np.allclose(inference, spectrogram(clips, training=True).numpy())


def test_features_do_not_depend_on_the_rest_of_the_batch():
    # Keras' own power_to_db clamps relative to the batch maximum; Decibels does not.
    clips, _ = _tones(4)
    backbone = km.models.audio_cnn(embedding_dim=4, num_samples=RATE // 2, sample_rate=RATE,
                                   fft_length=128, hop_length=64, num_mel_bins=16, width=2)
    decibels = keras.Model(backbone.input, backbone.get_layer("decibels").output)
    loud = np.concatenate([clips[:1], clips[1:] * 100.0])
    np.testing.assert_allclose(decibels(clips)[0], decibels(loud)[0], rtol=1e-5, atol=1e-4)


def test_decibels_matches_a_float64_reference():
    power = np.array([[1.0, 10.0, 1e-12, 0.0, 3.7e-4, 250.0]], "float32")
    expected = 10.0 * np.log10(np.maximum(power.astype(np.float64), 1e-10))
    np.testing.assert_allclose(km.models.Decibels()(power).numpy(), expected, rtol=1e-5)
    floored = km.models.Decibels(floor_db=-30.0)(power).numpy()
    np.testing.assert_allclose(floored, np.maximum(expected, -30.0), rtol=1e-5)
    layer = km.models.Decibels.from_config(km.models.Decibels(floor_db=-60.0).get_config())
    assert layer.floor_db == -60.0


def test_mel_spectrogram_layout_is_bins_then_frames_in_this_keras():
    # audio_cnn transposes because of this; if Keras changes it, this fails first.
    out = keras.layers.MelSpectrogram(fft_length=512, sequence_stride=256, num_mel_bins=64)(
        np.zeros((1, 16000), "float32"))
    assert out.shape == (1, 64, 63)
    backbone = km.models.audio_cnn()
    assert backbone.get_layer("frames_first").output.shape == (None, 63, 64)


@pytest.mark.parametrize("arguments, name", [
    (dict(embedding_dim=0), "embedding_dim"), (dict(num_samples=100), "num_samples"),
    (dict(num_mel_bins=4), "num_mel_bins"), (dict(hop_length=0), "hop_length"),
    (dict(spectrogram_augmentation="mask"), "spectrogram_augmentation"),
])
def test_bad_arguments_are_rejected(arguments, name):
    with pytest.raises(ValueError, match=name):
        km.models.audio_cnn(**arguments)

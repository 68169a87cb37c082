"""`policy`: the audio augmentation policies (waveform layers + a spectrogram layer)."""


import numpy as np
import pytest
import tensorflow as tf

from keras_margin.augment import audio


def test_none_is_nothing_and_standard_is_the_documented_chain():
    none = audio.policy("none")
    assert (none.name, none.layers, none.model_layer) == ("none", (), None)
    standard = audio.policy("standard", seed=5)
    speed, shift, gain = standard.layers
    assert speed.factor_range == (0.9, 1.1)
    assert (shift.max_shift, shift.unit, shift.rollover) == (0.1, "fraction", False)
    assert tuple(gain.gain_range_db) == (-6.0, 6.0)
    masks = standard.model_layer
    assert (masks.time_warp, masks.frequency_mask, masks.frequency_mask_count, masks.time_mask,
            masks.time_mask_count, masks.time_mask_fraction) == (5, 8, 2, 10, 2, 0.2)
    assert [layer.seed for layer in [*standard.layers, masks]] == [5, 6, 7, 8]
    assert audio.policy("standard").layers[0].seed is None


def test_light_is_the_gentle_speed_change_and_the_gain_without_a_model_layer():
    light = audio.policy("light", seed=3)
    speed, gain = light.layers
    assert speed.factor_range == (0.95, 1.05)
    assert tuple(gain.gain_range_db) == (-6.0, 6.0)
    assert [layer.seed for layer in light.layers] == [3, 4]
    assert light.model_layer is None


def test_standard_changes_clips_reproducibly_and_keeps_their_shape_and_level():
    t = np.arange(16000) / 16000
    clips = (0.3 * np.sin(2 * np.pi * 440 * t) * np.ones((4, 1))).astype("float32")
    labels = np.arange(4, dtype="int32")
    dataset = tf.data.Dataset.from_tensor_slices((clips, labels)).batch(4)
    standard = audio.policy("standard", seed=0)
    first = next(iter(audio.seeded_map(dataset, standard.layers, seed=1)))
    again = next(iter(audio.seeded_map(dataset, standard.layers, seed=1)))
    np.testing.assert_array_equal(first[0].numpy(), again[0].numpy())
    np.testing.assert_array_equal(first[1].numpy(), labels)
    out = first[0].numpy()
    assert out.shape == clips.shape and not np.allclose(out, clips)
    # Gain is within ±6 dB (speed and shift keep the level of a steady tone).
    ratio = np.sqrt((out ** 2).mean(axis=1) / (clips ** 2).mean(axis=1))
    assert (ratio > 10 ** (-6.5 / 20)).all() and (ratio < 10 ** (6.5 / 20)).all()
    spectrogram = np.random.default_rng(0).normal(size=(2, 63, 64)).astype("float32")
    masked = standard.model_layer(spectrogram, training=True).numpy()
    assert masked.shape == spectrogram.shape and (masked == 0).any()
    np.testing.assert_array_equal(standard.model_layer(spectrogram, training=False), spectrogram)


def test_describe_and_bad_names():
    assert audio.POLICIES == ("none", "light", "standard")
    # The descriptions name the values the layers above are checked to have.
    assert audio.describe("none") == "no augmentation"
    assert audio.describe("light") == "speed x[0.95, 1.05], gain ±6 dB; nothing in the model"
    assert audio.describe("standard") == (
        "speed x[0.9, 1.1], shift ±10% (zero-filled), gain ±6 dB; in the model "
        "SpecAugment (W=5, 2 x F=8, 2 x T=10, p=0.2)")
    with pytest.raises(ValueError, match="Unknown audio augmentation policy 'strong'"):
        audio.policy("strong")
    with pytest.raises(ValueError, match="`seed`"):
        audio.policy("standard", seed=-1)

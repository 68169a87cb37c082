"""`load_audio` / `assemble_audio` and the `instruments-open` open set, on small renders."""

import importlib

import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from audio_testing import TEST_PROGRAMS
from audio_testing import small_instruments
from audio_testing import small_instruments_open_set
from keras_margin.augment import audio
from keras_margin.data import open_set

# The module, not the function of the same name that keras_margin.data exports.
load_audio_module = importlib.import_module("keras_margin.data.load_audio")


@pytest.fixture
def small_sources(monkeypatch):
    monkeypatch.setitem(load_audio_module.AUDIO_SOURCES, "instruments",
                        lambda cache_dir: small_instruments(cache_dir))
    monkeypatch.setitem(open_set.OPEN_SET_SOURCES, "instruments-open", small_instruments_open_set)


def test_load_audio_returns_float_waveform_batches_split_like_every_loader(small_sources):
    train, validation, test, info = km.data.load_audio(
        "Instruments", samples_per_class=4, validation_split=0.2, batch_size=5, seed=3,
        with_info=True)
    assert info.name == "instruments" and info.input_shape == (16000,)
    assert info.class_names == ["Piano", "Bass", "Strings", "Pipe"]
    assert info.train_class_counts == [4] * 4 and info.num_test == 16
    assert info.details["sample_rate"] == 16000
    waveforms, labels = next(iter(train))
    assert waveforms.dtype == tf.float32 and waveforms.shape == (5, 16000)
    assert labels.dtype == tf.int32
    test_waveforms = np.concatenate([w.numpy() for w, _ in test])
    source = small_instruments()
    np.testing.assert_array_equal(test_waveforms, source.test_inputs.astype(np.float32))
    assert sum(int(y.shape[0]) for _, y in validation) == info.num_validation
    # For one seed, a smaller subsample is a subset of a larger one.
    smaller = km.data.load_audio("instruments", samples_per_class=2, validation_split=0.2,
                                 seed=3)[0]
    as_set = {w.tobytes() for batch, _ in train for w in batch.numpy()}
    assert {w.tobytes() for batch, _ in smaller for w in batch.numpy()} <= as_set


def test_audio_layers_are_mapped_reproducibly_and_callables_plainly(small_sources):
    layers = [audio.Gain((-6.0, 6.0), seed=1), audio.TimeShift(0.1, seed=2)]
    first = km.data.load_audio("instruments", samples_per_class=4, seed=0, augment=layers)[0]
    again = km.data.load_audio("instruments", samples_per_class=4, seed=0, augment=layers)[0]
    plain = km.data.load_audio("instruments", samples_per_class=4, seed=0)[0]
    a, b, c = (np.concatenate([w.numpy() for w, _ in d]) for d in (first, again, plain))
    np.testing.assert_array_equal(a, b)
    assert a.shape == c.shape and not np.allclose(a, c)
    halved = km.data.load_audio("instruments", samples_per_class=4, seed=0,
                                augment=lambda w, y: (w * 0.5, y))[0]
    np.testing.assert_allclose(np.concatenate([w.numpy() for w, _ in halved]), c * 0.5)


def test_an_audio_policy_is_applied_as_its_waveform_layers(small_sources):
    policy = audio.policy("standard", seed=0)
    with_policy = km.data.load_audio("instruments", samples_per_class=4, seed=0, augment=policy)[0]
    with_layers = km.data.load_audio("instruments", samples_per_class=4, seed=0,
                                     augment=list(policy.layers))[0]
    a, b = (np.concatenate([w.numpy() for w, _ in d]) for d in (with_policy, with_layers))
    np.testing.assert_array_equal(a, b)


def test_instruments_open_set_trains_on_seen_instruments_and_verifies_unseen(small_sources):
    data = km.data.load_open_set("instruments-open", samples_per_class=3, seed=0)
    assert isinstance(data.info, km.data.OpenSetInfo)
    assert data.info.num_classes == 4 and len(data.info.unseen_class_names) == 4
    assert data.unseen_images.shape == (8, 16000) and data.unseen_images.dtype == np.float32
    assert not set(data.info.unseen_class_names) & set(data.info.class_names)
    names = set(data.info.unseen_class_names) | set(data.info.class_names)
    assert names == {km.data.sources.instruments.PROGRAMS[p] for p in TEST_PROGRAMS}
    waveforms, _ = next(iter(data.train))
    assert waveforms.shape[1:] == (16000,)


def test_audio_source_checks_shapes():
    with pytest.raises(ValueError, match=r"waveforms must be \(N, samples\)"):
        km.data.AudioSourceData("x", np.zeros((2, 4, 1)), np.zeros(2, int), np.zeros((0, 4)),
                                np.zeros(0, int), ["a"], "test")


@pytest.mark.parametrize("arguments, message", [
    (dict(name="birdsong"), "Unknown audio dataset 'birdsong'"),
    (dict(samples_per_class=0), "`samples_per_class`"),
    (dict(validation_split=1.0), "`validation_split`"),
    (dict(augment="loud"), "`augment`"),
    (dict(augment=[audio.Gain(), "loud"]), "`augment`"),
])
def test_bad_arguments_are_rejected_before_rendering(arguments, message):
    with pytest.raises(ValueError, match=message):
        km.data.load_audio(**{"name": "instruments", **arguments})


def test_names():
    assert km.data.available_audio_datasets() == ["instruments", "spoken-digits"]
    assert km.data.is_audio_dataset("instruments-open") and not km.data.is_audio_dataset("digits")
    assert "instruments-open" in km.data.available_open_sets()

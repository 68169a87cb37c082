"""`spoken-digits`: the digits said by espeak-ng's synthetic voice."""

import subprocess

import numpy as np
import pytest

import keras_margin as km
from audio_testing import few_voices
from keras_margin.data.sources import audio_tools
from keras_margin.data.sources import spoken_digits


def _log_spectrum(waveform):
    frames = np.lib.stride_tricks.sliding_window_view(waveform, 512)[::256] * np.hanning(512)
    return np.log(np.abs(np.fft.rfft(frames, axis=-1)) + 1e-6).mean(axis=0)


def test_digits_are_voiced_distinct_and_one_voice_says_them_alike(monkeypatch):
    few_voices(monkeypatch)
    source = spoken_digits.read()
    assert source.class_names == list(spoken_digits.DIGITS)
    assert source.input_shape == (16000,) and source.sample_rate == 16000
    assert len(source.details["test_speakers"]) == 1 and source.details["clipped_words"] == 0
    assert np.bincount(source.train_labels).tolist() == [3 * 2] * 10  # 3 voices x 2 utterances
    assert np.bincount(source.test_labels).tolist() == [2] * 10
    waveforms = source.train_inputs.astype(np.float64)
    peaks = np.abs(waveforms).max(axis=1)
    assert peaks.min() > 0.1 and peaks.max() <= 1.0
    # The word starts at the offset: silence before it, voice right after.
    offset = int(spoken_digits.OFFSET_SECONDS * spoken_digits.SAMPLE_RATE)
    assert np.abs(waveforms[:, :offset]).max() == 0.0
    assert (np.abs(waveforms[:, offset:offset + 10]).max(axis=1) > 0).all()
    # Different digits of one voice are different sounds; one digit of two voices
    # (different speeds and pitches) is more alike than two digits of one voice.
    spectra = np.array([_log_spectrum(w) for w in waveforms])
    labels = source.train_labels
    same = [np.linalg.norm(spectra[i] - spectra[j]) for i in range(len(labels))
            for j in range(i + 1, len(labels)) if labels[i] == labels[j]]
    different = [np.linalg.norm(spectra[i] - spectra[j]) for i in range(len(labels))
                 for j in range(i + 1, len(labels)) if labels[i] != labels[j]]
    assert np.median(same) < np.median(different)
    for digit in range(10):
        chosen = waveforms[labels == digit]
        assert not np.array_equal(chosen[0], chosen[1])


def test_say_resamples_to_16_khz_and_trims_silence():
    seven = spoken_digits.say("seven", "en-us", "m3", 160, 50)
    assert 0.3 < len(seven) / 16000 < 0.9
    assert abs(seven[0]) > spoken_digits.SILENCE and abs(seven[-1]) > spoken_digits.SILENCE
    slower = spoken_digits.say("seven", "en-us", "m3", 130, 50)
    assert len(slower) > len(seven)


def test_second_read_comes_from_the_cache(monkeypatch, tmp_path):
    few_voices(monkeypatch)
    first = spoken_digits.read(utterances_per_speaker=1, cache_dir=tmp_path)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("espeak-ng called"))
    second = spoken_digits.read(utterances_per_speaker=1, cache_dir=tmp_path)
    assert second.details["render_seconds"] == 0.0
    np.testing.assert_array_equal(first.test_inputs, second.test_inputs)


def test_missing_espeak_names_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.setattr(audio_tools.shutil, "which", lambda name: None)
    with pytest.raises(km.data.DatasetNotFoundError, match="sudo apt-get install espeak-ng"):
        spoken_digits.read(cache_dir=tmp_path)


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="utterances_per_speaker"):
        spoken_digits.read(utterances_per_speaker=0)
    with pytest.raises(ValueError, match="data_dir"):
        spoken_digits.read(data_dir="/tmp")

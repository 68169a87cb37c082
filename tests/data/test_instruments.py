"""`instruments`: real notes rendered by fluidsynth from the FluidR3 GM sound font."""

import subprocess

import numpy as np
import pytest

import keras_margin as km
from audio_testing import TEST_CLIPS_PER_INSTRUMENT
from audio_testing import TEST_PROGRAMS
from audio_testing import small_instruments
from audio_testing import small_instruments_open_set
from keras_margin.data.sources import audio_tools
from keras_margin.data.sources import instruments
from keras_margin.utils.disk_cache import CacheWarning


def _spectral_peak_hz(waveform, rate):
    spectrum = np.abs(np.fft.rfft(waveform * np.hanning(len(waveform))))
    return np.argmax(spectrum) * rate / len(waveform)


def test_a_flute_at_a4_peaks_at_440_hz_and_starts_at_the_onset():
    # Flute (73) and ocarina (79) at A4 = MIDI 69 are nearly sine-like: their strongest
    # partial is the fundamental. An octave up (81) doubles it. The oboe's (68) is a
    # higher harmonic, still a whole multiple of 440 Hz.
    clips = instruments.render([(73, 69, 100), (79, 69, 100), (73, 81, 100), (68, 69, 100)])
    assert clips.shape == (4, instruments.SAMPLE_RATE)
    rate = instruments.SAMPLE_RATE
    for clip in clips[:2]:
        assert abs(_spectral_peak_hz(clip, rate) - 440.0) < 4.0
    assert abs(_spectral_peak_hz(clips[2], rate) - 880.0) < 6.0
    harmonic = _spectral_peak_hz(clips[3], rate) / 440.0
    assert round(harmonic) >= 1 and abs(harmonic - round(harmonic)) < 0.02
    # Every clip of the one rendering starts in silence (the previous note's tail was
    # cut by its "all sound off") and its note sounds within fluidsynth's latency of
    # about 70 samples (64-sample blocks).
    assert np.abs(clips[:, :50]).max() == 0.0
    onsets = [np.flatnonzero(np.abs(clip) > 1e-4)[0] for clip in clips]
    assert all(50 <= onset < 200 for onset in onsets)
    # The release is over before the clip ends: the last 10 ms are quieter than the body.
    assert np.abs(clips[0][-160:]).max() < 0.1 * np.abs(clips[0]).max()


def test_clips_are_labelled_by_family_with_a_fixed_test_split():
    source = small_instruments()
    assert source.class_names == ["Piano", "Bass", "Strings", "Pipe"]
    assert source.sample_rate == 16000 and source.input_shape == (16000,)
    per_program_test = TEST_CLIPS_PER_INSTRUMENT // 4
    assert np.bincount(source.test_labels).tolist() == [2 * per_program_test] * 4
    assert np.bincount(source.train_labels).tolist() == [2 * (TEST_CLIPS_PER_INSTRUMENT - per_program_test)] * 4
    assert source.details["silent_clips"] == 0
    waveforms = np.concatenate([source.train_inputs, source.test_inputs]).astype(np.float32)
    peaks = np.abs(waveforms).max(axis=1)
    assert peaks.min() > 1e-3 and peaks.max() < 1.0
    # The same notes whatever else is rendered: the flute's are drawn from its own seed.
    clips = instruments.rendered(TEST_PROGRAMS, TEST_CLIPS_PER_INSTRUMENT)
    flute = clips["program"] == 73
    assert [tuple(n) for n in zip(clips["pitch"][flute], clips["velocity"][flute])] == \
        instruments.notes_of(73, TEST_CLIPS_PER_INSTRUMENT)
    # Labels are right: the piano's clips are the ones labelled Piano.
    assert set(np.unique(clips["program"][clips["program"] // 8 == 0])) == {0, 1}


def test_notes_stay_in_each_instruments_playable_range():
    for program, (low, high) in instruments.PITCH_RANGE_OF.items():
        pitches = [pitch for pitch, _ in instruments.notes_of(program, 200)]
        assert low <= min(pitches) and max(pitches) <= high
    pitches = [pitch for pitch, _ in instruments.notes_of(0, 200)]
    assert instruments.PITCH_RANGE == (min(pitches), max(pitches))


def test_second_read_comes_from_the_cache_without_calling_fluidsynth(tmp_path, monkeypatch):
    first = instruments.read(programs=(73, 74), clips_per_instrument=4, cache_dir=tmp_path)
    assert first.details["render_seconds"] > 0

    def fail(*args, **kwargs):
        raise AssertionError(f"subprocess called on a cache hit: {args}")

    monkeypatch.setattr(subprocess, "run", fail)
    second = instruments.read(programs=(73, 74), clips_per_instrument=4, cache_dir=tmp_path)
    assert second.details["render_seconds"] == 0.0
    assert second.details["cache_file"] == first.details["cache_file"]
    np.testing.assert_array_equal(second.train_inputs, first.train_inputs)
    # Other parameters are another entry, so they would render.
    with pytest.raises(AssertionError, match="subprocess called"):
        instruments.read(programs=(73, 74), clips_per_instrument=5, cache_dir=tmp_path)


def test_a_cache_entry_with_nan_clips_is_rendered_again(tmp_path):
    # A valid .npz, manifest and all, whose clips were replaced by NaN: never served.
    first = instruments.read(programs=(73, 74), clips_per_instrument=4, cache_dir=tmp_path)
    path = first.details["cache_file"]
    with np.load(path) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["waveforms"] = np.full_like(arrays["waveforms"], np.nan)
    with open(path, "wb") as file:
        np.savez_compressed(file, **arrays)
    with pytest.warns(CacheWarning, match="waveforms: sha256"):
        again = instruments.read(programs=(73, 74), clips_per_instrument=4, cache_dir=tmp_path)
    assert again.details["render_seconds"] > 0
    np.testing.assert_array_equal(again.train_inputs, first.train_inputs)


def test_missing_fluidsynth_or_sound_font_names_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setattr(audio_tools.shutil, "which", lambda name: None)
    with pytest.raises(km.data.DatasetNotFoundError,
                       match=r"Debian package fluidsynth \(sudo apt-get install fluidsynth\)"):
        instruments.read(programs=(73,), clips_per_instrument=4, cache_dir=tmp_path)
    monkeypatch.undo()
    monkeypatch.setattr(instruments, "SOUND_FONT", str(tmp_path / "missing.sf2"))
    with pytest.raises(km.data.DatasetNotFoundError, match="apt-get install fluid-soundfont-gm"):
        instruments.read(programs=(73,), clips_per_instrument=4, cache_dir=tmp_path)


def test_open_set_holds_out_a_quarter_of_every_family():
    source, unseen = small_instruments_open_set()
    assert source.name == "instruments-open" and len(source.class_names) == len(TEST_PROGRAMS)
    families = {instruments.family_of(TEST_PROGRAMS[i]) for i in unseen}
    assert len(unseen) == 4 and families == {0, 4, 5, 9}  # one of the two programs per family
    assert unseen == instruments.unseen_programs(list(TEST_PROGRAMS))
    # Of all 128: 2 of the 8 programs of every family.
    everything = instruments.unseen_programs(list(range(128)))
    assert np.bincount([p // 8 for p in everything]).tolist() == [2] * 16


@pytest.mark.parametrize("arguments, name", [
    (dict(programs=[128]), "programs"), (dict(programs=[1, 1]), "programs"),
    (dict(programs=[]), "programs"), (dict(clips_per_instrument=3), "clips_per_instrument"),
])
def test_bad_arguments_are_rejected(arguments, name):
    with pytest.raises(ValueError, match=name):
        instruments.read(**arguments)

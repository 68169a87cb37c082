"""`spoken-digits`: the English words "zero" .. "nine" spoken by `espeak-ng`.

The voice is **synthetic**: espeak-ng is a formant speech synthesizer, not a
recording of people, so a model trained here learns espeak-ng's digits, not human
speech. What varies is what espeak-ng can vary: the accent (`ACCENTS`, English
voices of the Debian package `espeak-ng-data`), the voice variant (`VARIANTS`, male
and female formant settings), the speed in words per minute (`SPEED_RANGE`) and the
pitch (`PITCH_RANGE`). A speaker is one (accent, variant) pair; every speaker says
every digit `utterances_per_speaker` times at speeds and pitches drawn from a
generator seeded by the speaker and digit, so the data is the same on every run.

espeak-ng writes 22,050 Hz; clips are resampled to `SAMPLE_RATE`, their leading and
trailing silence trimmed, and the word placed `OFFSET_SECONDS` into a clip of
`CLIP_SECONDS` (the longest word, at the slowest speed, lasts about 0.82 s).

Fixed test split (independent of any seed): `TEST_SPEAKER_FRACTION` of the speakers
of every accent (voice variants that never speak in training with that accent), all
their clips; the other speakers are the training pool. Rendered clips are cached on
disk, keyed by these parameters and the espeak-ng version.
"""

import concurrent.futures
import os
import subprocess
import tempfile
import time

import numpy as np

from keras_margin.data import fixed_test_split
from keras_margin.data.audio_source import AudioSourceData
from keras_margin.data.sources import audio_tools
from keras_margin.data.stratified import stratified_split
from keras_margin.utils import disk_cache

NAME = "spoken-digits"
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
           "en-029")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4")
SPEED_RANGE = (130, 200)  # words per minute, inclusive
PITCH_RANGE = (25, 75)  # espeak-ng's 0-99 pitch scale, inclusive
SAMPLE_RATE = 16000
CLIP_SECONDS = 1.0
OFFSET_SECONDS = 0.05
# Samples below this (of a peak near 0.6) count as silence when trimming.
SILENCE = 1e-3
UTTERANCES_PER_SPEAKER = 2
TEST_SPEAKER_FRACTION = 0.25
RENDERER_VERSION = 1
_UTTERANCE_SEED = 2027


def speakers():
    """The `(accent, variant)` pairs, in label order of `details["speakers"]`."""
    return [(accent, variant) for accent in ACCENTS for variant in VARIANTS]


def test_speakers():
    """Indices into `speakers()` of the test speakers: `TEST_SPEAKER_FRACTION` of every
    accent's voices, drawn with the fixed test-split seed."""
    accents = np.array([ACCENTS.index(accent) for accent, _ in speakers()])
    held_out, _ = stratified_split(accents, TEST_SPEAKER_FRACTION,
                                   seed=fixed_test_split.TEST_SPLIT_SEED)
    return sorted(held_out.tolist())


def read(data_dir=None, utterances_per_speaker=UTTERANCES_PER_SPEAKER, cache_dir=None):
    """Returns `spoken-digits` as an `AudioSourceData`: 10 classes, synthetic voice.

    Args:
        data_dir: must be None (the clips are synthesised, not read from a folder);
            accepted for the interface of the other loaders.
        utterances_per_speaker: times every speaker says every digit, >= 1. The
            default gives 77 speakers x 10 digits x 2 = 1,540 clips (1,120 in the
            training pool, 420 of 21 speakers in the test split).
        cache_dir: folder of the clip cache; defaults to `$KERAS_MARGIN_CACHE_DIR`,
            else `~/.cache/keras_margin`.

    Raises:
        DatasetNotFoundError: if `espeak-ng` is missing (the message names the Debian
            package).
    """
    if data_dir is not None:
        raise ValueError(f"{NAME} is synthesised with espeak-ng; `data_dir` must be None.")
    clips = rendered(utterances_per_speaker, cache_dir)
    in_test = np.isin(clips["speaker"], test_speakers())
    waveforms, labels = clips["waveforms"], clips["digit"]
    details = {
        "voice": "synthetic (espeak-ng formant synthesis), not recorded speech",
        "speakers": [f"{accent}+{variant}" for accent, variant in speakers()],
        "test_speakers": [f"{speakers()[s][0]}+{speakers()[s][1]}" for s in test_speakers()],
        "speed_range": list(SPEED_RANGE), "pitch_range": list(PITCH_RANGE),
        "sample_rate": SAMPLE_RATE, "clip_seconds": CLIP_SECONDS,
        "clipped_words": int(clips["clipped_words"]),
        "cache_file": clips["cache_file"], "render_seconds": clips["render_seconds"],
    }
    return AudioSourceData(
        name=NAME,
        train_inputs=waveforms[~in_test], train_labels=labels[~in_test],
        test_inputs=waveforms[in_test], test_labels=labels[in_test],
        class_names=list(DIGITS),
        source=f"digits spoken by the synthetic voice of espeak-ng (Debian package espeak-ng), "
               f"{len(ACCENTS)} accents x {len(VARIANTS)} voice variants, resampled to "
               f"{SAMPLE_RATE} Hz, {CLIP_SECONDS:g} s clips",
        details=details, sample_rate=SAMPLE_RATE,
    )


def utterances(utterances_per_speaker):
    """`(speaker, digit, speed, pitch)` of every clip, in storage order."""
    rows = []
    for speaker in range(len(speakers())):
        for digit in range(len(DIGITS)):
            rng = np.random.default_rng([_UTTERANCE_SEED, speaker, digit])
            speeds = rng.integers(SPEED_RANGE[0], SPEED_RANGE[1] + 1, size=utterances_per_speaker)
            pitches = rng.integers(PITCH_RANGE[0], PITCH_RANGE[1] + 1, size=utterances_per_speaker)
            rows += [(speaker, digit, int(s), int(p)) for s, p in zip(speeds, pitches)]
    return rows


def rendered(utterances_per_speaker=UTTERANCES_PER_SPEAKER, cache_dir=None):
    """The clips from the disk cache, synthesising and storing them on a miss.

    Returns:
        A dict: `waveforms` float16 `(N, SAMPLE_RATE * CLIP_SECONDS)`; `speaker`,
        `digit`, `speed`, `pitch` int `(N,)`; `clipped_words` (words longer than the
        clip); `cache_file`; `render_seconds` (0 on a cache hit).
    """
    if isinstance(utterances_per_speaker, bool) or not isinstance(utterances_per_speaker, (int, np.integer)) \
            or utterances_per_speaker < 1:
        raise ValueError(
            f"`utterances_per_speaker` must be an integer >= 1; received {utterances_per_speaker!r}.")
    executable = audio_tools.require("espeak-ng", "espeak-ng", NAME)
    description = {
        "renderer": RENDERER_VERSION, "espeak_ng": audio_tools.tool_version(executable),
        "accents": ACCENTS, "variants": VARIANTS, "digits": DIGITS,
        "utterances_per_speaker": int(utterances_per_speaker), "speed_range": SPEED_RANGE,
        "pitch_range": PITCH_RANGE, "sample_rate": SAMPLE_RATE, "clip_seconds": CLIP_SECONDS,
        "offset_seconds": OFFSET_SECONDS, "silence": SILENCE, "seed": _UTTERANCE_SEED,
    }
    path = os.path.join(disk_cache.cache_dir(cache_dir), f"{NAME}-{disk_cache.key_of(description)}.npz")
    stored = disk_cache.load(
        path, keys=("waveforms", "speaker", "digit", "speed", "pitch", "clipped_words"))
    seconds = 0.0
    if stored is None:
        start = time.perf_counter()
        rows = utterances(int(utterances_per_speaker))
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            spoken = list(pool.map(
                lambda row: say(DIGITS[row[1]], *speakers()[row[0]], row[2], row[3], executable),
                rows))
        length = int(round(SAMPLE_RATE * CLIP_SECONDS))
        offset = int(round(SAMPLE_RATE * OFFSET_SECONDS))
        columns = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
        stored = {
            "waveforms": np.stack([audio_tools.fit_length(w, length, offset) for w in spoken])
            .astype(np.float16),
            "speaker": columns[:, 0], "digit": columns[:, 1], "speed": columns[:, 2],
            "pitch": columns[:, 3],
            "clipped_words": np.int64(sum(len(w) > length - offset for w in spoken)),
        }
        seconds = round(time.perf_counter() - start, 3)
        disk_cache.save(path, stored)
    return {**stored, "cache_file": path, "render_seconds": seconds}


def say(text, accent, variant, speed, pitch, executable="espeak-ng"):
    """`text` spoken by espeak-ng's voice `accent+variant`, resampled to `SAMPLE_RATE`,
    with the leading and trailing silence trimmed: a float64 waveform."""
    with tempfile.TemporaryDirectory(prefix="keras_margin-espeak-") as folder:
        sound = os.path.join(folder, "word.wav")
        subprocess.run(
            [executable, "-v", f"{accent}+{variant}", "-s", str(speed), "-p", str(pitch),
             "-w", sound, text],
            check=True, capture_output=True,
        )
        rate, waveform = audio_tools.read_wav(sound)
    waveform = audio_tools.resample(waveform, rate, SAMPLE_RATE)
    voiced = np.flatnonzero(np.abs(waveform) > SILENCE)
    if not len(voiced):
        raise RuntimeError(f"espeak-ng produced silence for {text!r} ({accent}+{variant}).")
    return waveform[voiced[0]:voiced[-1] + 1]

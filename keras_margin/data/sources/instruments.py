"""`instruments`: notes of the 128 General MIDI instruments, rendered from real samples.

Every note is written to a Standard MIDI File (`midi.py`) and rendered by `fluidsynth`
with the Fluid R3 General MIDI sound font of the Debian package `fluid-soundfont-gm`,
whose instruments are recorded samples (pianos, strings, winds, ...), not synthesis
from formulas. A clip is one note: `CLIP_SECONDS` from its onset at `SAMPLE_RATE`,
the key held for `HOLD_SECONDS`, then released. The pitch (MIDI `PITCH_RANGE`, or `PITCH_RANGE_OF` for the
instruments whose samples stop lower) and
velocity (`VELOCITY_RANGE`) of each note are drawn from a generator seeded by the
program number, so an instrument's notes do not depend on which others are rendered.

Labels: the 16 General MIDI families (`read`, 8 programs each) or the 128 programs
as identities (`read_open_set`). Splits, all fixed (independent of any seed):

- test: `TEST_FRACTION` of every program's notes (stratified by program); the rest
  is the training pool. The closed-set task sees every instrument in training and is
  tested on other notes (pitch, velocity) of the same instruments.
- open set: `UNSEEN_FRACTION` of the programs of every family are unseen identities
  (see `unseen_programs`).

Rendered clips are cached on disk (`keras_margin.utils.disk_cache`), keyed by the
rendering parameters, the fluidsynth version and the sound font file.
"""

import os
import subprocess
import tempfile
import time

import numpy as np

from keras_margin.data import fixed_test_split
from keras_margin.data.audio_source import AudioSourceData
from keras_margin.data.sources import audio_tools
from keras_margin.data.sources import midi
from keras_margin.data.stratified import stratified_split
from keras_margin.utils import disk_cache

NAME = "instruments"
OPEN_SET_NAME = "instruments-open"
SOUND_FONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
SAMPLE_RATE = 16000
CLIP_SECONDS = 1.0
HOLD_SECONDS = 0.8
# Silence between two clips of one rendering; the "all sound off" at each clip's end
# has already silenced the previous note.
GAP_SECONDS = 0.1
PITCH_RANGE = (48, 84)  # C3 .. C6, inclusive
# The sound font's samples of these instruments stop below the top of PITCH_RANGE
# (found by rendering every key: Contrabass sounds up to 57, Tuba and Baritone Sax
# up to 72); their notes are drawn from ranges they play.
PITCH_RANGE_OF = {43: (36, 57), 58: (36, 72), 67: (36, 72)}
VELOCITY_RANGE = (40, 127)
# fluidsynth's default gain of 0.2 leaves most notes below 0.05; at 0.6 the loudest of
# the 4,096 default clips peaks at 0.42, far from clipping.
GAIN = 0.6
CLIPS_PER_INSTRUMENT = 32
TEST_FRACTION = 0.25
UNSEEN_FRACTION = 0.25
RENDERER_VERSION = 1
# A clip whose peak is below this is reported as silent in `details["silent_clips"]`.
SILENCE = 1e-3
# Notes are drawn from this seed and the program number: fixed data, not the user's seed.
_NOTE_SEED = 2026

FAMILIES = (
    "Piano", "Chromatic Percussion", "Organ", "Guitar", "Bass", "Strings", "Ensemble",
    "Brass", "Reed", "Pipe", "Synth Lead", "Synth Pad", "Synth Effects", "Ethnic",
    "Percussive", "Sound Effects",
)
PROGRAMS = (
    "Acoustic Grand Piano", "Bright Acoustic Piano", "Electric Grand Piano", "Honky-tonk Piano",
    "Electric Piano 1", "Electric Piano 2", "Harpsichord", "Clavinet",
    "Celesta", "Glockenspiel", "Music Box", "Vibraphone", "Marimba", "Xylophone",
    "Tubular Bells", "Dulcimer",
    "Drawbar Organ", "Percussive Organ", "Rock Organ", "Church Organ", "Reed Organ",
    "Accordion", "Harmonica", "Tango Accordion",
    "Acoustic Guitar (nylon)", "Acoustic Guitar (steel)", "Electric Guitar (jazz)",
    "Electric Guitar (clean)", "Electric Guitar (muted)", "Overdriven Guitar",
    "Distortion Guitar", "Guitar Harmonics",
    "Acoustic Bass", "Electric Bass (finger)", "Electric Bass (pick)", "Fretless Bass",
    "Slap Bass 1", "Slap Bass 2", "Synth Bass 1", "Synth Bass 2",
    "Violin", "Viola", "Cello", "Contrabass", "Tremolo Strings", "Pizzicato Strings",
    "Orchestral Harp", "Timpani",
    "String Ensemble 1", "String Ensemble 2", "Synth Strings 1", "Synth Strings 2",
    "Choir Aahs", "Voice Oohs", "Synth Voice", "Orchestra Hit",
    "Trumpet", "Trombone", "Tuba", "Muted Trumpet", "French Horn", "Brass Section",
    "Synth Brass 1", "Synth Brass 2",
    "Soprano Sax", "Alto Sax", "Tenor Sax", "Baritone Sax", "Oboe", "English Horn",
    "Bassoon", "Clarinet",
    "Piccolo", "Flute", "Recorder", "Pan Flute", "Blown Bottle", "Shakuhachi", "Whistle",
    "Ocarina",
    "Lead 1 (square)", "Lead 2 (sawtooth)", "Lead 3 (calliope)", "Lead 4 (chiff)",
    "Lead 5 (charang)", "Lead 6 (voice)", "Lead 7 (fifths)", "Lead 8 (bass + lead)",
    "Pad 1 (new age)", "Pad 2 (warm)", "Pad 3 (polysynth)", "Pad 4 (choir)",
    "Pad 5 (bowed)", "Pad 6 (metallic)", "Pad 7 (halo)", "Pad 8 (sweep)",
    "FX 1 (rain)", "FX 2 (soundtrack)", "FX 3 (crystal)", "FX 4 (atmosphere)",
    "FX 5 (brightness)", "FX 6 (goblins)", "FX 7 (echoes)", "FX 8 (sci-fi)",
    "Sitar", "Banjo", "Shamisen", "Koto", "Kalimba", "Bagpipe", "Fiddle", "Shanai",
    "Tinkle Bell", "Agogo", "Steel Drums", "Woodblock", "Taiko Drum", "Melodic Tom",
    "Synth Drum", "Reverse Cymbal",
    "Guitar Fret Noise", "Breath Noise", "Seashore", "Bird Tweet", "Telephone Ring",
    "Helicopter", "Applause", "Gunshot",
)


def family_of(program):
    """The General MIDI family (0-15) of `program` (0-127): eight programs each."""
    return int(program) // 8


def read(programs=None, clips_per_instrument=CLIPS_PER_INSTRUMENT, cache_dir=None):
    """Returns `instruments` as a closed-set `AudioSourceData` labelled by family.

    Args:
        programs: the General MIDI programs (0-127) to render; default all 128. The
            classes are the families these programs belong to.
        clips_per_instrument: notes per program, >= 4 (every program needs test notes).
        cache_dir: folder of the rendered-clip cache; defaults to
            `$KERAS_MARGIN_CACHE_DIR`, else `~/.cache/keras_margin`.

    Raises:
        DatasetNotFoundError: if `fluidsynth` or the sound font is missing (the
            message names the Debian packages).
    """
    clips = rendered(programs, clips_per_instrument, cache_dir)
    families = sorted({family_of(p) for p in clips["programs"]})
    relabel = np.full(len(FAMILIES), -1, dtype=np.int64)
    relabel[families] = np.arange(len(families))
    return _source(NAME, clips, relabel[clips["program"] // 8], [FAMILIES[f] for f in families],
                   "General MIDI families")


def read_open_set(data_dir=None, programs=None, clips_per_instrument=CLIPS_PER_INSTRUMENT,
                  cache_dir=None):
    """Returns `(source, unseen_classes)`: the programs as identities, and the unseen ones.

    `data_dir` is accepted for the `load_open_set` interface and must be None (the
    clips are rendered, not read from a folder).
    """
    if data_dir is not None:
        raise ValueError(f"{OPEN_SET_NAME} is rendered with fluidsynth; `data_dir` must be None.")
    clips = rendered(programs, clips_per_instrument, cache_dir)
    chosen = [int(p) for p in clips["programs"]]
    relabel = np.full(len(PROGRAMS), -1, dtype=np.int64)
    relabel[chosen] = np.arange(len(chosen))
    source = _source(OPEN_SET_NAME, clips, relabel[clips["program"]],
                     [PROGRAMS[p] for p in chosen], "General MIDI programs")
    return source, unseen_programs(chosen)


def unseen_programs(programs):
    """Positions in `programs` of the unseen identities: `UNSEEN_FRACTION` of every
    family's programs (rounded half up; 2 of 8), drawn with the fixed test-split seed."""
    families = np.array([family_of(p) for p in programs])
    held_out, _ = stratified_split(families, UNSEEN_FRACTION, seed=fixed_test_split.TEST_SPLIT_SEED)
    return sorted(held_out.tolist())


def notes_of(program, count):
    """The `count` notes (`(pitch, velocity)` pairs) rendered for `program`."""
    rng = np.random.default_rng([_NOTE_SEED, int(program)])
    low, high = PITCH_RANGE_OF.get(int(program), PITCH_RANGE)
    pitches = rng.integers(low, high + 1, size=count)
    velocities = rng.integers(VELOCITY_RANGE[0], VELOCITY_RANGE[1] + 1, size=count)
    return [(int(p), int(v)) for p, v in zip(pitches, velocities)]


def rendered(programs=None, clips_per_instrument=CLIPS_PER_INSTRUMENT, cache_dir=None):
    """The clips of `programs` from the disk cache, rendering and storing them on a miss.

    Returns:
        A dict: `waveforms` float16 `(N, SAMPLE_RATE * CLIP_SECONDS)`, `program`,
        `pitch`, `velocity` int `(N,)`, `programs` (the sorted programs rendered),
        `cache_file` and `render_seconds` (0 on a cache hit).
    """
    programs = _check_programs(programs)
    if isinstance(clips_per_instrument, bool) or not isinstance(clips_per_instrument, (int, np.integer)) \
            or clips_per_instrument < 4:
        raise ValueError(
            f"`clips_per_instrument` must be an integer >= 4; received {clips_per_instrument!r}.")
    executable = audio_tools.require("fluidsynth", "fluidsynth", NAME)
    audio_tools.require("fluidsynth", "fluid-soundfont-gm", NAME, path=SOUND_FONT)
    stat = os.stat(SOUND_FONT)
    description = {
        "renderer": RENDERER_VERSION, "fluidsynth": audio_tools.tool_version(executable),
        "sound_font": [SOUND_FONT, stat.st_size, stat.st_mtime_ns], "programs": programs,
        "clips_per_instrument": int(clips_per_instrument), "sample_rate": SAMPLE_RATE,
        "clip_seconds": CLIP_SECONDS, "hold_seconds": HOLD_SECONDS, "gain": GAIN,
        "pitch_range": PITCH_RANGE,
        "pitch_range_of": sorted(PITCH_RANGE_OF.items()), "velocity_range": VELOCITY_RANGE, "note_seed": _NOTE_SEED,
    }
    path = os.path.join(disk_cache.cache_dir(cache_dir), f"{NAME}-{disk_cache.key_of(description)}.npz")
    stored = disk_cache.load(path, keys=("waveforms", "program", "pitch", "velocity"))
    seconds = 0.0
    if stored is None:
        start = time.perf_counter()
        stored = _render_all(executable, programs, int(clips_per_instrument))
        seconds = round(time.perf_counter() - start, 3)
        disk_cache.save(path, stored)
    return {**stored, "programs": np.asarray(programs), "cache_file": path,
            "render_seconds": seconds}


def render(notes, executable="fluidsynth"):
    """Renders `(program, pitch, velocity)` notes with fluidsynth in one call.

    The notes are played one after another, each in a slot of `CLIP_SECONDS +
    GAP_SECONDS`, and every clip is cut from its slot at the note's onset.

    Returns:
        float64 `(len(notes), SAMPLE_RATE * CLIP_SECONDS)` mono waveforms.
    """
    slot = CLIP_SECONDS + GAP_SECONDS
    sequence = [
        midi.Note(program=program, pitch=pitch, velocity=velocity, start=number * slot,
                  duration=HOLD_SECONDS, cut=CLIP_SECONDS)
        for number, (program, pitch, velocity) in enumerate(notes)
    ]
    length = int(round(SAMPLE_RATE * CLIP_SECONDS))
    with tempfile.TemporaryDirectory(prefix="keras_margin-instruments-") as folder:
        score, sound = os.path.join(folder, "notes.mid"), os.path.join(folder, "notes.wav")
        with open(score, "wb") as file:
            file.write(midi.midi_file(sequence))
        # -R 0 -C 0: no reverb or chorus, whose tails would outlast the "sound off".
        subprocess.run(
            [executable, "-ni", "-q", "-R", "0", "-C", "0", "-g", str(GAIN), "-r", str(SAMPLE_RATE),
             "-F", sound, SOUND_FONT, score],
            check=True, capture_output=True,
        )
        rate, waveform = audio_tools.read_wav(sound)
    if rate != SAMPLE_RATE:
        raise RuntimeError(f"fluidsynth wrote {rate} Hz instead of {SAMPLE_RATE} Hz.")
    onsets = [int(round(note.start * SAMPLE_RATE)) for note in sequence]
    return np.stack([audio_tools.fit_length(waveform[onset:onset + length], length)
                     for onset in onsets])


def _render_all(executable, programs, count):
    waveforms, program_ids, pitches, velocities = [], [], [], []
    # One fluidsynth call per family: few start-ups, and a WAV file of ~20 MB at most.
    for family in sorted({family_of(p) for p in programs}):
        notes = [(p, pitch, velocity) for p in programs if family_of(p) == family
                 for pitch, velocity in notes_of(p, count)]
        waveforms.append(render(notes, executable))
        program_ids += [note[0] for note in notes]
        pitches += [note[1] for note in notes]
        velocities += [note[2] for note in notes]
    return {"waveforms": np.concatenate(waveforms).astype(np.float16),
            "program": np.asarray(program_ids, dtype=np.int64),
            "pitch": np.asarray(pitches, dtype=np.int64),
            "velocity": np.asarray(velocities, dtype=np.int64)}


def _source(name, clips, labels, class_names, what):
    waveforms = clips["waveforms"]
    test_index, pool_index = fixed_test_split.by_fraction(clips["program"], TEST_FRACTION)
    programs = [int(p) for p in clips["programs"]]
    details = {
        "programs": [{"program": p, "name": PROGRAMS[p], "family": FAMILIES[family_of(p)]}
                     for p in programs],
        "sample_rate": SAMPLE_RATE, "clip_seconds": CLIP_SECONDS,
        "pitch_range": list(PITCH_RANGE), "velocity_range": list(VELOCITY_RANGE),
        "silent_clips": int(np.sum(np.max(np.abs(waveforms), axis=1) < SILENCE)),
        "cache_file": clips["cache_file"], "render_seconds": clips["render_seconds"],
    }
    return AudioSourceData(
        name=name,
        train_inputs=waveforms[pool_index], train_labels=labels[pool_index],
        test_inputs=waveforms[test_index], test_labels=labels[test_index],
        class_names=class_names,
        source=f"{len(programs)} General MIDI programs ({what}) rendered by fluidsynth from the "
               f"Debian package fluid-soundfont-gm (FluidR3_GM.sf2), {SAMPLE_RATE} Hz, "
               f"{CLIP_SECONDS:g} s notes",
        details=details, sample_rate=SAMPLE_RATE,
    )


def _check_programs(programs):
    if programs is None:
        return list(range(len(PROGRAMS)))
    try:
        listed = sorted(int(p) for p in programs)
        valid = all(not isinstance(p, bool) and isinstance(p, (int, np.integer)) for p in programs)
    except (TypeError, ValueError):
        listed, valid = [], False
    if not valid or not listed or len(set(listed)) != len(listed) \
            or not all(0 <= p < len(PROGRAMS) for p in listed):
        raise ValueError(
            f"`programs` must be None or distinct General MIDI programs in [0, 127]; received {programs!r}.")
    return listed

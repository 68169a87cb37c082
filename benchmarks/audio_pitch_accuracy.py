"""PitchShift and TimeStretch on real instrument notes: how far from the ideal.

Renders one 0.5 s note each of piano (A4), violin (G4), flute (C5) and trumpet (E4)
with fluidsynth and the FluidR3 General MIDI soundfont (Debian `fluidsynth`,
`fluid-soundfont-gm`; see /work/shared/DATA.md), 1 s clips at 16 kHz, and prints:

- pitch: relative error of the shifted strongest partial against 2^(n/12) (Hann-window
  FFT, 8x zero padding, parabolic refinement, searched within +-10 % of the expected
  frequency), for n in -4, -1, 2.5, 7 semitones;
- stretch: relative error of the sounding duration times the rate (envelope above half
  its median level, 10 ms RMS) and of the strongest partial, for rates 0.8 and 1.25.

Usage:
    python benchmarks/audio_pitch_accuracy.py
"""

import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from scipy.io import wavfile  # noqa: E402

from keras_margin.augment import audio  # noqa: E402
from keras_margin.data.sources import midi  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "augment", "audio"))
import spec_signals  # noqa: E402

SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
NOTES = {"piano": (0, 69), "violin": (40, 67), "flute": (73, 72), "trumpet": (56, 64)}


def render(folder):
    clips = []
    for name, (program, key) in NOTES.items():
        mid, wav = os.path.join(folder, name + ".mid"), os.path.join(folder, name + ".wav")
        with open(mid, "wb") as f:
            # One note held 0.5 s, everything silenced at 1 s (the clip's end).
            note = midi.Note(program=program, pitch=key, velocity=100, start=0.0, duration=0.5,
                             cut=1.0)
            f.write(midi.midi_file([note]))
        subprocess.run(["fluidsynth", "-ni", "-q", "-r", "16000", "-F", wav, SOUNDFONT, mid],
                       check=True, capture_output=True)
        _, x = wavfile.read(wav)
        x = x.astype("float32") / 32768.0
        clips.append((x.mean(axis=1) if x.ndim == 2 else x)[:16000])
    return np.stack(clips)


def partial_near(x, expected):
    size = 8 * len(x)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), size))
    frequencies = np.arange(len(spectrum)) * 16000 / size
    band = np.nonzero((frequencies > 0.9 * expected) & (frequencies < 1.1 * expected))[0]
    k = band[np.argmax(spectrum[band])]
    a, b, c = np.log(spectrum[k - 1:k + 2])
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * 16000 / size


def main():
    with tempfile.TemporaryDirectory() as folder:
        clips = render(folder)
    partials = [spec_signals.peak_frequency(clip) for clip in clips]
    print("notes:", ", ".join(f"{n} {p:.1f} Hz" for n, p in zip(NOTES, partials)))
    for semitones in (-4.0, -1.0, 2.5, 7.0):
        factor = 2 ** (semitones / 12)
        out = np.asarray(audio.PitchShift(semitones, seed=0)(clips))
        errors = [partial_near(y, p * factor) / (p * factor) - 1 for y, p in zip(out, partials)]
        print(f"pitch {semitones:+5.1f} st  partial error " + "  ".join(f"{e:+.4f}" for e in errors))
    for rate in (0.8, 1.25):
        out = np.asarray(audio.TimeStretch(rate, seed=0)(clips))
        durations = [spec_signals.sounding_duration(y) / spec_signals.sounding_duration(x) * rate
                     - 1 for x, y in zip(clips, out)]
        pitches = [partial_near(y, p) / p - 1 for y, p in zip(out, partials)]
        print(f"stretch {rate:4.2f}  duration error " + "  ".join(f"{e:+.4f}" for e in durations)
              + "   partial error " + "  ".join(f"{e:+.4f}" for e in pitches))


if __name__ == "__main__":
    main()

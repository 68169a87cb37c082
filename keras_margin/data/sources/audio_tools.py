"""What the rendered audio datasets share: finding a Debian tool, its version, reading
its WAV output, and cutting clips to one length."""

import functools
import os
import shutil
import subprocess
import wave

import numpy as np

from keras_margin.utils.errors import DatasetNotFoundError


def require(program, package, dataset, path=None):
    """The path of `program` (or checks `path` exists), else a `DatasetNotFoundError`
    that names the Debian `package` and the command that installs it."""
    found = shutil.which(program) if path is None else (path if os.path.exists(path) else None)
    if found is None:
        what = f"`{program}`" if path is None else path
        raise DatasetNotFoundError(
            f"{dataset}: {what} not found; it comes from the Debian package {package} "
            f"(sudo apt-get install {package})."
        )
    return found


@functools.lru_cache(maxsize=None)
def tool_version(executable, flag="--version"):
    """The first line that `executable flag` prints: part of every cache key, so that
    another version of the tool renders afresh."""
    result = subprocess.run([executable, flag], capture_output=True, text=True, check=False)
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0] if lines else "unknown"


def read_wav(path):
    """`(sample_rate, float64 mono waveform in [-1, 1])` of a 16-bit PCM WAV file;
    channels are averaged."""
    with wave.open(path, "rb") as file:
        if file.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM, found {8 * file.getsampwidth()}-bit.")
        channels, rate = file.getnchannels(), file.getframerate()
        frames = file.readframes(file.getnframes())
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0
    samples = samples[: len(samples) // channels * channels].reshape(-1, channels)
    return rate, samples.mean(axis=1)


def resample(waveform, from_rate, to_rate):
    """`waveform` at `to_rate` (polyphase filtering with a Kaiser-windowed low-pass)."""
    if from_rate == to_rate:
        return waveform
    from scipy import signal  # only espeak-ng's clips need it; keeps `import keras_margin` light

    divisor = np.gcd(int(from_rate), int(to_rate))
    return signal.resample_poly(waveform, int(to_rate) // divisor, int(from_rate) // divisor)


def fit_length(waveform, length, offset=0):
    """`waveform` placed `offset` samples into a zero clip of `length` samples, cut
    at the end if it is longer."""
    clip = np.zeros(length, dtype=np.float64)
    part = waveform[: max(length - offset, 0)]
    clip[offset:offset + len(part)] = part
    return clip

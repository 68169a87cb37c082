"""Clips per second of the phase-vocoder layers and SpecAugment, in `tf.data`.

Input: `--clips` clips of 1 s at 16 kHz from a seed (a few random tones under a random
envelope, plus a little noise), batched by `--batch-size`, mapped with one
`seeded_map` call (`num_parallel_calls=AUTOTUNE`), prefetched and consumed to the end:

- `TimeStretch((0.8, 1.25))` and `PitchShift((-4, 4))` (frame 512, hop 128);
- `SpecAugment("LD")` on (100 frames, 80 bins) log-mel-sized arrays;
- for scale, audiomentations' `TimeStretch(0.8, 1.25, method="librosa_phase_vocoder")`
  and `PitchShift(-4, 4, method="librosa_phase_vocoder")` called per clip in one
  Python thread (`p=1`), as they are used.

Rounds are interleaved in one process and the medians printed, so machine load mostly
cancels. TensorFlow may use every core; audiomentations runs in one thread.

Usage:
    python benchmarks/audio_spectrogram.py                 # 128 clips, batch 32, 3 rounds
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_margin.augment import audio  # noqa: E402

SAMPLE_RATE = 16000


def clips(count, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    out = np.zeros((count, SAMPLE_RATE), "float32")
    for row in out:
        for _ in range(3):
            row += np.sin(2 * np.pi * rng.uniform(100, 2000) * t + rng.uniform(0, 6))
        row *= np.clip(np.sin(np.pi * t * rng.uniform(1, 4)), 0, None)
        row += rng.normal(size=SAMPLE_RATE) * 0.01
    return out / 3


def run_tf(data, layer, batch_size):
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(batch_size)
    dataset = audio.seeded_map(dataset, layer, seed=0).prefetch(tf.data.AUTOTUNE)
    start = time.perf_counter()
    for _ in dataset:
        pass
    return len(data) / (time.perf_counter() - start)


def run_per_clip(data, transform):
    start = time.perf_counter()
    for clip in data:
        transform(samples=clip, sample_rate=SAMPLE_RATE)
    return len(data) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = clips(args.clips, seed=0)
    spectrograms = np.random.default_rng(0).normal(size=(args.clips, 100, 80)).astype("float32")
    contenders = {
        "keras_margin TimeStretch": lambda: run_tf(data, audio.TimeStretch(seed=1),
                                                   args.batch_size),
        "keras_margin PitchShift": lambda: run_tf(data, audio.PitchShift(seed=2),
                                                  args.batch_size),
        "keras_margin SpecAugment LD": lambda: run_tf(spectrograms, audio.SpecAugment(
            "LD", seed=3), args.batch_size),
    }
    try:
        import audiomentations

        stretch = audiomentations.TimeStretch(0.8, 1.25, method="librosa_phase_vocoder", p=1.0)
        shift = audiomentations.PitchShift(-4, 4, method="librosa_phase_vocoder", p=1.0)
        contenders["audiomentations TimeStretch"] = lambda: run_per_clip(data, stretch)
        contenders["audiomentations PitchShift"] = lambda: run_per_clip(data, shift)
    except ImportError:
        print("audiomentations not installed: keras_margin only")
    for run in contenders.values():  # warm-up: tracing, librosa caches
        run()
    results = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, run in contenders.items():
            results[name].append(run())
    for name, values in results.items():
        print(f"{name:32s} {statistics.median(values):10.1f} clips/s")


if __name__ == "__main__":
    main()

"""Clips per second of a waveform augmentation chain in `tf.data` against audiomentations.

Every contender gets the same input: a fixed array of `--clips` clips of 1 s at 16 kHz
drawn from a seed (a few random tones under a random envelope, plus a little noise), and
a background bank of 8 two-second recordings of brown-ish noise from the same seed. The
chain is shift -> gain -> noise -> background -> speed:

- `keras_margin`: `TimeShift(0.2)`, `Gain((-12, 12))`, `AddNoise((10, 40), "pink")`,
  `MixBackground(bank, (3, 30))`, `SpeedPerturbation((0.9, 1.1))`, mapped after
  `batch(--batch-size)` with one `seeded_map` call (`num_parallel_calls=AUTOTUNE`),
  prefetched, consumed to the end.
- `audiomentations`, one `Compose` (every transform `p=1`) called per clip in a Python
  loop: `Shift(-0.2, 0.2, rollover=True, fade_duration=0)`, `Gain(-12, 12)`,
  `AddColorNoise(10, 40, f_decay=-3.01)` (pink), then for the background either
  `AddGaussianSNR(3, 30)` ("in memory": audiomentations has no transform that mixes
  an in-memory background bank, and this one does the same amount of work: draw a
  signal, scale it to an SNR, add), or `AddBackgroundNoise(files, 3, 30)` on the same
  bank written as WAV files to a temporary folder ("files": the real equivalent; it
  reads an excerpt through librosa on every call, from the page cache after the first
  round). Speed: audiomentations has no speed perturbation; the closest is
  `Resample(14545, 17778)` (resampling 16 kHz to that rate and playing it at 16 kHz is a
  speed factor of 0.9-1.1) followed by `AdjustDuration(16000)` to keep the length; its
  resampler (soxr) is of higher quality and costs more than linear interpolation.

Rounds are interleaved in one process and medians printed with the ratios, so machine
load mostly cancels. TensorFlow may use every core; audiomentations runs in one Python
thread, as it does when called per clip.

Usage:
    python benchmarks/audio.py                    # 256 clips, batch 32, 3 rounds
    python benchmarks/audio.py --clips 512 --rounds 5
"""

import argparse
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

RATE = 16000


def make_clips(count, seed):
    """`count` 1 s clips: 1-3 tones under a random envelope plus a little white noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(RATE) / RATE
    clips = np.zeros((count, RATE))
    for clip in clips:
        for _ in range(rng.integers(1, 4)):
            clip += rng.uniform(0.05, 0.3) * np.sin(
                2 * np.pi * rng.uniform(80, 4000) * t + rng.uniform(0, 2 * np.pi)
            )
        clip *= np.interp(t, np.linspace(0, 1, 6), rng.uniform(0.1, 1.0, 6))
        clip += 0.005 * rng.normal(size=RATE)
    backgrounds = np.cumsum(rng.normal(size=(8, 2 * RATE)), axis=1)
    backgrounds -= backgrounds.mean(axis=1, keepdims=True)
    backgrounds /= np.abs(backgrounds).max(axis=1, keepdims=True)
    return clips.astype("float32"), backgrounds.astype("float32")


def our_chain(backgrounds):
    from keras_margin.augment import audio

    return [
        audio.TimeShift(0.2),
        audio.Gain((-12.0, 12.0)),
        audio.AddNoise((10.0, 40.0), color="pink"),
        audio.MixBackground(backgrounds, (3.0, 30.0)),
        audio.SpeedPerturbation((0.9, 1.1)),
    ]


def their_chain(background):
    import audiomentations as am

    return am.Compose([
        am.Shift(-0.2, 0.2, shift_unit="fraction", rollover=True, fade_duration=0.0, p=1.0),
        am.Gain(-12.0, 12.0, p=1.0),
        am.AddColorNoise(10.0, 40.0, min_f_decay=-3.01, max_f_decay=-3.01, p=1.0),
        background,
        am.Resample(14545, 17778, p=1.0),
        am.AdjustDuration(duration_samples=RATE, p=1.0),
    ])


def time_ours(layers, clips, batch_size):
    import tensorflow as tf

    from keras_margin.augment.seeded_map import seeded_map

    data = tf.data.Dataset.from_tensor_slices(clips).batch(batch_size)
    data = seeded_map(data, layers, seed=0).prefetch(tf.data.AUTOTUNE)
    for _ in data.take(2):  # trace and warm up
        pass
    start = time.perf_counter()
    count = 0
    for batch in data:
        assert batch.shape[1] == RATE
        count += int(batch.shape[0])
    return count / (time.perf_counter() - start)


def time_theirs(compose, clips):
    compose(clips[0], sample_rate=RATE)
    start = time.perf_counter()
    for clip in clips:
        out = compose(clip, sample_rate=RATE)
    assert out.shape == (RATE,)
    return len(clips) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import tensorflow as tf

    clips, backgrounds = make_clips(args.clips, args.seed)
    print(f"{len(clips)} clips of 1 s at {RATE} Hz, background bank {backgrounds.shape}; "
          f"batch {args.batch_size}; {os.cpu_count()} CPUs; TF {tf.__version__}")
    contenders = {"keras_margin": None}
    try:
        import audiomentations as am
        import soundfile
    except ImportError:
        am = None
        print("audiomentations is not installed (the `bench` extra): timing keras_margin only")
    with tempfile.TemporaryDirectory() as folder:
        if am is not None:
            for index, recording in enumerate(backgrounds):
                soundfile.write(os.path.join(folder, f"background{index}.wav"), recording,
                                RATE, subtype="FLOAT")
            contenders["audiomentations (in memory)"] = their_chain(
                am.AddGaussianSNR(3.0, 30.0, p=1.0)
            )
            contenders["audiomentations (files)"] = their_chain(
                am.AddBackgroundNoise(folder, 3.0, 30.0, p=1.0)
            )
            print(f"audiomentations {am.__version__}")
        layers = our_chain(backgrounds)
        rates = {key: [] for key in contenders}
        for _ in range(args.rounds):  # interleaved: load hits every contender alike
            for key, compose in contenders.items():
                if compose is None:
                    rates[key].append(time_ours(layers, clips, args.batch_size))
                else:
                    rates[key].append(time_theirs(compose, clips))
    median = {key: statistics.median(values) for key, values in rates.items()}
    for key, value in median.items():
        spread = f"{min(rates[key]):,.0f}-{max(rates[key]):,.0f}"
        print(f"{key:>28}: {value:>8,.0f} clips/s  (rounds {spread})")
    for key in list(median)[1:]:
        print(f"ratio keras_margin / {key}: {median['keras_margin'] / median[key]:.2f}")


if __name__ == "__main__":
    main()

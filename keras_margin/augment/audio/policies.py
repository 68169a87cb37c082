"""Audio augmentation policies: waveform layers for `tf.data`, a spectrogram layer for
the model.

A policy is a `keras_margin.augment.Policy` with two parts, because audio is augmented
in two places:

- `layers`: keras_margin waveform layers, mapped over the *batched* training data by
  `policy.apply(train, seed)` (with `keras_margin.augment.seeded_map`: reproducible
  under any parallelism, different every epoch), or by `load_audio(augment=policy)`;
- `model_layer`: one spectrogram layer (or None) that goes inside the backbone, between
  the log-mel spectrogram and the convolutions
  (`keras_margin.models.audio_cnn(spectrogram_augmentation=policy.model_layer)`),
  since the spectrogram exists only there. keras_margin augmentation layers follow
  the model's training flag, so it is active in `fit` and not in `predict` or in an
  exported model.

```python
policy = keras_margin.augment.audio.policy("standard", seed=0)
train = policy.apply(train, seed=0)
backbone = keras_margin.models.audio_cnn(spectrogram_augmentation=policy.model_layer)
```

The policies:

| policy | `layers`: waveform (tf.data), in order | `model_layer`: spectrogram (model) |
| --- | --- | --- |
| `"none"` | nothing | None |
| `"light"` | `SpeedPerturbation` x[0.95, 1.05]; `Gain` ±6 dB | None |
| `"standard"` | `SpeedPerturbation` x[0.9, 1.1]; `TimeShift` up to ±0.1 of the clip, zero-filled; `Gain` ±6 dB | `SpecAugment`: time warp W = 5 frames, 2 frequency masks F = 8 bins, 2 time masks T = 10 frames, p = 0.2 |

Why these values, for 1 s clips of instrument notes and spoken digits at 16 kHz
(`audio_cnn`'s defaults: 63 frames of 16 ms, 64 mel bins): a speed factor of 0.9-1.1
moves the pitch by at most 1.8 semitones and the duration by 10%, which changes
neither an instrument's family nor a digit; the shift is zero-filled, not rolled, so
the end of a note never wraps round before its onset; ±6 dB of gain is what velocity
and recording level vary by anyway.

Why no `AddNoise`: the built-in clips are rendered, so their silences are digital
silence, -100 dB in `audio_cnn`'s log-mel features, and white noise at 20-40 dB SNR
lifts every silent frame to about -30 dB: the model trains on a floor that test clips
never have. Measured on `instruments`, 50 per class, softmax, 150 steps, seed 0
(`python benchmarks/audio_policy.py none noise-only`): test accuracy 0.620 without
augmentation, 0.380 with `AddNoise` alone. Add it for recordings that carry noise of
their own.

What `"standard"` did in `keras-margin compare --task audio` (docs/results/README.md):
it *lowered* test accuracy on both built-in datasets, also at 4x the step budget; per
layer, the gain was harmless and the shift and SpecAugment cost most. It is a
starting point to tune, not a recommendation.
`"light"` keeps only what measured harmless or nearly so in that per-layer run: the
gain, and the speed change at half the range (±0.9 semitones, ±5% duration). It has no
shift and no spectrogram layer, so a note's attack and its harmonics are never cut.
Tuned and converged on `instruments` (50 per family), the searches that drew it
more than twice chose it, and softmax and AdaCos with it reached 0.86-0.88 test
accuracy against 0.78-0.79 for the heads without augmentation, which gained about
10 points each when rerun with it; `standard` lost every search
(docs/results/README.md, "instruments closed set").
SpecAugment's Table-1 values (Park et al. 2019) are for utterances of seconds at a
10 ms hop (T = 70-100 frames, W = 40-80): on a 63-frame clip they would mask or
warp most of it, so the masks and the warp are scaled down to about a sixth of the
clip's frames and an eighth of its bins.
"""

from keras_margin.augment.audio.gain import Gain
from keras_margin.augment.audio.spec_augment import SpecAugment
from keras_margin.augment.audio.speed_perturbation import SpeedPerturbation
from keras_margin.augment.audio.time_shift import TimeShift
from keras_margin.augment.policy import Policy
from keras_margin.utils import validation

POLICIES = ("none", "light", "standard")

# Parameters of each policy, kept as constants so the layers and the descriptions that
# `describe()` prints cannot drift apart.
_LIGHT_SPEED_RANGE = (0.95, 1.05)
_STANDARD_SPEED_RANGE = (0.9, 1.1)
_GAIN_RANGE_DB = (-6.0, 6.0)
_SHIFT_FRACTION = 0.1
_TIME_WARP = 5
_FREQUENCY_MASK, _FREQUENCY_MASK_COUNT = 8, 2
_TIME_MASK, _TIME_MASK_COUNT = 10, 2
_TIME_MASK_FRACTION = 0.2

_SPEED = "speed x[{:g}, {:g}]"
_GAIN = f"gain ±{_GAIN_RANGE_DB[1]:g} dB"
_DESCRIPTIONS = {
    "none": "no augmentation",
    "light": f"{_SPEED.format(*_LIGHT_SPEED_RANGE)}, {_GAIN}; nothing in the model",
    "standard": (
        f"{_SPEED.format(*_STANDARD_SPEED_RANGE)}, shift ±{_SHIFT_FRACTION:.0%} "
        f"(zero-filled), {_GAIN}; in the model SpecAugment (W={_TIME_WARP}, "
        f"{_FREQUENCY_MASK_COUNT} x F={_FREQUENCY_MASK}, {_TIME_MASK_COUNT} x T={_TIME_MASK}, "
        f"p={_TIME_MASK_FRACTION:g})"
    ),
}


def describe(name):
    """A one-line summary of policy `name`."""
    return _DESCRIPTIONS[_check_name(name)]


def policy(name="standard", seed=None):
    """Returns the audio `Policy` named `name` (see the module docstring for the table).

    Args:
        name: one of `POLICIES`.
        seed: None or an integer >= 0; layer `i` of the policy gets `seed + i`, which
            sets it apart from the others under one `seeded_map` element seed and
            seeds the spectrogram layer's own draws in `fit`.

    Returns:
        A `keras_margin.augment.Policy` of new layers, modality `"audio"`: `layers`,
        the waveform layers (empty for `"none"`), and `model_layer`, the spectrogram
        layer for the backbone (None for `"none"`).

    Raises:
        ValueError: for an unknown `name` or a bad `seed`.

    Example:

    >>> from keras_margin.augment import audio
    >>> standard = audio.policy("standard", seed=0)
    >>> [type(layer).__name__ for layer in standard.layers]
    ['SpeedPerturbation', 'TimeShift', 'Gain']
    >>> type(standard.model_layer).__name__
    'SpecAugment'
    >>> audio.policy("light").model_layer is None
    True
    >>> audio.policy("none")
    <Policy 'none' (audio): no augmentation>
    """
    name = _check_name(name)
    if seed is not None:
        seed = validation.integer_at_least(seed, 0, "seed")

    def seed_of(index):
        return None if seed is None else seed + index

    if name == "none":
        return Policy(name, "audio")
    if name == "light":
        return Policy(name, "audio", layers=[
            SpeedPerturbation(factor_range=_LIGHT_SPEED_RANGE, seed=seed_of(0)),
            Gain(gain_range_db=_GAIN_RANGE_DB, seed=seed_of(1)),
        ])
    waveform = [
        SpeedPerturbation(factor_range=_STANDARD_SPEED_RANGE, seed=seed_of(0)),
        TimeShift(max_shift=_SHIFT_FRACTION, unit="fraction", rollover=False, seed=seed_of(1)),
        Gain(gain_range_db=_GAIN_RANGE_DB, seed=seed_of(2)),
    ]
    spectrogram = SpecAugment(
        policy="SM", time_warp=_TIME_WARP, frequency_mask=_FREQUENCY_MASK,
        frequency_mask_count=_FREQUENCY_MASK_COUNT, time_mask=_TIME_MASK,
        time_mask_count=_TIME_MASK_COUNT, time_mask_fraction=_TIME_MASK_FRACTION,
        seed=seed_of(3), name="spec_augment",
    )
    return Policy(name, "audio", layers=waveform, model_layer=spectrogram)


def _check_name(name):
    if not isinstance(name, str) or name not in POLICIES:
        raise ValueError(f"Unknown audio augmentation policy {name!r}; choose one of: "
                         f"{', '.join(POLICIES)}.")
    return name

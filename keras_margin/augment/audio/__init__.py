"""Audio augmentation: random layers on waveforms, graph-native in `tf.data`.

Waveform layers, on float clips `(samples,)` or batches `(batch, samples)`; every clip
in a batch draws its own values, and with `training=False` each layer returns its input
unchanged:

- `TimeShift`: shift by a random amount, rolled over or zero-filled.
- `Gain`: a random gain in dB.
- `AddNoise`: white, pink, brown, blue or violet noise at a random SNR.
- `MixBackground`: a random excerpt of a bank of background clips at a random SNR.
- `SpeedPerturbation`: resample by a random speed factor, kept at the input length.
- `TimeStretch`: a random tempo change by a phase vocoder, pitch and length kept.
- `PitchShift`: a random pitch shift in semitones, duration kept.

Spectrogram layers, on float `(frames, bins)` or `(batch, frames, bins)` inputs, time
first (transpose `keras.layers.MelSpectrogram`'s `(batch, bins, frames)`):

- `FrequencyMasking`, `TimeMasking`, `TimeWarp`: the three SpecAugment operations.
- `SpecAugment`: all three, with the policies of Park et al. 2019 (LB, LD, SM, SS).

`policy(name)` ("none", "light", "standard") returns a `keras_margin.augment.Policy` that pairs
waveform layers for `tf.data` (`layers`) with a spectrogram layer for the model
(`model_layer`; see `policies`).

`keras_margin.augment.seeded_map(dataset, layers, seed)` maps them over a dataset
reproducibly under any parallelism.
"""

from keras_margin.augment.audio.add_noise import AddNoise
from keras_margin.augment.audio.frequency_masking import FrequencyMasking
from keras_margin.augment.audio.gain import Gain
from keras_margin.augment.audio.mix_background import MixBackground
from keras_margin.augment.audio.pitch_shift import PitchShift
from keras_margin.augment.audio.policies import POLICIES
from keras_margin.augment.audio.policies import describe
from keras_margin.augment.audio.policies import policy
from keras_margin.augment.audio.spec_augment import SpecAugment
from keras_margin.augment.audio.speed_perturbation import SpeedPerturbation
from keras_margin.augment.audio.time_masking import TimeMasking
from keras_margin.augment.audio.time_shift import TimeShift
from keras_margin.augment.audio.time_stretch import TimeStretch
from keras_margin.augment.audio.time_warp import TimeWarp
from keras_margin.augment.seeded_map import seeded_map

__all__ = [
    "POLICIES",
    "describe",
    "policy",
    "AddNoise",
    "FrequencyMasking",
    "Gain",
    "MixBackground",
    "PitchShift",
    "SpecAugment",
    "SpeedPerturbation",
    "TimeMasking",
    "TimeShift",
    "TimeStretch",
    "TimeWarp",
    "seeded_map",
]

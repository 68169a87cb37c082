"""`SpecAugment`: time warp, frequency masks and time masks, with the paper's policies."""

import keras
import tensorflow as tf

from keras_margin.augment.audio import _spectrogram
from keras_margin.augment.audio import frequency_masking
from keras_margin.augment.audio import time_masking
from keras_margin.augment.augmentation_layer import split_seed
from keras_margin.utils import validation

# Park et al. 2019, Table 1: W, F, m_F, T, p, m_T.
POLICIES = {
    "LB": dict(time_warp=80, frequency_mask=27, frequency_mask_count=1,
               time_mask=100, time_mask_fraction=1.0, time_mask_count=1),
    "LD": dict(time_warp=80, frequency_mask=27, frequency_mask_count=2,
               time_mask=100, time_mask_fraction=1.0, time_mask_count=2),
    "SM": dict(time_warp=40, frequency_mask=15, frequency_mask_count=2,
               time_mask=70, time_mask_fraction=0.2, time_mask_count=2),
    "SS": dict(time_warp=40, frequency_mask=27, frequency_mask_count=2,
               time_mask=70, time_mask_fraction=0.2, time_mask_count=2),
}

_INTEGER_PARAMETERS = (
    "time_warp", "frequency_mask", "frequency_mask_count", "time_mask", "time_mask_count"
)


@keras.saving.register_keras_serializable(package="keras_margin")
class SpecAugment(_spectrogram.SpectrogramLayer):
    """SpecAugment (Park et al. 2019): warp in time, then mask frequency and time bands.

    Applies, in the paper's order, a `TimeWarp` with W = `time_warp`, a
    `FrequencyMasking` with F = `frequency_mask` and m_F = `frequency_mask_count`,
    and a `TimeMasking` with T = `time_mask`, p = `time_mask_fraction` and
    m_T = `time_mask_count`; every spectrogram in a batch draws its own warp and
    bands. `policy` names a row of the paper's Table 1; explicit arguments override
    single values of it. Every parameter is clipped to the spectrogram's size
    (masks never wider than the axis, the warp at most (frames - 3) // 2, time masks
    at most p * frames), so the policies also run on short clips. With
    `training=False` the layer returns its input unchanged.

    | policy | W | F | m_F | T | p | m_T |
    | --- | --- | --- | --- | --- | --- | --- |
    | LB (LibriSpeech basic) | 80 | 27 | 1 | 100 | 1.0 | 1 |
    | LD (LibriSpeech double) | 80 | 27 | 2 | 100 | 1.0 | 2 |
    | SM (Switchboard mild) | 40 | 15 | 2 | 70 | 0.2 | 2 |
    | SS (Switchboard strong) | 40 | 27 | 2 | 70 | 0.2 | 2 |

    The paper's values are for 80 log-mel bins at a 10 ms hop; scale W and T for
    other hops. The warp is piecewise linear in time (see `TimeWarp`).

    Input: float spectrograms `(batch, frames, bins)` or `(frames, bins)` (or
    `(batch, frames, bins, 1)`), time first. `keras.layers.MelSpectrogram` returns
    `(batch, bins, frames)`: transpose it first. Output: same shape and dtype.

    Args:
        policy: "LB", "LD", "SM" or "SS" (default "LB").
        time_warp: W, frames, integer >= 0; 0 disables the warp.
        frequency_mask: F, bins, integer >= 0.
        frequency_mask_count: m_F, integer >= 0.
        time_mask: T, frames, integer >= 0.
        time_mask_count: m_T, integer >= 0.
        time_mask_fraction: p, in [0, 1].
        mask_value: a number, or `"mean"` for each spectrogram's mean (default 0.0).
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a bad `policy`, parameter, `mask_value`
            or `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.audio import SpecAugment
    >>> spectrograms = np.random.default_rng(0).normal(size=(2, 300, 80)).astype("float32")
    >>> layer = SpecAugment("LD", seed=0)
    >>> layer.time_mask_count, layer.frequency_mask
    (2, 27)
    >>> out = layer(spectrograms).numpy()
    >>> out.shape, bool((out == 0).any())
    ((2, 300, 80), True)

    References:
        - Park, Chan, Zhang, Chiu, Zoph, Cubuk, Le. "SpecAugment: A Simple Data
          Augmentation Method for Automatic Speech Recognition", Interspeech 2019,
          Table 1. https://arxiv.org/abs/1904.08779
    """

    def __init__(
        self,
        policy="LB",
        time_warp=None,
        frequency_mask=None,
        frequency_mask_count=None,
        time_mask=None,
        time_mask_count=None,
        time_mask_fraction=None,
        mask_value=0.0,
        seed=None,
        **kwargs,
    ):
        if not isinstance(policy, str) or policy not in POLICIES:
            raise ValueError(
                f"`policy` must be one of {', '.join(repr(p) for p in POLICIES)}; "
                f"received {policy!r}."
            )
        given = {
            "time_warp": time_warp,
            "frequency_mask": frequency_mask,
            "frequency_mask_count": frequency_mask_count,
            "time_mask": time_mask,
            "time_mask_count": time_mask_count,
            "time_mask_fraction": time_mask_fraction,
        }
        parameters = dict(POLICIES[policy])
        for name, value in given.items():
            if value is None:
                continue
            if name in _INTEGER_PARAMETERS:
                parameters[name] = validation.integer_at_least(value, 0, name)
            else:
                parameters[name] = validation.number_in_range(value, name, 0.0, 1.0)
        mask_value = _spectrogram.check_mask_value(mask_value)
        super().__init__(seed=seed, **kwargs)
        self.policy = policy
        self.overrides = {name: value for name, value in given.items() if value is not None}
        for name, value in parameters.items():
            setattr(self, name, value)
        self.mask_value = mask_value

    def draw(self, spectrograms, seed):
        """The draws `augment` uses: a dict of (batch,) warp centres and distances and
        (batch, count) starts and widths of the frequency and time bands."""
        shape = tf.shape(spectrograms)
        batch, frames, bins = shape[0], shape[1], shape[2]
        warp_seed, frequency_seed, time_seed = split_seed(seed, 3)
        centres, distances = _spectrogram.time_warp_draws(
            warp_seed, batch, frames, self.time_warp
        )
        frequency_starts, frequency_widths = _spectrogram.mask_draws(
            frequency_seed, batch, bins, self.frequency_mask_count, self.frequency_mask
        )
        time_starts, time_widths = time_masking.time_mask_draws(
            time_seed, batch, frames, self.time_mask_count, self.time_mask,
            self.time_mask_fraction,
        )
        return {
            "warp_centres": centres,
            "warp_distances": distances,
            "frequency_starts": frequency_starts,
            "frequency_widths": frequency_widths,
            "time_starts": time_starts,
            "time_widths": time_widths,
        }

    def augment(self, inputs, seed):
        spectrograms, restore = _spectrogram.as_batch(inputs)
        draws = self.draw(spectrograms, seed)
        # "mean" is the mean of the input, the same for both kinds of mask.
        fill = _spectrogram.fill_values(spectrograms, self.mask_value)
        out = _spectrogram.time_warp(
            spectrograms, draws["warp_centres"], draws["warp_distances"]
        )
        out = frequency_masking.mask_frequencies(
            out, draws["frequency_starts"], draws["frequency_widths"], fill
        )
        out = time_masking.mask_times(
            out, draws["time_starts"], draws["time_widths"], fill
        )
        return restore(out)

    def get_config(self):
        config = super().get_config()
        config.update({"policy": self.policy, "mask_value": self.mask_value})
        config.update(self.overrides)
        return config

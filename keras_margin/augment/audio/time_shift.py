"""`TimeShift`: move each clip in time by a random amount, rolled over or zero-filled."""

import keras
import tensorflow as tf

from keras_margin.augment.audio import _waveform
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class TimeShift(_waveform.WaveformLayer):
    """Shifts every clip in time by its own random amount.

    Each clip draws a shift uniformly from `[-max_shift, max_shift]`; a positive shift
    delays the clip (a click at sample `i` moves to `i + shift`). With `rollover=True`
    the samples pushed past one end come back at the other (a circular shift); with
    `rollover=False` they are dropped and the vacated part is zeros. In
    `unit="fraction"` the shift is a fraction of the clip's length, rounded to whole
    samples; in `unit="samples"` it is a whole number of samples, every integer in the
    range equally likely. With `training=False` the layer returns its input unchanged.

    Args:
        max_shift: the largest shift, >= 0: a fraction of the length in [0, 1] for
            `unit="fraction"` (default 0.2), an integer for `unit="samples"`.
        unit: `"fraction"` or `"samples"`.
        rollover: whether shifted-out samples wrap around (default True).
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Input: float waveforms `(samples,)` or `(batch, samples)`; output of the same shape
    and dtype.

    Raises:
        ValueError: naming the argument, for a bad `max_shift`, `unit`, `rollover` or
            `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.audio import TimeShift
    >>> click = np.zeros((1, 100), "float32"); click[0, 10] = 1.0
    >>> shifted = TimeShift(5, unit="samples", rollover=False, seed=0)(click).numpy()
    >>> int(np.argmax(shifted[0])) in range(5, 16), float(shifted.sum())
    (True, 1.0)

    References:
        Ko et al., "Audio augmentation for speech recognition", Interspeech 2015
        (time-domain perturbations for ASR); Salamon & Bello, "Deep convolutional
        neural networks and data augmentation for environmental sound
        classification", IEEE SPL 2017.
    """

    def __init__(self, max_shift=0.2, unit="fraction", rollover=True, seed=None, **kwargs):
        if not isinstance(unit, str) or unit not in ("fraction", "samples"):
            raise ValueError(
                f"`unit` must be 'fraction' or 'samples'; received {unit!r}."
            )
        if unit == "fraction":
            max_shift = validation.number_in_range(max_shift, "max_shift", 0.0, 1.0)
        else:
            max_shift = validation.integer_at_least(max_shift, 0, "max_shift")
        if not isinstance(rollover, bool):
            raise ValueError(f"`rollover` must be True or False; received {rollover!r}.")
        super().__init__(seed=seed, **kwargs)
        self.max_shift = max_shift
        self.unit = unit
        self.rollover = rollover

    def augment(self, inputs, seed):
        waveforms, unbatch = _waveform.as_batch(inputs)
        batch = tf.shape(waveforms)[0]
        samples = tf.shape(waveforms)[1]
        if self.unit == "samples":
            shifts = tf.random.stateless_uniform(
                [batch], seed, minval=-self.max_shift, maxval=self.max_shift + 1,
                dtype=tf.int32,
            )
        else:
            fractions = tf.random.stateless_uniform(
                [batch], seed, minval=-self.max_shift, maxval=self.max_shift
            )
            shifts = tf.cast(
                tf.round(fractions * tf.cast(samples, tf.float32)), tf.int32
            )
        # out[n] = x[n - shift]: one gather per clip with its own source indices.
        sources = tf.range(samples)[None, :] - shifts[:, None]
        wrapped = tf.math.floormod(sources, tf.maximum(samples, 1))
        out = tf.gather(waveforms, wrapped, batch_dims=1)
        if not self.rollover:
            inside = (sources >= 0) & (sources < samples)
            out = tf.where(inside, out, tf.zeros_like(out))
        return unbatch(out)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"max_shift": self.max_shift, "unit": self.unit, "rollover": self.rollover}
        )
        return config

"""Helpers shared by the waveform layers."""

import tensorflow as tf

from keras_margin.augment.augmentation_layer import AugmentationLayer
from keras_margin.utils import validation


class WaveformLayer(AugmentationLayer):
    """`AugmentationLayer` that keeps its input's float dtype.

    Keras casts float inputs to a layer's compute dtype (float32) before `call`; a
    float64 or float16 waveform should come back in its own dtype instead.
    """

    def __init__(self, seed=None, **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(seed=seed, **kwargs)


def as_batch(waveforms):
    """Returns `(batch, unbatch)`: a (batch, samples) tensor and the function undoing it.

    Accepts one clip `(samples,)` or a batch `(batch, samples)` of a float dtype.
    """
    waveforms = tf.convert_to_tensor(waveforms)
    if not waveforms.dtype.is_floating:
        raise ValueError(
            "Audio layers expect float waveforms; received dtype "
            f"{waveforms.dtype.name}."
        )
    if waveforms.shape.rank == 1:
        return waveforms[None], lambda x: x[0]
    if waveforms.shape.rank != 2:
        raise ValueError(
            "Audio layers expect waveforms of shape (samples,) or (batch, samples); "
            f"received shape {waveforms.shape}."
        )
    return waveforms, lambda x: x


def uniform(seed, batch, bounds):
    """(batch,) float32 draws uniform in `bounds`, or the constant when low == high."""
    low, high = bounds
    if low == high:
        return tf.fill([batch], tf.constant(low, tf.float32))
    return tf.random.stateless_uniform([batch], seed, minval=low, maxval=high)


def compute_dtype(dtype):
    """float64 stays float64; half precisions compute in float32 (powers overflow)."""
    return tf.float64 if dtype == tf.float64 else tf.float32


def db_to_power_ratio(db):
    return tf.pow(tf.constant(10.0, db.dtype), db / 10.0)


def scale_to_snr(signal, noise, snr_db):
    """`noise` (batch, samples) scaled per clip so that power(signal) / power(noise)
    equals 10^(snr_db / 10) over the clip.

    A silent signal, or silent noise, gives a zero scale: nothing is added (no NaN).
    The powers are taken of the clips divided by their peaks, so that a loud clip
    (a sum of squares past ~1e19 overflows float32) or a very quiet one is scaled as
    exactly as any other.
    """
    dtype = signal.dtype
    signal, signal_peak = peak_normalized(signal)
    noise, noise_peak = peak_normalized(noise)
    signal_power = tf.reduce_mean(tf.square(signal), axis=1)
    noise_power = tf.reduce_mean(tf.square(noise), axis=1)
    wanted = signal_power / db_to_power_ratio(tf.cast(snr_db, dtype))
    scale = tf.sqrt(tf.math.divide_no_nan(wanted, noise_power))
    return noise * (scale[:, None] * signal_peak)


def peak_normalized(waveforms):
    """`(waveforms / peak, peak)`: every clip of (batch, samples) divided by its
    largest absolute value `peak` (batch, 1); a silent or empty clip by 1.

    Squares and spectra of the normalised clips neither overflow nor underflow, so
    layers that take them work alike on clips of amplitude 1e-30 and 1e30; multiply
    by `peak` afterwards.
    """
    peak = tf.reduce_max(tf.abs(waveforms), axis=1, keepdims=True)
    peak = tf.where(peak > 0, peak, tf.ones_like(peak))
    return waveforms / peak, peak


def check_range(value, name, low=-float("inf"), high=float("inf"), low_open=False):
    """A `(a, b)` pair of finite numbers with `low <= a <= b <= high` (`low < a` when
    `low_open`), or one number meaning `(v, v)`; returned as floats."""
    return validation.number_pair(value, name, low, high, low_open=low_open, allow_single=True)

"""Helpers shared by the waveform layers."""

import tensorflow as tf


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


def power(waveforms):
    """Mean square of each clip, (batch, samples) -> (batch,), in float32."""
    return tf.reduce_mean(tf.square(tf.cast(waveforms, tf.float32)), axis=1)


def uniform(seed, batch, bounds):
    """(batch,) float32 draws uniform in `bounds`, or the constant when low == high."""
    low, high = bounds
    if low == high:
        return tf.fill([batch], tf.constant(low, tf.float32))
    return tf.random.stateless_uniform([batch], seed, minval=low, maxval=high)

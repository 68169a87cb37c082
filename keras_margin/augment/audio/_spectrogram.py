"""Helpers shared by the spectrogram layers: layouts, mask draws, mask values.

Layout: `(batch, frames, bins)` or one spectrogram `(frames, bins)`, time first, as
`tf.signal.stft` returns it; a trailing channel axis of 1, `(batch, frames, bins, 1)`,
is accepted too. `keras.layers.MelSpectrogram` returns `(batch, bins, frames)`:
transpose it first (`keras.layers.Permute((2, 1))` in a model, `tf.transpose(x,
[0, 2, 1])` in `tf.data`).
"""

import numbers

import tensorflow as tf

from keras_margin.augment.augmentation_layer import AugmentationLayer
from keras_margin.utils import validation


class SpectrogramLayer(AugmentationLayer):
    """`AugmentationLayer` that keeps its input's float dtype (Keras would cast a
    float64 or float16 spectrogram to float32 before `call`)."""

    def __init__(self, seed=None, **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(seed=seed, **kwargs)


def as_batch(spectrograms):
    """Returns `(batch, restore)`: a (batch, frames, bins) tensor and its inverse."""
    spectrograms = tf.convert_to_tensor(spectrograms)
    if not spectrograms.dtype.is_floating:
        raise ValueError(
            "Spectrogram layers expect float spectrograms; received dtype "
            f"{spectrograms.dtype.name}."
        )
    rank = spectrograms.shape.rank
    if rank == 2:
        return spectrograms[None], lambda x: x[0]
    if rank == 3:
        return spectrograms, lambda x: x
    if rank == 4 and spectrograms.shape[-1] == 1:
        return spectrograms[..., 0], lambda x: x[..., None]
    raise ValueError(
        "Spectrogram layers expect (frames, bins), (batch, frames, bins) or "
        f"(batch, frames, bins, 1) spectrograms; received shape {spectrograms.shape}."
    )


def mask_draws(seed, batch, size, count, max_width):
    """Random bands along an axis of `size` entries: `(starts, widths)`, (batch, count).

    Each width is uniform over the integers 0..min(max_width, size), each start
    uniform over 0..size - width, so a band always lies inside the axis (Park et al.
    2019, section 2). `max_width` may be a (batch,) tensor.
    """
    draws = tf.random.stateless_uniform([batch, count, 2], seed)
    size = tf.cast(size, tf.int32)
    max_width = tf.minimum(tf.cast(max_width, tf.int32), size)
    max_width = tf.broadcast_to(tf.reshape(max_width, [-1, 1]), [batch, 1])
    widths = _uniform_integer(draws[..., 0], max_width)
    starts = _uniform_integer(draws[..., 1], size - widths)
    return starts, widths


def _uniform_integer(unit, high):
    """Integers uniform over 0..high from uniform [0, 1) draws."""
    high = tf.cast(high, tf.int32)
    value = tf.cast(tf.floor(unit * tf.cast(high + 1, tf.float32)), tf.int32)
    return tf.minimum(value, high)  # guards float rounding at the top


def band_mask(starts, widths, size):
    """(batch, size) bool: True inside any of the (batch, count) bands."""
    index = tf.range(size)[None, None, :]
    inside = (index >= starts[..., None]) & (index < (starts + widths)[..., None])
    return tf.reduce_any(inside, axis=1)


def fill_values(spectrograms, mask_value):
    """(batch, 1, 1) values for the masked entries: a constant, or each input's mean."""
    if mask_value == "mean":
        # Summed in float32 at least: a float16 sum of a large spectrogram overflows.
        wide = tf.float64 if spectrograms.dtype == tf.float64 else tf.float32
        mean = tf.reduce_mean(tf.cast(spectrograms, wide), axis=[1, 2], keepdims=True)
        return tf.cast(mean, spectrograms.dtype)
    batch = tf.shape(spectrograms)[0]
    return tf.fill([batch, 1, 1], tf.cast(mask_value, spectrograms.dtype))


def check_mask_value(value):
    if isinstance(value, str):
        if value != "mean":
            raise ValueError(
                f"`mask_value` must be a number or 'mean'; received {value!r}."
            )
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`mask_value` must be a number or 'mean'; received {value!r}.")
    return validation.number_in_range(value, "mask_value")


def time_warp_draws(seed, batch, frames, max_warp):
    """Random warps along time: `(centres, distances)`, float32 (batch,).

    The warp is clipped to `min(max_warp, (frames - 3) // 2)`, so that the centre,
    drawn uniformly in [W + 1, frames - 2 - W], and its moved position, centre + w
    with w uniform in [-W, W], both stay strictly between the first and the last
    frame. Fewer than 5 frames: no warp.
    """
    draws = tf.random.stateless_uniform([batch, 2], seed)
    frames = tf.cast(frames, tf.float32)
    warp = tf.clip_by_value(
        tf.minimum(float(max_warp), tf.floor((frames - 3.0) / 2.0)), 0.0, float(max_warp)
    )
    centres = warp + 1.0 + draws[:, 0] * (frames - 3.0 - 2.0 * warp)
    distances = (2.0 * draws[:, 1] - 1.0) * warp
    return centres, distances


def time_warp(spectrograms, centres, distances):
    """Piecewise-linear time warp: frame `centres[b]` moves to `centres + distances`.

    Output frame t reads the input at a position that is linear from frame 0 to the
    moved centre and from there to the last frame, interpolating linearly between
    frames; frame 0 and the last frame stay where they are.
    """
    frames = tf.shape(spectrograms)[1]
    last = tf.cast(frames - 1, tf.float32)
    t = tf.cast(tf.range(frames), tf.float32)[None, :]
    centre = centres[:, None]
    target = (centres + distances)[:, None]
    before = t * tf.math.divide_no_nan(centre, target)
    after = centre + (t - target) * tf.math.divide_no_nan(last - centre, last - target)
    source = tf.where(t < target, before, after)
    source = tf.where(tf.equal(distances, 0.0)[:, None], t, source)
    source = tf.clip_by_value(source, 0.0, last)
    left = tf.cast(tf.floor(source), tf.int32)
    right = tf.minimum(left + 1, frames - 1)
    weight = tf.cast(source - tf.cast(left, tf.float32), spectrograms.dtype)[..., None]
    left_values = tf.gather(spectrograms, left, batch_dims=1)
    right_values = tf.gather(spectrograms, right, batch_dims=1)
    return left_values + weight * (right_values - left_values)

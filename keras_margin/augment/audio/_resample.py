"""`resample`: read each waveform at a scaled time axis, by linear interpolation.

Shared by the layers that change a clip's speed or pitch (`SpeedPerturbation`, and the
spectrogram-side `TimeStretch` / `PitchShift`).
"""

import tensorflow as tf


def resample(waveforms, factors, output_length):
    """Each waveform read at `factors[b]` times its own speed, linearly interpolated.

    `output[b, n] = x_b(n * factors[b])`, where `x_b(t)` is the linear interpolation of
    `waveforms[b]` between its samples and is 0 at and beyond `t = samples` (the input
    is taken as followed by zeros, so the last sample ramps down to 0 over one sample
    period). A factor above 1 plays the clip faster: shorter, higher in pitch. No
    anti-alias filter is applied: a factor above 1 folds content above
    `sample_rate / (2 * factor)` back into the band, as linear-interpolation resampling
    (the usual speed-perturbation recipe) does.

    Positions are computed in float64 so that a fractional position is exact to far
    below a sample even a million samples into a clip.

    Args:
        waveforms: float tensor (batch, samples).
        factors: float tensor (batch,), every value > 0.
        output_length: int (or scalar int tensor) >= 0, the number of output samples.

    Returns:
        float32 tensor (batch, output_length).
    """
    waveforms = tf.cast(tf.convert_to_tensor(waveforms), tf.float32)
    factors = tf.cast(tf.convert_to_tensor(factors), tf.float64)
    samples = tf.shape(waveforms)[1]
    # One trailing zero: index `samples` stands for every position at or past the end.
    padded = tf.pad(waveforms, [[0, 0], [0, 1]])
    steps = tf.range(tf.cast(output_length, tf.int32))
    positions = tf.cast(steps, tf.float64)[None, :] * factors[:, None]
    # Clamped at the end, which also keeps huge positions inside int32.
    positions = tf.minimum(positions, tf.cast(samples, tf.float64))
    left = tf.floor(positions)
    weight = tf.cast(positions - left, tf.float32)
    # int32 indices: TensorFlow's gather is about twice as fast with them as with int64.
    left = tf.cast(left, tf.int32)
    right = tf.minimum(left + 1, samples)
    left_values = tf.gather(padded, left, batch_dims=1)
    right_values = tf.gather(padded, right, batch_dims=1)
    return left_values + weight * (right_values - left_values)

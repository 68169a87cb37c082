"""Angle functions of a cosine with exact values and finite gradients everywhere.

`arccos` and `sqrt(1 - c^2)` have infinite derivatives at c = +-1 (theta = 0 or pi),
which turns into Inf or NaN gradients for a perfectly fitted or perfectly wrong sample.
These keep the forward value exact (the cosine is only clipped to [-1, 1]) and bound the
backward pass by flooring `1 - c^2` at `_SINE_SQUARED_FLOOR` there.
"""

import math

from keras import ops

from keras_margin.heads._class_logits import upstream_gradients

_SINE_SQUARED_FLOOR = 1e-12


def _sine_squared(cosine):
    return ops.maximum(1.0 - ops.square(cosine), 0.0)


@ops.custom_gradient
def angle(cosine):
    """`arccos(clip(cosine, -1, 1))` with a gradient bounded by 1e6 in magnitude."""
    clipped = ops.clip(cosine, -1.0, 1.0)

    def grad(*args, upstream=None):
        upstream = upstream_gradients(args, upstream)
        floor = ops.maximum(_sine_squared(clipped), _SINE_SQUARED_FLOOR)
        inside = ops.cast(ops.abs(cosine) <= 1.0, upstream.dtype)  # as clip's gradient
        return -upstream * inside / ops.sqrt(floor)

    return ops.arccos(clipped), grad


@ops.custom_gradient
def sine(cosine):
    """`sin(theta) = sqrt(1 - c^2)` for theta in [0, pi], gradient bounded by 1e6."""
    clipped = ops.clip(cosine, -1.0, 1.0)
    value = ops.sqrt(_sine_squared(clipped))

    def grad(*args, upstream=None):
        upstream = upstream_gradients(args, upstream)
        floor = ops.sqrt(ops.maximum(_sine_squared(clipped), _SINE_SQUARED_FLOOR))
        inside = ops.cast(ops.abs(cosine) <= 1.0, upstream.dtype)  # as clip's gradient
        return -upstream * inside * clipped / floor

    return value, grad


def add_angle(cosine, margin):
    """`cos(theta + m)` for `theta = arccos(cosine)`, with ArcFace's monotone fallback.

    Where `theta + m > pi` the value is `cos(theta) - m * sin(m)`, as in ArcFace (past
    pi, `cos(theta + m)` would rise again and reward moving away from the class).
    `margin` is a number or a tensor that broadcasts against `cosine` (per-sample
    margins: MagFace, ElasticFace); a negative margin never takes the fallback.
    """
    cosine = ops.clip(cosine, -1.0, 1.0)
    if isinstance(margin, (int, float)):
        cos_m, sin_m = math.cos(margin), math.sin(margin)
        positive = margin > 0
    else:
        margin = ops.cast(margin, cosine.dtype)
        cos_m, sin_m = ops.cos(margin), ops.sin(margin)
        positive = margin > 0.0
    shifted = cosine * cos_m - sine(cosine) * sin_m
    # theta + m > pi  <=>  cos(theta) < cos(pi - m) = -cos(m), for m in (0, pi]
    past_pi = ops.logical_and(positive, cosine < -cos_m)
    return ops.where(past_pi, cosine - margin * sin_m, shifted)

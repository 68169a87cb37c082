"""The frame-length check shared by `TimeStretch` and `PitchShift`."""

from keras_margin.utils import validation


def check_frame_length(value):
    frame_length = validation.integer_at_least(value, 16, "frame_length")
    if frame_length % 4:
        raise ValueError(f"`frame_length` must be a multiple of 4; received {value!r}.")
    return frame_length

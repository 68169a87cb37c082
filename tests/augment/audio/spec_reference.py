"""Float64 NumPy versions of the SpecAugment operations, from Park et al. 2019, for
the spectrogram layer tests: given the drawn parameters, what the output must be."""

import numpy as np


def band_mask(starts, widths, size):
    """(batch, size) bool, True in [start, start + width) of any band."""
    mask = np.zeros((len(starts), size), bool)
    for b, (row_starts, row_widths) in enumerate(zip(starts, widths)):
        for start, width in zip(row_starts, row_widths):
            mask[b, start:start + width] = True
    return mask


def mask_frequencies(x, starts, widths, fill):
    out = np.array(x, np.float64)
    mask = band_mask(starts, widths, x.shape[2])
    for b in range(len(x)):
        out[b][:, mask[b]] = fill[b]
    return out


def mask_times(x, starts, widths, fill):
    out = np.array(x, np.float64)
    mask = band_mask(starts, widths, x.shape[1])
    for b in range(len(x)):
        out[b][mask[b], :] = fill[b]
    return out


def time_warp(x, centres, distances):
    """Frame c moves to c + w; piecewise-linear source positions, linear in between."""
    x = np.asarray(x, np.float64)
    frames = x.shape[1]
    out = np.empty_like(x)
    grid = np.arange(frames, dtype=np.float64)
    for b, (c, w) in enumerate(zip(np.float64(centres), np.float64(distances))):
        # np.interp through the control points (0 -> 0, c + w -> c, last -> last).
        source = np.interp(grid, [0.0, c + w, frames - 1.0], [0.0, c, frames - 1.0])
        for k in range(x.shape[2]):
            out[b, :, k] = np.interp(source, grid, x[b, :, k])
    return out

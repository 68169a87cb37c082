"""Means with 95% confidence intervals over seeds, for the report's tables."""

import math

import numpy as np
from scipy import stats


def mean_and_half_width(values, confidence=0.95):
    """`(mean, half_width)` of the Student-t confidence interval of the mean.

    With a single value the half width is NaN: one seed says nothing about the spread.
    """
    values = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=np.float64)
    if values.size == 0:
        return math.nan, math.nan
    mean = float(values.mean())
    if values.size < 2:
        return mean, math.nan
    standard_error = values.std(ddof=1) / math.sqrt(values.size)
    return mean, float(stats.t.ppf(0.5 + confidence / 2, values.size - 1) * standard_error)


def format_mean(values, digits=3, scale=1.0):
    """`"0.953 ± 0.004"`, or `"0.953"` for a single value; `"—"` for none."""
    mean, half_width = mean_and_half_width(values)
    if math.isnan(mean):
        return "—"
    if math.isnan(half_width):
        return f"{mean * scale:.{digits}f}"
    return f"{mean * scale:.{digits}f} ± {half_width * scale:.{digits}f}"

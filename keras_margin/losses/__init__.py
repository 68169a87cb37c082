"""Losses for margin heads."""

from keras_margin.losses.cross_entropy import CrossEntropy

__all__ = ["CrossEntropy"]

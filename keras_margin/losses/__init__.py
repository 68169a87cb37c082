"""Losses for margin heads."""

from keras_margin.losses.bootstrapping import Bootstrapping
from keras_margin.losses.cross_entropy import CrossEntropy

__all__ = ["Bootstrapping", "CrossEntropy"]

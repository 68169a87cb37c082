"""Optimizers for very large class-centre matrices."""

from keras_margin.optimizers.lazy_adam import LazyAdam

__all__ = ["LazyAdam"]

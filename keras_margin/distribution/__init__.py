"""Placing a model's variables on several devices (Keras' distribution API)."""

from keras_margin.distribution.class_sharded import class_sharded

__all__ = ["class_sharded"]

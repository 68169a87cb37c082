"""Keras callbacks for margin training schedules."""

from keras_margin.callbacks.deferred_reweighting import DeferredReweighting

__all__ = ["DeferredReweighting"]

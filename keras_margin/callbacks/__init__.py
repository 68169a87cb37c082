"""Keras callbacks for margin training schedules and training difficulties."""

from keras_margin.callbacks.augmentation_check import AugmentationCheck
from keras_margin.callbacks.augmentation_schedule import AugmentationSchedule
from keras_margin.callbacks.best_validation import BestValidation
from keras_margin.callbacks.deferred_reweighting import DeferredReweighting
from keras_margin.callbacks.margin_warmup import MarginWarmup
from keras_margin.callbacks.progressive_resizing import ProgressiveResizing

__all__ = [
    "AugmentationCheck",
    "AugmentationSchedule",
    "BestValidation",
    "DeferredReweighting",
    "MarginWarmup",
    "ProgressiveResizing",
]

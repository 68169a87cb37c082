"""Keras callbacks for margin training schedules and training difficulties.

Each callback is imported on first use: those that act on `tf.data` pipelines or
augmentation layers import TensorFlow, while `MarginWarmup` runs on every backend
without it.
"""

from keras_margin.utils.lazy import lazy_attributes

_MODULES = {
    "AugmentationCheck": "augmentation_check",
    "AugmentationSchedule": "augmentation_schedule",
    "BestValidation": "best_validation",
    "ClassMeanValidation": "class_mean_validation",
    "DeferredReweighting": "deferred_reweighting",
    "MarginWarmup": "margin_warmup",
    "ProgressiveResizing": "progressive_resizing",
}

__getattr__, __dir__ = lazy_attributes(
    __name__, {name: (f"{__name__}.{module}", name) for name, module in _MODULES.items()}
)

__all__ = sorted(_MODULES)

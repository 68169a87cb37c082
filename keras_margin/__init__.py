"""keras_margin: margin-softmax heads and augmentation layers for Keras 3.

Subpackages are imported on first use, so that `keras_margin.utils.quiet` (and the
command line) can silence TensorFlow's start-up logs before TensorFlow is imported.
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = ("augment", "data", "heads", "losses", "models", "utils")
__all__ = ["MarginModel", *_SUBMODULES, "__version__"]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"keras_margin.{name}")
    if name == "MarginModel":
        from keras_margin.models.margin_model import MarginModel

        return MarginModel
    raise AttributeError(f"module 'keras_margin' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)

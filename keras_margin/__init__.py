"""keras_margin: margin-softmax heads and augmentation layers for Keras 3."""

__version__ = "0.1.0"

from keras_margin.utils.quiet import import_tensorflow_quietly

import_tensorflow_quietly()

# Imported eagerly so that every serializable class is registered with Keras once
# `keras_margin` is imported: `.keras` files then load with no further imports.
from keras_margin import (  # noqa: E402
    augment, callbacks, data, distribution, heads, losses, metrics, models, optimizers, retrieval,
)
from keras_margin.models.margin_model import MarginModel  # noqa: E402

__all__ = ["MarginModel", "augment", "callbacks", "data", "distribution", "heads", "losses", "metrics",
           "models", "optimizers", "retrieval", "__version__"]

"""keras_margin: margin-softmax heads and augmentation layers for Keras 3."""

__version__ = "0.1.0"

from keras_margin import heads  # noqa: E402
from keras_margin.models.margin_model import MarginModel  # noqa: E402
from keras_margin import augment, data, models  # noqa: E402

__all__ = ["MarginModel", "augment", "data", "heads", "models", "__version__"]

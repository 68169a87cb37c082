"""keras_margin: margin-softmax heads and augmentation layers for Keras 3.

The heads, losses, optimizers, metrics, `MarginModel` and `distribution` are written in
`keras.ops` and run on every Keras 3 backend (TensorFlow, JAX, PyTorch). `data`,
`augment`, `robustness` and `ssl` are built on `tf.data` and TensorFlow ops, and
`MarginModel.export` writes a TensorFlow SavedModel: those need TensorFlow whatever the
backend (the attacks of `robustness` need the TensorFlow backend itself).

On the TensorFlow backend everything is imported here, so every serializable class
(augmentation layers included) is registered with Keras once `keras_margin` is imported,
and `.keras` files load with no further imports. On the other backends `data`,
`augment`, `robustness` and `ssl` are imported on first use (`km.data`,
`import keras_margin.augment`), so TensorFlow is not imported by `import keras_margin`; to load a `.keras` file holding
augmentation layers there, import `keras_margin.augment` first.
"""

__version__ = "0.1.0"

from keras_margin.utils.quiet import import_keras_quietly

# First: on the TensorFlow backend this imports TensorFlow, without its start-up notices.
_keras = import_keras_quietly()

from keras_margin import (  # noqa: E402
    callbacks, distribution, heads, losses, metrics, models, optimizers, retrieval,
)
from keras_margin.models.margin_model import MarginModel  # noqa: E402

# Built on tf.data and TensorFlow ops.
_TENSORFLOW_PACKAGES = ("augment", "data", "robustness", "ssl")

if _keras.backend.backend() == "tensorflow":
    from keras_margin import augment, data, robustness, ssl  # noqa: E402, F401
else:
    from keras_margin.utils.lazy import lazy_attributes  # noqa: E402

    __getattr__, __dir__ = lazy_attributes(
        __name__, {name: (f"{__name__}.{name}", None) for name in _TENSORFLOW_PACKAGES}
    )

__all__ = ["MarginModel", "augment", "callbacks", "data", "distribution", "heads", "losses", "metrics",
           "models", "optimizers", "retrieval", "robustness", "ssl", "__version__"]

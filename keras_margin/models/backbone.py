"""`backbone`: an embedding backbone over a `keras.applications` architecture or a saved model."""

import os
import warnings

import keras
from keras import layers

from keras_margin.utils import validation

# The name of the wrapped network inside the backbone, so that callers (the CLI's
# frozen first epochs) can reach it as `backbone.get_layer(BASE_LAYER)` whatever it is.
BASE_LAYER = "base"

# The smallest height and width every wrapped application accepts: below 32 pixels
# keras.applications refuses the input (five stride-2 stages leave nothing to pool).
MIN_IMAGE_SIZE = 32

# name -> (keras.applications constructor, how 0-255 pixels become the network's input).
# "inside": the application's own `include_preprocessing=True` layers take 0-255 pixels.
# "minus_one_to_one": x / 127.5 - 1, which is what `preprocess_input` of that family
# does (imagenet_utils mode "tf"); the application has no preprocessing switch, so it
# is added here as a `Rescaling` layer, which serialises, unlike a `Lambda`.
_APPLICATIONS = {
    "resnet50v2": ("ResNet50V2", "minus_one_to_one"),
    "resnet101v2": ("ResNet101V2", "minus_one_to_one"),
    "resnet152v2": ("ResNet152V2", "minus_one_to_one"),
    "mobilenetv3small": ("MobileNetV3Small", "inside"),
    "mobilenetv3large": ("MobileNetV3Large", "inside"),
    "efficientnetv2b0": ("EfficientNetV2B0", "inside"),
    "efficientnetv2b1": ("EfficientNetV2B1", "inside"),
    "efficientnetv2b2": ("EfficientNetV2B2", "inside"),
    "efficientnetv2b3": ("EfficientNetV2B3", "inside"),
    "efficientnetv2s": ("EfficientNetV2S", "inside"),
    "efficientnetv2m": ("EfficientNetV2M", "inside"),
    "efficientnetv2l": ("EfficientNetV2L", "inside"),
}

ARCHITECTURES = tuple(_APPLICATIONS)


def backbone(
    name,
    input_shape,
    embedding_dim=64,
    weights=None,
    batch_norm_momentum=0.9,
    embedding_batch_norm=True,
):
    """An embedding backbone over a `keras.applications` network or a saved `.keras` model.

    The network (the "base", reachable as `model.get_layer("base")`) is followed by
    global average pooling, a linear embedding and batch normalisation, as in
    `small_cnn`. Like `small_cnn` the model takes raw images, 0-255 pixels, and exports
    that way: each application's own preprocessing is inside the model (its
    `include_preprocessing` layers, or `x / 127.5 - 1` for the ResNet V2 family, which
    is its `preprocess_input`), and one-channel images are repeated to three channels
    for the applications, which need RGB.

    Nothing is downloaded: `weights` is a local file. The application is built with
    `weights=None` and the file is then loaded into it; for ImageNet weights, fetch the
    application's "notop" file once, by hand, and pass its path.

    Args:
        name: an architecture of `ARCHITECTURES` (case, `-` and `_` ignored, so
            `"ResNet50V2"` and `"efficientnet_v2_b0"` work), or the path to a saved
            `.keras` model of the user's that takes 0-255 images and returns feature
            maps `(batch, h, w, c)` or vectors `(batch, d)`; it becomes the base as it
            is (a saved `MarginModel` gives its backbone).
        input_shape: `(height, width, channels)` of the images, whole numbers; for the
            applications height and width >= 32 and 1 or 3 channels.
        embedding_dim: size of the output embedding, >= 1.
        weights: None (random initialisation) or the path to a local weights file of
            the application without its top (`include_top=False`): a Keras
            `.weights.h5` file (`base.save_weights`) or the legacy `.h5` files that
            keras.applications publishes. Not for a `.keras` path, which carries its
            own weights.
        batch_norm_momentum: momentum of the embedding's batch normalisation (default
            0.9, as in `small_cnn`; the base keeps the application's own).
        embedding_batch_norm: end with the batch normalisation of the embedding
            (default), as in `small_cnn`.

    Returns:
        A functional `keras.Model` from images to embeddings (no activation).

    Example:

    >>> import keras_margin as km
    >>> model = km.models.backbone("mobilenetv3small", input_shape=(64, 64, 3), embedding_dim=128)
    >>> model.output_shape
    (None, 128)

    References:
        - He, Zhang, Ren, Sun. "Identity Mappings in Deep Residual Networks", ECCV 2016
          (ResNet V2). https://arxiv.org/abs/1603.05027
        - Howard et al. "Searching for MobileNetV3", ICCV 2019.
          https://arxiv.org/abs/1905.02244
        - Tan, Le. "EfficientNetV2: Smaller Models and Faster Training", ICML 2021.
          https://arxiv.org/abs/2104.00298
    """
    embedding_dim = validation.integer_at_least(embedding_dim, 1, "embedding_dim")
    input_shape = _checked_input_shape(input_shape)
    if not isinstance(embedding_batch_norm, bool):
        raise ValueError(f"`embedding_batch_norm` must be True or False; received {embedding_batch_norm!r}.")
    momentum = validation.number_in_range(batch_norm_momentum, "batch_norm_momentum", 0.0, 1.0)
    key = _architecture_key(name)

    inputs = keras.Input(shape=input_shape, name="images")
    if key is not None:
        base, x = _application(key, input_shape, weights, inputs)
        model_name = key
    else:
        base, x = _saved_base(name, input_shape, weights, inputs)
        model_name = "backbone"
    x = base(x)
    if len(x.shape) == 4:
        x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dense(embedding_dim, use_bias=False, name="embedding")(x)
    outputs = x
    if embedding_batch_norm:
        outputs = layers.BatchNormalization(momentum=momentum, name="embedding_bn")(x)
    return keras.Model(inputs, outputs, name=model_name)


def _architecture_key(name):
    """The `_APPLICATIONS` key of `name`, or None when `name` is a `.keras` path."""
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    if not isinstance(name, str) or not name:
        raise ValueError(f"`name` must be an architecture name or a path to a .keras model; received {name!r}.")
    key = name.lower().replace("-", "").replace("_", "")
    if key in _APPLICATIONS:
        return key
    if name.endswith(".keras"):
        return None
    raise ValueError(
        f"Unknown `name` {name!r}: not an architecture ({', '.join(ARCHITECTURES)}) nor a path to "
        "a saved .keras model."
    )


def _checked_input_shape(input_shape):
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    if (shape is None or len(shape) != 3 or
            any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in shape)):
        raise ValueError(
            f"`input_shape` must be (height, width, channels), whole numbers >= 1; received {input_shape!r}."
        )
    return shape


def _application(key, input_shape, weights, inputs):
    """The application's base (weights loaded) and the tensor that goes into it."""
    height, width, channels = input_shape
    if height < MIN_IMAGE_SIZE or width < MIN_IMAGE_SIZE:
        raise ValueError(
            f"`input_shape` {input_shape} is too small for {key}: height and width must be at least "
            f"{MIN_IMAGE_SIZE}; resize the images (e.g. `keras-margin train --image-size`)."
        )
    if channels not in (1, 3):
        raise ValueError(f"`input_shape` must have 1 or 3 channels for {key}; received {input_shape}.")
    path = _checked_weights(weights)
    constructor, preprocessing = _APPLICATIONS[key]
    options = dict(include_top=False, weights=None, input_shape=(height, width, 3))
    if preprocessing == "inside":
        options["include_preprocessing"] = True
    base = getattr(keras.applications, constructor)(**options)
    base.name = BASE_LAYER
    if path is not None:
        _load_weights(base, path, key)

    x = inputs
    if channels == 1:
        # The ImageNet filters expect three channels; a grey pixel is (v, v, v) in RGB.
        x = layers.Concatenate(axis=-1, name="grayscale_to_rgb")([x, x, x])
    if preprocessing == "minus_one_to_one":
        x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="preprocess")(x)
    return base, x


def _checked_weights(weights):
    if weights is None:
        return None
    if isinstance(weights, os.PathLike):
        weights = os.fspath(weights)
    if not isinstance(weights, str):
        raise ValueError(f"`weights` must be None or the path to a local weights file; received {weights!r}.")
    if weights == "imagenet":
        raise ValueError(
            "`weights='imagenet'` would download; keras_margin never downloads. Save the application's "
            "no-top weights file locally and pass its path as `weights`."
        )
    if not os.path.isfile(weights):
        raise ValueError(f"`weights` file {weights!r} does not exist (it must be a local weights file).")
    return weights


def _load_weights(base, path, key):
    # Keras refuses a file whose variables do not match the network (another
    # architecture, another width), but for parts of the network missing from the file
    # it only warns and keeps their random weights: both are a bad `weights`, reported
    # in one sentence instead of a page of warnings.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            base.load_weights(path)
            error = None
        except Exception as raised:  # noqa: BLE001 - h5py, OSError and ValueError all mean "wrong file"
            error = raised
    skipped = [str(w.message) for w in caught
               if issubclass(w.category, UserWarning) and "freshly-initialized" in str(w.message)]
    for warning in caught:  # the others are not ours to swallow
        if str(warning.message) not in skipped:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    if error is None and not skipped:
        return
    reason = f"{type(error).__name__}: {error}" if error is not None else (
        f"{len(skipped)} parts of the network are not in the file, e.g. {skipped[0]}")
    raise ValueError(
        f"`weights` file {path!r} could not be loaded into {key} (include_top=False): "
        f"{' '.join(reason.split())[:300]}"
    )


def _saved_base(path, input_shape, weights, inputs):
    """A saved model as the base (a `MarginModel` gives its backbone) and its input tensor."""
    path = os.fspath(path)
    if weights is not None:
        raise ValueError("`weights` must be None with a .keras `name`: the saved model carries its weights.")
    if not os.path.isfile(path):
        raise ValueError(f"`name` {path!r} is not an architecture and no such .keras file exists.")
    try:
        base = keras.saving.load_model(path, compile=False)
    except Exception as error:  # noqa: BLE001 - any failure to read it is a bad `name`
        raise ValueError(
            f"`name` {path!r} could not be loaded as a Keras model: {type(error).__name__}: "
            f"{' '.join(str(error).split())[:300]}"
        ) from None
    base = getattr(base, "backbone", base)  # a saved MarginModel: its backbone
    if not isinstance(base, keras.Model) or len(base.inputs) != 1 or len(base.outputs) != 1:
        raise ValueError(f"`name` {path!r} must hold a Keras model with one input and one output.")
    expected = tuple(base.inputs[0].shape[1:])
    x = inputs
    if len(expected) == 3 and expected[-1] == 3 and input_shape[-1] == 1:
        x = layers.Concatenate(axis=-1, name="grayscale_to_rgb")([x, x, x])
        input_shape = input_shape[:-1] + (3,)
    if len(expected) != 3 or any(e is not None and e != d for e, d in zip(expected, input_shape)):
        raise ValueError(f"`input_shape` {tuple(inputs.shape[1:])} does not fit the saved model {path!r}, "
                         f"which takes images of shape {expected}.")
    if len(base.outputs[0].shape) not in (2, 4):
        raise ValueError(f"`name` {path!r} must output feature maps (batch, h, w, c) or vectors (batch, d); "
                         f"it outputs shape {tuple(base.outputs[0].shape)}.")
    base.name = BASE_LAYER
    return base, x

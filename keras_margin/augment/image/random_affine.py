"""`RandomAffine`: random rotation, translation, zoom and shear in one resample.

The layer composes the four geometric transformations of each image into one affine
matrix and resamples the image once. It is an `AugmentationLayer` like every other
random layer here: its draws are stateless functions of a per-call seed (see
`keras_margin.augment.seeded_map`), so it is reproducible under AUTOTUNE. The matrix
code (`affine_matrices`) is written against the NumPy-like API that `keras.ops` and
TensorFlow share, so it runs on any backend; the layer itself resamples with
TensorFlow, which `tf.data` always runs.
"""

import math

import keras
import tensorflow as tf

from keras_margin.augment.image import _layer
from keras_margin.utils import validation

FILL_MODES = ("constant", "reflect", "wrap", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")

# Bounds of the ranges, in the layer's units: degrees, fractions and scale factors.
_MAX_ROTATION = 360.0
_MAX_TRANSLATION = 1.0
# tan(45°) x tan(45°) = 1 would make the shear matrix singular; stay below it.
_MAX_SHEAR = 45.0

# Columns of the (batch, 6) uniform draw, in this order.
_PARAMETERS = ("rotation", "zoom", "shear_x", "shear_y", "translate_x", "translate_y")


def affine_matrices(height, width, rotation, zoom, shear_x, shear_y, translate_x,
                    translate_y, ops=keras.ops):
    """The output-to-input maps, (batch, 8), of `RandomAffine`'s forward transformations.

    Each parameter is a float32 tensor of shape (batch,), in `RandomAffine`'s units
    (degrees; scale factor; fractions of width and height). The rows are the first
    eight entries of the 3x3 matrix that maps an output pixel to the input point it
    samples, the form `keras.ops.image.affine_transform` takes.

    Args:
        height, width: the image size in pixels (numbers or scalar tensors).
        ops: the array namespace: `keras.ops` (default, any backend) or `tensorflow`
            (inside `tf.data`, whatever the Keras backend is); the code uses only the
            functions they share.
    """
    to_radians = math.pi / 180.0
    theta = rotation * to_radians
    cos, sin = ops.cos(theta), ops.sin(theta)
    kx = ops.tan(shear_x * to_radians)
    ky = ops.tan(shear_y * to_radians)
    scale = zoom
    # Forward linear part A = R @ S @ (scale I), with the counter-clockwise (as
    # displayed, y pointing down) rotation R = [[cos, sin], [-sin, cos]] and the
    # shear S = [[1, kx], [ky, 1]].
    a = scale * (cos + sin * ky)
    b = scale * (cos * kx + sin)
    c = scale * (cos * ky - sin)
    d = scale * (cos - sin * kx)
    determinant = a * d - b * c  # = scale**2 * (1 - kx * ky) > 0
    inv_a, inv_b = d / determinant, -b / determinant
    inv_c, inv_d = -c / determinant, a / determinant
    width = ops.cast(width, "float32")
    height = ops.cast(height, "float32")
    center_x = (width - 1.0) / 2.0
    center_y = (height - 1.0) / 2.0
    # q = center + A (p - center) + t  <=>  p = A^-1 q + center - A^-1 (center + t).
    shifted_x = center_x + translate_x * width
    shifted_y = center_y + translate_y * height
    offset_x = center_x - (inv_a * shifted_x + inv_b * shifted_y)
    offset_y = center_y - (inv_c * shifted_x + inv_d * shifted_y)
    zeros = ops.zeros_like(theta)
    return ops.stack([inv_a, inv_b, offset_x, inv_c, inv_d, offset_y, zeros, zeros], axis=1)


@keras.saving.register_keras_serializable(package="keras_margin")
class RandomAffine(_layer.AugmentationLayer):
    """Random rotation, translation, zoom and shear, applied with one resample.

    For every image, the layer draws a rotation angle, a horizontal and a vertical
    translation, a zoom factor and a horizontal and a vertical shear angle, each
    uniformly from its range; composes them into one affine transformation about the
    image centre; and resamples the image once. With `training=False` it returns its
    input unchanged (cast to the layer's compute dtype).

    The transformation moves an input point `p` to the output point

        q = c + R(rotation) @ S(shear_x, shear_y) @ (zoom * (p - c)) + t

    where `c` is the image centre, `R` a counter-clockwise rotation (as the image is
    displayed, row 0 at the top), `S = [[1, tan(shear_x)], [tan(shear_y), 1]]` in
    (x = column, y = row) coordinates, and `t = (translate_x * width,
    translate_y * height)` pixels. Pixel centres sit at integer coordinates and the
    centre is `((width - 1) / 2, (height - 1) / 2)`, so a rotation by 90° of a square
    image is `np.rot90` exactly.

    Why one resample matters: each resampling with bilinear interpolation averages
    neighbouring pixels, a blur. Chaining `RandomRotation`, `RandomTranslation`,
    `RandomZoom` and `RandomShear` blurs the image three or four times, which on small
    images such as 28x28 digits smears two-pixel strokes into grey bands; and every
    layer fills its own border, so with `fill_mode="reflect"` the later layers reflect
    the fill of the earlier ones. Composing the matrices first and resampling once
    blurs once, fills once, and costs one resampling instead of several.

    Input shape:
        3D (unbatched) or 4D (batched) tensor, `(..., height, width, channels)` with
        `data_format="channels_last"` or `(..., channels, height, width)` with
        `"channels_first"`. Any value range, integer or float dtype.

    Output shape:
        Same as the input; the layer's compute dtype (float32 by default).

    Args:
        rotation: the rotation angle in degrees, positive counter-clockwise. A pair
            `(low, high)` draws from U(low, high); a number `r >= 0` means `(-r, r)`.
            Within [-360, 360]. Default 0: no rotation.
        translation: the shift, as a fraction of the height (vertical shift, positive
            down) and of the width (horizontal shift, positive right); the two are drawn
            independently from the same range. A pair `(low, high)` within [-1, 1], or
            a number `f` in [0, 1] meaning `(-f, f)`. Default 0: no shift.
        zoom: the scale factor applied to the image content about the centre, the
            same on both axes; 1 is the identity, above 1 enlarges (zooms in). A pair
            `(low, high)` with `0 < low <= high`, or a number `z` in [0, 1) meaning
            `(1 - z, 1 + z)`. Default 0, i.e. `(1, 1)`: no zoom.
        shear: the shear angle in degrees; a horizontal and a vertical shear are drawn
            independently from this range. A pair `(low, high)` within (-45, 45), or a
            number `s` in [0, 45) meaning `(-s, s)`. Default 0: no shear.
        fill_mode: how points outside the input are filled: `"constant"` (default:
            `fill_value`), `"reflect"` (`d c b a | a b c d | d c b a`), `"wrap"`
            (`a b c d | a b c d | a b c d`) or `"nearest"` (`a a a a | a b c d | d d d d`).
            `"constant"` with 0 is a black background, right for digits and characters
            on black; `"reflect"` invents no value and often suits natural photos, but
            on sparse images it copies strokes near the border into the image.
        fill_value: the value for `fill_mode="constant"`, a finite number (default 0).
        interpolation: `"bilinear"` (default) or `"nearest"`.
        seed: an integer >= 0 or None. `layer(x, seed=s)` is a pure function of `x`,
            `s` and `seed` (`seeded_map` passes `s`: reproducible under AUTOTUNE);
            called without `s`, a seeded layer draws the same sequence of
            transformations on every run when called sequentially (e.g.
            `dataset.map(layer)` without `num_parallel_calls`).
        data_format: `"channels_last"` or `"channels_first"`; defaults to Keras'
            `image_data_format()`.
        **kwargs: base layer arguments such as `name` and `dtype`.

    Raises:
        ValueError: naming the argument, for a range that is not a number or a
            `(low, high)` pair within its bounds, an unknown `fill_mode`,
            `interpolation` or `data_format`, a non-finite `fill_value` or a negative or
            non-integer `seed`.

    Example:

    >>> import numpy as np, tensorflow as tf
    >>> from keras_margin.augment.image import RandomAffine
    >>> layer = RandomAffine(rotation=10, translation=0.1, zoom=0.1, seed=0)
    >>> images = np.random.uniform(0, 255, (8, 28, 28, 1)).astype("float32")
    >>> tuple(layer(images).shape)
    (8, 28, 28, 1)
    >>> np.array_equal(layer(images, training=False), images)
    True
    >>> dataset = tf.data.Dataset.from_tensor_slices(images).batch(4)
    >>> dataset = dataset.map(layer, num_parallel_calls=tf.data.AUTOTUNE)
    >>> [tuple(x.shape) for x in dataset]
    [(4, 28, 28, 1), (4, 28, 28, 1)]

    To apply a known transformation (for a test, or test-time augmentation), build it
    with `transformation_from_parameters` and pass it to `transform_images`.
    """

    def __init__(
        self,
        rotation=0.0,
        translation=0.0,
        zoom=0.0,
        shear=0.0,
        fill_mode="constant",
        fill_value=0.0,
        interpolation="bilinear",
        seed=None,
        data_format=None,
        **kwargs,
    ):
        # Check everything before the base class does anything with the arguments.
        rotation = _symmetric_range(
            rotation, "rotation", -_MAX_ROTATION, _MAX_ROTATION, "degrees"
        )
        translation = _symmetric_range(
            translation, "translation", -_MAX_TRANSLATION, _MAX_TRANSLATION, "fractions"
        )
        zoom = _zoom_range(zoom)
        shear = _symmetric_range(
            shear, "shear", -_MAX_SHEAR, _MAX_SHEAR, "degrees", open_bounds=True
        )
        fill_mode = _choice(fill_mode, FILL_MODES, "fill_mode")
        interpolation = _choice(interpolation, INTERPOLATIONS, "interpolation")
        fill_value = validation.number_in_range(fill_value, "fill_value")
        if data_format is not None and (
            not isinstance(data_format, str)
            or data_format.lower() not in ("channels_last", "channels_first")
        ):
            raise ValueError(
                "`data_format` must be 'channels_last', 'channels_first' or None; "
                f"received {data_format!r}."
            )
        super().__init__(seed=seed, **kwargs)
        self.data_format = (data_format or keras.config.image_data_format()).lower()
        self.rotation = rotation
        self.translation = translation
        self.zoom = zoom
        self.shear = shear
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation

    def augment(self, inputs, seed):
        images = self._as_compute_dtype(_layer.images_of(inputs))
        transformation = self.get_random_transformation(images, seed=seed)
        return _layer.with_images(inputs, self.transform_images(images, transformation))

    def inference(self, inputs):
        # As Keras' image layers: the compute dtype also when not augmenting, so that
        # the output dtype does not depend on the training flag.
        return _layer.with_images(inputs, self._as_compute_dtype(_layer.images_of(inputs)))

    def get_random_transformation(self, data, training=True, seed=None):
        """Draws one transformation per image; None when not training.

        Args:
            data: images, (batch, ...) or one image, or a dict with `"images"`.
            training: False returns None.
            seed: a (2,) integer seed tensor, already this layer's (`layer_seed`);
                None draws one from the layer's generator.

        Returns:
            A dict of float32 tensors of shape (batch,): `"rotation"` and `"shear_x"`,
            `"shear_y"` in degrees, `"zoom"`, `"translate_x"` and `"translate_y"` as
            fractions of width and height; and `"matrix"`, the (batch, 8)
            output-to-input transforms (`affine_matrices`). An unbatched input gets a
            batch of one.
        """
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        batch_size, height, width = self._batch_height_width(images)
        if seed is None:
            seed = self.layer_seed()
        ranges = {
            "rotation": self.rotation,
            "zoom": self.zoom,
            "shear_x": self.shear,
            "shear_y": self.shear,
            "translate_x": self.translation,
            "translate_y": self.translation,
        }
        low = tf.constant([ranges[p][0] for p in _PARAMETERS], tf.float32)
        high = tf.constant([ranges[p][1] for p in _PARAMETERS], tf.float32)
        # One draw for all six parameters, one row per image.
        uniform = tf.random.stateless_uniform((batch_size, len(_PARAMETERS)), seed)
        values = low + uniform * (high - low)
        parameters = {name: values[:, i] for i, name in enumerate(_PARAMETERS)}
        return self.transformation_from_parameters(height=height, width=width, **parameters)

    def transformation_from_parameters(
        self,
        height,
        width,
        rotation=0.0,
        zoom=1.0,
        shear_x=0.0,
        shear_y=0.0,
        translate_x=0.0,
        translate_y=0.0,
    ):
        """Builds the transformation dict for given, not random, parameters.

        `transform_images(images, transformation)` then applies exactly this
        transformation; `get_random_transformation` builds its result the same way.

        Args:
            height, width: the image size in pixels.
            rotation: degrees, counter-clockwise.
            zoom: scale factor of the content (1 is the identity).
            shear_x, shear_y: shear angles in degrees.
            translate_x, translate_y: shift as a fraction of width (positive right) and
                of height (positive down).
            Each parameter is a number or a tensor of shape (batch,); numbers are
            broadcast to the batch.

        Returns:
            The dict described in `get_random_transformation`.
        """
        parameters = {
            "rotation": rotation,
            "zoom": zoom,
            "shear_x": shear_x,
            "shear_y": shear_y,
            "translate_x": translate_x,
            "translate_y": translate_y,
        }
        parameters = {
            name: tf.reshape(tf.cast(tf.convert_to_tensor(value), tf.float32), (-1,))
            for name, value in parameters.items()
        }
        # Broadcast every parameter to the batch size (numbers become (batch,) tensors).
        zeros = tf.zeros_like(sum(parameters.values()))
        parameters = {name: value + zeros for name, value in parameters.items()}
        parameters["matrix"] = affine_matrices(height, width, ops=tf, **parameters)
        return parameters

    def transform_images(self, images, transformation, training=True):
        """Resamples `images` (one or a batch) with `transformation`, once.

        Returns the images in the layer's compute dtype; unchanged (cast) when
        `transformation` is None or `training` is False.
        """
        images = self._as_compute_dtype(images)
        if transformation is None or not training:
            return images
        batch, unbatch = _layer.as_batch(images) if self.data_format == "channels_last" else (
            _as_batch_first(images)
        )
        if self.data_format == "channels_first":
            batch = tf.transpose(batch, (0, 2, 3, 1))
        out = tf.raw_ops.ImageProjectiveTransformV3(
            images=batch,
            transforms=tf.cast(transformation["matrix"], tf.float32),
            output_shape=tf.shape(batch)[1:-1],
            fill_value=tf.cast(self.fill_value, tf.float32),
            interpolation=self.interpolation.upper(),
            fill_mode=self.fill_mode.upper(),
        )
        out = tf.ensure_shape(out, batch.shape)
        if self.data_format == "channels_first":
            out = tf.transpose(out, (0, 3, 1, 2))
        return unbatch(out)

    def _as_compute_dtype(self, images):
        if not tf.is_tensor(images) and keras.backend.backend() != "tensorflow":
            # Inference inside a model on another backend (JAX, torch): its own arrays.
            return keras.ops.cast(images, self.compute_dtype)
        images = tf.convert_to_tensor(images)
        dtype = tf.as_dtype(self.compute_dtype)
        return images if images.dtype == dtype else tf.cast(images, dtype)

    def _batch_height_width(self, images):
        images = tf.convert_to_tensor(images)
        rank = images.shape.rank
        if rank not in (3, 4):
            raise ValueError(
                "RandomAffine expects images of rank 3 (one image) or 4 (a batch); "
                f"received shape {images.shape}."
            )
        shape = tf.shape(images)
        batch_size = shape[0] if rank == 4 else 1
        spatial = shape[-3:-1] if self.data_format == "channels_last" else shape[-2:]
        return batch_size, spatial[0], spatial[1]

    def compute_output_spec(self, inputs, *args, **kwargs):
        return tf.nest.map_structure(
            lambda x: keras.KerasTensor(x.shape, self.compute_dtype), inputs
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "rotation": self.rotation,
                "translation": self.translation,
                "zoom": self.zoom,
                "shear": self.shear,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "interpolation": self.interpolation,
                "seed": self.seed,
                "data_format": self.data_format,
            }
        )
        return config


def _as_batch_first(images):
    """`as_batch` for channels-first images (any rank-3 image is one image)."""
    if images.shape.rank == 3:
        return images[None], lambda x: x[0]
    return images, lambda x: x


def _symmetric_range(value, name, low_bound, high_bound, units, open_bounds=False):
    """A number `r >= 0` -> (-r, r); a pair (low, high) -> itself; both checked."""
    inside = "(" if open_bounds else "["
    outside = ")" if open_bounds else "]"
    message = (
        f"`{name}` must be a number r >= 0 (meaning the range (-r, r)) or a pair "
        f"(low, high) with low <= high, in {units} within "
        f"{inside}{low_bound:g}, {high_bound:g}{outside}; received {value!r}."
    )
    if validation.is_finite_number(value):
        if value < 0:
            raise ValueError(message)
        pair = (-float(value), float(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
        validation.is_finite_number(v) for v in value
    ):
        pair = (float(value[0]), float(value[1]))
    else:
        raise ValueError(message)
    low, high = pair
    if open_bounds:
        within = low_bound < low and high < high_bound
    else:
        within = low_bound <= low and high <= high_bound
    if not (within and low <= high):
        raise ValueError(message)
    return pair


def _zoom_range(value):
    message = (
        "`zoom` must be a number z in [0, 1) (meaning the scale range (1 - z, 1 + z)) "
        "or a pair (low, high) of scale factors with 0 < low <= high, where 1 is the "
        f"identity and above 1 enlarges; received {value!r}."
    )
    if validation.is_finite_number(value):
        if not 0 <= value < 1:
            raise ValueError(message)
        return (1.0 - float(value), 1.0 + float(value))
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
        validation.is_finite_number(v) for v in value
    ):
        low, high = float(value[0]), float(value[1])
        if 0 < low <= high:
            return (low, high)
    raise ValueError(message)


def _choice(value, choices, name):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"`{name}` must be one of {', '.join(repr(c) for c in choices)}; "
            f"received {value!r}."
        )
    return value

"""Tests for `keras_margin.augment.image.random_affine.RandomAffine`.

The geometry is checked against an independent reference: the forward transformation is
built as a product of elementary 3x3 matrices, inverted with `np.linalg.inv`, and applied
with `scipy.ndimage.affine_transform`.
"""

import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from scipy import ndimage  # noqa: E402

from keras_margin.augment import image  # noqa: E402
from keras_margin.augment.image.random_affine import RandomAffine  # noqa: E402

# float32 resampling of values in [0, 255]: coordinates are exact to ~1e-6 pixels.
ATOL = 1e-2
PARAMETERS = ("rotation", "zoom", "shear_x", "shear_y", "translate_x", "translate_y")


def asymmetric_images(shape, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


def apply(layer, images, **parameters):
    """Applies the given, not random, transformation with the layer."""
    height, width = images.shape[1:3]
    transformation = layer.transformation_from_parameters(height, width, **parameters)
    return np.asarray(layer.transform_images(images, transformation, training=True))


def reference(image_2d, fill_mode, rotation=0.0, zoom=1.0, shear_x=0.0, shear_y=0.0,
              translate_x=0.0, translate_y=0.0):
    """The documented forward map, inverted numerically and applied by SciPy."""
    height, width = image_2d.shape
    cx, cy = (width - 1) / 2, (height - 1) / 2

    def shift(dx, dy):
        return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])

    theta = math.radians(rotation)
    # Counter-clockwise as displayed: x to the right, y (rows) pointing down.
    rotate = np.array([[math.cos(theta), math.sin(theta), 0.0],
                       [-math.sin(theta), math.cos(theta), 0.0],
                       [0.0, 0.0, 1.0]])
    shear = np.array([[1.0, math.tan(math.radians(shear_x)), 0.0],
                      [math.tan(math.radians(shear_y)), 1.0, 0.0],
                      [0.0, 0.0, 1.0]])
    scale = np.diag([zoom, zoom, 1.0])
    forward = (shift(cx + translate_x * width, cy + translate_y * height)
               @ rotate @ shear @ scale @ shift(-cx, -cy))
    backward = np.linalg.inv(forward)  # output (x, y) -> input (x, y)
    swap = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    backward = swap @ backward @ swap  # in SciPy's (row, column) order
    # TensorFlow's bilinear "constant" interpolates against the fill value beyond the
    # edge, like SciPy's "grid-constant"; its "reflect" is SciPy's "reflect".
    mode = {"constant": "grid-constant", "reflect": "reflect", "nearest": "nearest"}
    return ndimage.affine_transform(
        image_2d.astype("float64"), backward[:2, :2], offset=backward[:2, 2], order=1,
        mode=mode[fill_mode], cval=0.0,
    )


# ---------------------------------------------------------------- exact geometry


@pytest.mark.parametrize("channels", [1, 3])
def test_quarter_turns_are_rot90(channels):
    images = asymmetric_images((2, 9, 9, channels))
    layer = RandomAffine()
    for degrees, k in [(90.0, 1), (-90.0, -1), (180.0, 2), (270.0, 3)]:
        out = apply(layer, images, rotation=degrees)
        np.testing.assert_allclose(out, np.rot90(images, k=k, axes=(1, 2)), atol=ATOL)


def test_translation_by_two_pixels_shifts_by_two_pixels():
    images = asymmetric_images((1, 28, 28, 1))
    layer = RandomAffine()
    right = apply(layer, images, translate_x=2 / 28)
    np.testing.assert_allclose(right[:, :, 2:], images[:, :, :-2], atol=ATOL)
    np.testing.assert_allclose(right[:, :, :2], 0.0, atol=ATOL)  # constant fill, 0
    up = apply(layer, images, translate_y=-2 / 28)
    np.testing.assert_allclose(up[:, :-2], images[:, 2:], atol=ATOL)
    np.testing.assert_allclose(up[:, -2:], 0.0, atol=ATOL)


def test_identity_parameters_give_the_input():
    images = asymmetric_images((2, 28, 28, 3))
    np.testing.assert_allclose(apply(RandomAffine(), images), images, atol=1e-3)
    # A layer whose ranges are all zero is the identity in training too.
    np.testing.assert_allclose(RandomAffine(seed=0)(images, training=True), images, atol=1e-3)
    np.testing.assert_allclose(
        RandomAffine(zoom=(1.0, 1.0), rotation=(0.0, 0.0))(images), images, atol=1e-3
    )


@pytest.mark.parametrize("fill_mode", ["constant", "reflect", "nearest"])
def test_matches_scipy_reference_for_composed_transformations(fill_mode):
    # A non-square image and one different combination per image in the batch.
    images = asymmetric_images((4, 20, 27, 1))
    parameters = {
        "rotation": np.array([30.0, -12.0, 0.0, 170.0]),
        "zoom": np.array([1.2, 0.8, 1.0, 1.05]),
        "shear_x": np.array([10.0, 0.0, -20.0, 5.0]),
        "shear_y": np.array([0.0, 15.0, 5.0, -7.0]),
        "translate_x": np.array([0.1, -0.2, 0.05, 0.0]),
        "translate_y": np.array([-0.15, 0.0, 0.2, 0.1]),
    }
    out = apply(RandomAffine(fill_mode=fill_mode), images, **parameters)
    for i in range(len(images)):
        expected = reference(
            images[i, :, :, 0], fill_mode, **{k: v[i] for k, v in parameters.items()}
        )
        np.testing.assert_allclose(out[i, :, :, 0], expected, atol=ATOL)


def test_random_transformations_match_the_reference_too():
    images = asymmetric_images((6, 16, 16, 1))
    layer = RandomAffine(rotation=30, translation=0.2, zoom=0.3, shear=20, seed=5)
    transformation = layer.get_random_transformation(images)
    out = np.asarray(layer.transform_images(images, transformation))
    for i in range(len(images)):
        drawn = {name: float(transformation[name][i]) for name in PARAMETERS}
        np.testing.assert_allclose(
            out[i, :, :, 0], reference(images[i, :, :, 0], "constant", **drawn), atol=ATOL
        )


def test_channels_first_matches_channels_last():
    images = asymmetric_images((2, 12, 15, 3))
    parameters = {"rotation": 20.0, "zoom": 1.1, "shear_x": 5.0, "translate_y": 0.1}
    last = apply(RandomAffine(data_format="channels_last"), images, **parameters)
    first_layer = RandomAffine(data_format="channels_first")
    first = first_layer.transform_images(
        np.transpose(images, (0, 3, 1, 2)),
        first_layer.transformation_from_parameters(12, 15, **parameters),
    )
    np.testing.assert_allclose(np.transpose(first, (0, 2, 3, 1)), last, atol=ATOL)
    # Random draws read the height and width from the right axes.
    random_first = RandomAffine(rotation=10, data_format="channels_first", seed=0)
    assert random_first(np.transpose(images, (0, 3, 1, 2))).shape == (2, 3, 12, 15)


def test_constant_fill_adds_no_ink_at_the_border(digits):
    # Reflecting copies strokes that touch the border back into the image; the constant
    # (black) fill leaves the uncovered band empty.
    images, _ = digits
    stroke = np.zeros((1, 28, 28, 1), "float32")
    stroke[0, 5:20, 0:3] = 255.0  # a vertical stroke touching the left edge
    images = np.concatenate([images[:3], stroke])
    constant = apply(RandomAffine(fill_mode="constant"), images, translate_x=4 / 28)
    assert constant[:, :, :4].max() < ATOL
    reflect = apply(RandomAffine(fill_mode="reflect"), images, translate_x=4 / 28)
    assert reflect[-1, :, :4].max() > 200.0


# ---------------------------------------------------------------- layer behaviour


def test_training_false_is_exactly_the_identity(digits):
    images, _ = digits
    layer = RandomAffine(rotation=30, translation=0.2, zoom=0.2, shear=10, seed=0)
    out = layer(images, training=False)
    assert out.dtype == "float32"
    np.testing.assert_array_equal(np.asarray(out), images)
    # Integer images come back as float32 with the same values.
    out = layer(images.astype("uint8"), training=False)
    assert out.dtype == "float32"
    np.testing.assert_array_equal(np.asarray(out), images.astype("uint8"))
    # Inside a model, predict() runs in inference mode.
    model = keras.Sequential([keras.Input((28, 28, 1)), layer])
    np.testing.assert_array_equal(model.predict(images, verbose=0), images)


def test_parameters_are_drawn_per_image(digits):
    images, _ = digits
    layer = RandomAffine(rotation=10, translation=0.1, zoom=0.1, shear=5, seed=0)
    same = np.repeat(images[:1], 8, axis=0)
    transformation = layer.get_random_transformation(same)
    for name in PARAMETERS:
        values = np.asarray(transformation[name])
        assert values.shape == (8,)
        assert len(np.unique(values)) == 8, name
    # Ranges are respected.
    assert np.abs(np.asarray(transformation["rotation"])).max() <= 10.0
    assert np.abs(np.asarray(transformation["translate_x"])).max() <= 0.1
    zoom = np.asarray(transformation["zoom"])
    assert 0.9 <= zoom.min() and zoom.max() <= 1.1
    out = np.asarray(layer(same)).reshape(8, -1)
    distances = np.abs(out[:, None] - out[None]).max(axis=-1)
    assert (distances[~np.eye(8, dtype=bool)] > 1.0).all()


def test_unbatched_image():
    images = asymmetric_images((28, 28, 1))
    out = RandomAffine(rotation=10, seed=0)(images)
    assert out.shape == (28, 28, 1)
    assert not np.allclose(out, images)


@pytest.mark.parametrize("fixture", ["digits", "rgb32"])
def test_runs_in_tf_data_with_autotune(fixture, request):
    images, labels = request.getfixturevalue(fixture)
    layer = RandomAffine(rotation=10, translation=0.1, zoom=0.1, shear=8.5, seed=0)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
    dataset = dataset.map(
        lambda x, y: (layer(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE
    )
    outputs = [(x.numpy(), y.numpy()) for x, y in dataset]
    assert len(outputs) == len(images) // 4
    for i, (x, y) in enumerate(outputs):
        x_in = images[4 * i : 4 * i + 4]
        assert x.shape == x_in.shape and x.dtype == np.float32
        assert np.isfinite(x).all() and x.min() >= 0.0 and x.max() <= 255.0 + 1e-3
        assert (np.abs(x - x_in).max(axis=(1, 2, 3)) > 1.0).all()
        np.testing.assert_array_equal(y, labels[4 * i : 4 * i + 4])
    # Mapped directly, on images alone, as Keras' own layers allow.
    direct = tf.data.Dataset.from_tensor_slices(images).batch(8).map(layer)
    assert [x.shape for x in direct] == [(8,) + images.shape[1:]] * 2


def test_seed_makes_a_sequential_map_reproducible(digits):
    images, _ = digits

    def run(seed):
        layer = RandomAffine(rotation=10, translation=0.1, zoom=0.1, seed=seed)
        dataset = tf.data.Dataset.from_tensor_slices(images).batch(4).map(layer)
        first = np.stack([x.numpy() for x in dataset])
        second = np.stack([x.numpy() for x in dataset])  # the next epoch
        return first, second

    first, second = run(3)
    again, _ = run(3)
    other, _ = run(4)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert not np.array_equal(first, second)  # the random stream continues
    # Different batches within one pass get different transformations.
    assert not np.allclose(first[0], first[1])


def test_one_resample_is_sharper_than_chained_keras_layers(digits):
    # The same distribution of transformations, applied as one RandomAffine and as
    # Keras' RandomRotation -> RandomTranslation -> RandomZoom, all filling with 0.
    images, _ = digits
    images = np.concatenate([images] * 4)

    def sharpness(x):
        x = np.asarray(x)
        ink = x.sum(axis=(1, 2, 3))
        return {
            # Ink-weighted mean intensity: blur spreads ink into dimmer pixels.
            "intensity": ((x**2).sum(axis=(1, 2, 3)) / ink).mean(),
            "bright_pixels": (x > 0.9 * 255).sum(axis=(1, 2, 3)).mean(),
        }

    for degrees, shift, zoom in [(5.0, 0.05, None), (10.0, 0.1, 0.1)]:
        one = RandomAffine(rotation=degrees, translation=shift, zoom=zoom or 0.0, seed=1)
        chain = [
            keras.layers.RandomRotation(degrees / 360, fill_mode="constant", seed=2),
            keras.layers.RandomTranslation(shift, shift, fill_mode="constant", seed=3),
        ]
        if zoom:
            chain.append(keras.layers.RandomZoom(zoom, fill_mode="constant", seed=4))
        chained = images
        for layer in chain:
            chained = layer(chained)
        sharp, blurred = sharpness(one(images)), sharpness(chained)
        assert sharp["intensity"] > 1.03 * blurred["intensity"], (degrees, sharp, blurred)
        assert sharp["bright_pixels"] > 1.2 * blurred["bright_pixels"], (degrees, sharp, blurred)


# ---------------------------------------------------------------- configuration


def test_config_round_trip():
    layer = RandomAffine(
        rotation=(-5, 15), translation=0.1, zoom=(0.8, 1.25), shear=7.5,
        fill_mode="reflect", fill_value=3.0, interpolation="nearest", seed=11,
        data_format="channels_last", name="affine",
    )
    config = layer.get_config()
    assert config["rotation"] == (-5.0, 15.0)
    assert config["translation"] == (-0.1, 0.1)
    assert config["zoom"] == (0.8, 1.25)
    assert config["shear"] == (-7.5, 7.5)
    restored = RandomAffine.from_config(config)
    assert restored.get_config() == config
    # Registered with Keras, so a saved model finds the class by name.
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"] == "keras_margin>RandomAffine"
    revived = keras.saving.deserialize_keras_object(serialized)
    assert isinstance(revived, RandomAffine) and revived.get_config() == config
    # And the same seed gives the same draws.
    images = asymmetric_images((4, 16, 16, 1))
    np.testing.assert_array_equal(layer(images), revived(images))


def test_number_ranges_are_symmetric():
    layer = RandomAffine(rotation=10, translation=0.1, zoom=0.2, shear=5)
    assert layer.rotation == (-10.0, 10.0)
    assert layer.translation == (-0.1, 0.1)
    assert layer.zoom == (0.8, 1.2)
    assert layer.shear == (-5.0, 5.0)
    defaults = RandomAffine()
    assert (defaults.rotation, defaults.translation, defaults.zoom, defaults.shear) == (
        (-0.0, 0.0), (-0.0, 0.0), (1.0, 1.0), (-0.0, 0.0)
    )
    assert defaults.fill_mode == "constant" and defaults.fill_value == 0.0
    assert defaults.interpolation == "bilinear"


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"rotation": -10}, "rotation"),
        ({"rotation": (10, -10)}, "rotation"),
        ({"rotation": (1, 2, 3)}, "rotation"),
        ({"rotation": "10"}, "rotation"),
        ({"rotation": True}, "rotation"),
        ({"rotation": 400}, "rotation"),
        ({"rotation": float("nan")}, "rotation"),
        ({"translation": 1.5}, "translation"),
        ({"translation": (-2, 0)}, "translation"),
        ({"translation": None}, "translation"),
        ({"zoom": 1.0}, "zoom"),
        ({"zoom": -0.1}, "zoom"),
        ({"zoom": (0.0, 1.0)}, "zoom"),
        ({"zoom": (1.2, 0.8)}, "zoom"),
        ({"zoom": (-0.1, 0.1)}, "zoom"),
        ({"shear": 45}, "shear"),
        ({"shear": (-50, 0)}, "shear"),
        ({"fill_mode": "mirror"}, "fill_mode"),
        ({"fill_mode": None}, "fill_mode"),
        ({"interpolation": "bicubic"}, "interpolation"),
        ({"fill_value": float("inf")}, "fill_value"),
        ({"fill_value": "0"}, "fill_value"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"data_format": "NHWC"}, "data_format"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        RandomAffine(**kwargs)


def test_exported_from_the_image_module():
    assert image.RandomAffine is RandomAffine
    assert "RandomAffine" in image.__all__


# ---------------------------------------------------------------- one randomness rule


def test_matrix_code_is_backend_free_and_matches_float64_numpy():
    from keras_margin.augment.image.random_affine import affine_matrices

    parameters = {
        "rotation": np.array([30.0, -12.0]), "zoom": np.array([1.2, 0.8]),
        "shear_x": np.array([10.0, 0.0]), "shear_y": np.array([0.0, 15.0]),
        "translate_x": np.array([0.1, -0.2]), "translate_y": np.array([-0.15, 0.0]),
    }
    as_float32 = {k: keras.ops.convert_to_tensor(v, "float32") for k, v in parameters.items()}
    with_keras = np.asarray(affine_matrices(20, 27, **as_float32))
    with_tf = affine_matrices(20, 27, ops=tf, **{k: tf.constant(v, tf.float32)
                                                 for k, v in parameters.items()}).numpy()
    np.testing.assert_allclose(with_keras, with_tf, rtol=1e-6, atol=1e-6)
    for i in range(2):
        # The documented forward map, as float64 3x3 matrices, inverted by NumPy.
        cx, cy = 13.0, 9.5
        theta = math.radians(parameters["rotation"][i])
        rotate = np.array([[math.cos(theta), math.sin(theta), 0], [-math.sin(theta), math.cos(theta), 0], [0, 0, 1]])
        shear = np.array([[1, math.tan(math.radians(parameters["shear_x"][i])), 0],
                          [math.tan(math.radians(parameters["shear_y"][i])), 1, 0], [0, 0, 1]])
        zoom = np.diag([parameters["zoom"][i]] * 2 + [1.0])
        to_centre = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]])
        back = np.array([[1, 0, cx + parameters["translate_x"][i] * 27],
                         [0, 1, cy + parameters["translate_y"][i] * 20], [0, 0, 1]])
        inverse = np.linalg.inv(back @ rotate @ shear @ zoom @ to_centre)
        np.testing.assert_allclose(with_tf[i, :6], inverse[:2].ravel(), atol=1e-5)


def test_seeded_call_is_a_pure_function_and_seeded_map_reproduces_it_under_autotune(digits):
    images, labels = digits
    layer = RandomAffine(rotation=10, translation=0.1, zoom=0.1, seed=3)
    seed = tf.constant([4, 5], tf.int64)
    np.testing.assert_array_equal(layer(images, seed=seed), RandomAffine.from_config(
        layer.get_config())(images, seed=seed))
    assert not np.array_equal(layer(images, seed=seed), layer(images, seed=seed + 1))

    def run():
        dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
        mapped = image.seeded_map(dataset, RandomAffine(rotation=10, translation=0.1, seed=3),
                                  seed=1, num_parallel_calls=tf.data.AUTOTUNE)
        return np.concatenate([x.numpy() for x, _ in mapped])

    first = run()
    np.testing.assert_array_equal(first, run())
    assert not np.allclose(first, images)

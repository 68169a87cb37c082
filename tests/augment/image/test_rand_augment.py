"""`RandAugment` and `TrivialAugment`: per-image operations, magnitudes, dtypes, inputs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_margin.augment import image
from keras_margin.augment.image import RandAugment
from keras_margin.augment.image import TrivialAugment
from keras_margin.augment.image import seeded_map

SEED = tf.constant([3, 4])


def textured(count=16, size=24, channels=3, seed=0):
    """Identical copies of one structured image (so any difference comes from the ops)."""
    rng = np.random.default_rng(seed)
    base = np.tile(np.linspace(10, 240, size), (size, 1))[..., None]
    base = base + rng.integers(-10, 10, (size, size, channels))
    base[5:12, 4:9] = 250
    base = np.clip(base, 0, 255).astype("uint8")
    return np.repeat(base[None], count, axis=0)


@pytest.mark.parametrize("layer_class", [RandAugment, TrivialAugment])
def test_identical_images_in_one_batch_get_their_own_operations(layer_class):
    images = textured(32)
    out = layer_class(seed=0)(images, seed=SEED).numpy()
    distinct = {image.tobytes() for image in out}
    # 14 operations (x 2 slots, or x 31 magnitudes): 32 copies cannot all agree.
    assert len(distinct) >= 8, len(distinct)


def test_only_the_listed_operations_run():
    images = textured(8)
    same = RandAugment(num_ops=3, ops=["identity"], seed=0)(images).numpy()
    np.testing.assert_array_equal(same, images)
    posterized = RandAugment(num_ops=1, magnitude=30, ops=["posterize"])(images).numpy()
    np.testing.assert_array_equal(posterized, images & 0xF0)  # 8 - 4 bits at full strength


def test_solarize_threshold_follows_the_magnitude():
    ramp = np.arange(256, dtype="uint8").reshape(1, 16, 16, 1)
    layer = RandAugment(num_ops=1, magnitude=9, ops=["solarize"], seed=0)
    out = layer(ramp).numpy().ravel()
    threshold = 255 * (1 - 9 / 30)  # torchvision: linspace(255, 0, 31)[9] = 178.5
    levels = np.arange(256)
    np.testing.assert_array_equal(out, np.where(levels >= threshold, 255 - levels, levels))


def test_enhance_factor_has_a_random_sign_and_the_magnitude():
    grey = np.full((64, 8, 8, 1), 100, "uint8")
    out = RandAugment(num_ops=1, magnitude=10, ops=["brightness"], seed=0)(grey).numpy()
    # factor 1 +- 0.9 * 10/30 = 1.3 or 0.7, truncated as PIL
    assert set(np.unique(out)) == {70, 130}


def test_two_geometric_operations_are_one_resample_by_the_summed_shift():
    image = np.zeros((64, 33, 33, 1), "uint8")
    image[:, 16, 16] = 255
    layer = RandAugment(num_ops=2, magnitude=3, ops=["translate_x"], seed=0)
    out = layer(image).numpy()[..., 0]
    step = round(150 / 331 * 3 / 30 * 33)  # 1 pixel per operation at magnitude 3
    columns = [np.flatnonzero(o[16])[0] - 16 for o in out]
    assert set(columns) == {-2 * step, 0, 2 * step}
    # Nearest-neighbour: no blur, every marked pixel survives intact.
    assert all(o.sum() == 255 for o in out)


def test_magnitude_is_a_variable_the_dataset_reads_at_run_time():
    grey = np.full((16, 8, 8, 1), 100, "uint8")
    layer = RandAugment(num_ops=1, magnitude=0, ops=["brightness"], seed=0)
    dataset = tf.data.Dataset.from_tensor_slices(grey).batch(8).map(layer)
    assert all((batch.numpy() == 100).all() for batch in dataset)
    layer.magnitude = 30
    assert layer.magnitude == 30.0
    values = np.concatenate([batch.numpy() for batch in dataset])
    assert set(np.unique(values)) == {10, 190}  # factor 1 -+ 0.9
    with pytest.raises(ValueError, match="`magnitude`"):
        layer.magnitude = 31


def test_trivial_augment_draws_a_magnitude_per_image():
    grey = np.full((64, 8, 8, 1), 100, "uint8")
    out = TrivialAugment(ops=["brightness"], seed=0)(grey).numpy()
    levels = set(np.unique(out))
    # 31 bins x 2 signs, factors 1 +- 0.99 * b / 30: many distinct results.
    assert len(levels) >= 20
    assert min(levels) < 30 and max(levels) > 170


def test_trivial_augment_uses_the_wide_ranges():
    image = np.zeros((64, 80, 80, 1), "uint8")
    image[:, 40, 40] = 255
    out = TrivialAugment(ops=["translate_x"], seed=0)(image).numpy()[..., 0]
    shifts = [np.flatnonzero(o[40])[0] - 40 for o in out if o.any()]
    # Up to 32 pixels whatever the image size, in whole pixels, both ways.
    assert max(shifts) > 20 and min(shifts) < -20 and max(map(abs, shifts)) <= 32


@pytest.mark.parametrize("layer", [RandAugment(seed=0), TrivialAugment(seed=0)])
def test_training_false_is_the_identity(layer):
    for images in (textured(4), textured(4).astype("float32") / 255.0):
        out = layer(images, training=False)
        np.testing.assert_array_equal(np.asarray(out), images)


@pytest.mark.parametrize("layer_class", [RandAugment, TrivialAugment])
@pytest.mark.parametrize("value_range", [(0, 1), (-1, 1)])
def test_float_images_keep_dtype_and_range(layer_class, value_range):
    low, high = value_range
    levels = textured(16)
    images = levels.astype("float32") / 255.0 * (high - low) + low
    out = layer_class(value_range=value_range, seed=0)(images, seed=SEED).numpy()
    assert out.dtype == np.float32 and out.shape == images.shape
    assert out.min() >= low and out.max() <= high
    # The same operations as on the uint8 levels the floats stand for.
    reference = layer_class(seed=0)(levels, seed=SEED).numpy()
    np.testing.assert_allclose(out, reference / 255.0 * (high - low) + low, atol=1e-5)


@pytest.mark.parametrize("layer_class", [RandAugment, TrivialAugment])
def test_grey_images_single_image_and_structures(layer_class):
    layer = layer_class(seed=0)
    grey = textured(8, channels=1)
    assert layer(grey).shape == grey.shape
    assert layer(grey[0]).shape == grey[0].shape
    labels = np.arange(8)
    out = layer({"images": grey, "labels": labels})
    np.testing.assert_array_equal(out["labels"], labels)
    images, same_labels = layer((grey, labels))
    assert images.shape == grey.shape
    np.testing.assert_array_equal(same_labels, labels)


def test_seed_argument_makes_the_call_a_pure_function():
    images = textured(16)
    layer = RandAugment(seed=5)
    first = layer(images, seed=SEED).numpy()
    np.testing.assert_array_equal(layer(images, seed=SEED).numpy(), first)
    assert not np.array_equal(layer(images, seed=tf.constant([3, 5])).numpy(), first)
    # Another layer seed sets the layer apart under the same call seed.
    assert not np.array_equal(RandAugment(seed=6)(images, seed=SEED).numpy(), first)


def test_bilinear_interpolation_option():
    binary = (np.indices((16, 16)).sum(0) % 2 * 255).astype("uint8")
    images = np.repeat(binary[None, ..., None], 8, axis=0)
    bilinear = RandAugment(num_ops=1, magnitude=20, ops=["rotate"], interpolation="bilinear")
    nearest = RandAugment(num_ops=1, magnitude=20, ops=["rotate"])
    # Nearest copies pixels; bilinear blends neighbours into new levels.
    assert set(np.unique(nearest(images).numpy())) == {0, 255}
    assert len(np.unique(bilinear(images).numpy())) > 10


@pytest.mark.parametrize("layer_class", [RandAugment, TrivialAugment])
def test_config_round_trip(layer_class):
    layer = layer_class(value_range=(0, 1), ops=["identity", "rotate"],
                        interpolation="bilinear", seed=4, name="augment")
    config = layer.get_config()
    clone = layer_class.from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is layer_class and restored.get_config() == config


def test_rand_augment_config_keeps_the_current_magnitude():
    layer = RandAugment(num_ops=3, magnitude=9)
    layer.magnitude = 14.5
    config = layer.get_config()
    assert (config["num_ops"], config["magnitude"]) == (3, 14.5)
    assert RandAugment.from_config(config).magnitude == 14.5


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"num_ops": 0}, "num_ops"),
        ({"num_ops": 1.5}, "num_ops"),
        ({"magnitude": -1}, "magnitude"),
        ({"magnitude": 31}, "magnitude"),
        ({"magnitude": "9"}, "magnitude"),
        ({"value_range": (1, 0)}, "value_range"),
        ({"value_range": (0, float("nan"))}, "value_range"),
        ({"ops": ["rotate", "twist"]}, "ops"),
        ({"ops": []}, "ops"),
        ({"ops": "rotate"}, "ops"),
        ({"ops": ["rotate", "rotate"]}, "ops"),
        ({"interpolation": "bicubic"}, "interpolation"),
        ({"seed": -1}, "seed"),
        ({"seed": "0"}, "seed"),
    ],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        RandAugment(**kwargs)
    trivial = {k: v for k, v in kwargs.items() if k not in ("num_ops", "magnitude")}
    if trivial:
        with pytest.raises(ValueError, match=f"`{argument}`"):
            TrivialAugment(**trivial)


def test_operation_list_is_the_standard_fourteen():
    assert RandAugment.OPERATIONS == TrivialAugment.OPERATIONS
    assert set(RandAugment.OPERATIONS) == {
        "identity", "autocontrast", "equalize", "rotate", "solarize", "color",
        "posterize", "contrast", "brightness", "sharpness", "shear_x", "shear_y",
        "translate_x", "translate_y",
    }
    assert image.RandAugment is RandAugment


@pytest.mark.parametrize("layer_class", [RandAugment, TrivialAugment])
# 3x5: sharpness has a one-pixel interior and every dimension is distinct. 72x72: the
# XLA-compiled kernels run (64x64 and up), on groups whose size is only known at run
# time with an unknown batch, as in tf.data.
@pytest.mark.parametrize("size", [(3, 5), (72, 72)])
def test_static_and_dynamic_shapes_give_the_same_images(layer_class, size):
    # The kernels take static dimensions as constants where the shape knows them
    # (fewer graph ops, XLA on larger images), and read them at run time otherwise.
    count = 8 if size == (3, 5) else 40  # 40 images: every operation gets a group
    images = np.random.default_rng(1).integers(0, 256, (count, *size, 3)).astype("uint8")
    layer = layer_class(seed=2)
    outputs = []
    for shape in ([count, *size, 3], [None, *size, 3], [None, None, None, 3]):
        traced = tf.function(
            lambda x: layer(x, seed=SEED),
            input_signature=[tf.TensorSpec(shape, tf.uint8)],
        )
        outputs.append(traced(images).numpy())
    for out in outputs[1:]:
        np.testing.assert_array_equal(out, outputs[0])


@pytest.mark.parametrize("size", [24, 72])
def test_every_operation_runs_in_tf_data(size):
    images = textured(count=64, size=size)
    layer = RandAugment(num_ops=2, magnitude=9, seed=0)
    dataset = seeded_map(tf.data.Dataset.from_tensor_slices(images).batch(32), layer, seed=0)
    out = np.concatenate([batch.numpy() for batch in dataset])
    assert out.shape == images.shape and out.dtype == np.uint8
    assert (out != images).any(axis=(1, 2, 3)).mean() > 0.8

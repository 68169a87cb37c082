"""Tests for `keras_margin.augment.image.policy`: policies built on Keras layers."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_margin.augment import image  # noqa: E402
from keras_margin.augment.image import policies  # noqa: E402

AUTOTUNE = tf.data.AUTOTUNE
NUM_CLASSES = 10
MIXING = {"strong"}


def run(augment, images, labels, parallel=AUTOTUNE, batch_size=8):
    """Maps `augment` over a batched dataset; returns the list of (images, labels)."""
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)
    dataset = dataset.map(augment, num_parallel_calls=parallel)
    return [(x.numpy(), y.numpy()) for x, y in dataset]


def batches(images, labels, batch_size=8):
    return [
        (images[i : i + batch_size], labels[i : i + batch_size])
        for i in range(0, len(images), batch_size)
    ]


def test_policy_names():
    assert image.POLICIES == ("none", "light", "standard", "strong")


@pytest.mark.parametrize("data", ["digits", "rgb32"])
@pytest.mark.parametrize("name", image.POLICIES)
def test_runs_in_tf_data_with_autotune(name, data, request):
    images, labels = request.getfixturevalue(data)
    augment = image.policy(name, num_classes=NUM_CLASSES)
    outputs = run(augment, images, labels)
    assert len(outputs) == 2
    for (x, y), (x_in, y_in) in zip(outputs, batches(images, labels)):
        assert x.shape == x_in.shape
        assert x.dtype == np.float32
        assert np.isfinite(x).all()
        assert x.min() >= 0.0 and x.max() <= 255.0
        if name in MIXING:
            assert y.shape == (len(y_in), NUM_CLASSES)
            assert y.dtype == np.float32
            assert ((y >= 0.0) & (y <= 1.0)).all()
            np.testing.assert_allclose(y.sum(axis=1), 1.0, atol=1e-5)
        else:
            assert y.dtype == y_in.dtype
            np.testing.assert_array_equal(y, y_in)


def test_none_is_exactly_the_identity(digits):
    images, labels = digits
    augment = image.policy("none")
    for (x, y), (x_in, y_in) in zip(run(augment, images, labels), batches(images, labels)):
        np.testing.assert_array_equal(x, x_in)
        np.testing.assert_array_equal(y, y_in)
    # Called directly, it hands back the very same objects.
    x, y = augment(images, labels)
    assert x is images and y is labels
    assert augment.layers == ()


@pytest.mark.parametrize("name", ["light", "standard"])
@pytest.mark.parametrize("data", ["digits", "rgb32"])
def test_light_and_standard_change_every_image_but_no_label(name, data, request):
    images, labels = request.getfixturevalue(data)
    augment = image.policy(name, num_classes=NUM_CLASSES)
    for (x, y), (x_in, y_in) in zip(run(augment, images, labels), batches(images, labels)):
        per_image_change = np.abs(x - x_in).max(axis=(1, 2, 3))
        assert (per_image_change > 1.0).all(), per_image_change
        np.testing.assert_array_equal(y, y_in)
        assert y.dtype == y_in.dtype


def test_strong_returns_soft_labels_from_two_classes(digits):
    images, labels = digits
    augment = image.policy("strong", num_classes=NUM_CLASSES, seed=0)
    assert augment.soft_labels
    outputs = run(augment, np.concatenate([images] * 3), np.concatenate([labels] * 3))
    soft = np.concatenate([y for _, y in outputs])
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-5)
    # Mixing happened: some rows are far from one-hot.
    assert (soft.max(axis=1) < 0.9).sum() >= 3
    # Each image mixes with one partner, so at most two classes carry weight.
    assert ((soft > 1e-6).sum(axis=1) <= 2).all()
    # Classes absent from the data never receive weight.
    absent = sorted(set(range(NUM_CLASSES)) - set(labels.tolist()))
    assert absent and soft[:, absent].max() == 0.0


def test_mixed_labels_describe_the_mixed_pixels():
    # One constant image per class, with a distinct grey level per class: after MixUp or
    # CutMix, an image's mean grey level must equal its label-weighted class grey level.
    levels = 20.0 * np.arange(NUM_CLASSES) + 10.0
    images = np.broadcast_to(levels[:, None, None, None], (NUM_CLASSES, 28, 28, 1))
    images = tf.constant(images, tf.float32)
    ids = tf.range(NUM_CLASSES)
    mixer = policies._MixUpOrCutMix(NUM_CLASSES, policies._SeedSequence(0))
    kinds = set()
    for _ in range(12):
        x, y = mixer(images, ids)
        x, y = x.numpy(), y.numpy()
        is_cut_mix = (x.std(axis=(1, 2, 3)) > 1e-3).any()  # patches: two grey levels
        kinds.add("CutMix" if is_cut_mix else "MixUp")
        # CutMix weighs labels by the box's continuous area and pastes whole pixels, so
        # allow 8% of the grey-level spread there; MixUp must match exactly.
        tolerance = 0.08 * np.ptp(levels) if is_cut_mix else 1e-3
        np.testing.assert_allclose(x.mean(axis=(1, 2, 3)), y @ levels, atol=tolerance)
    assert kinds == {"MixUp", "CutMix"}


def test_strong_accepts_one_hot_labels(digits):
    images, labels = digits
    augment = image.policy("strong", num_classes=NUM_CLASSES, seed=0)
    one_hot = np.eye(NUM_CLASSES, dtype="float32")[labels[:8]]
    x, y = augment(images[:8], one_hot)
    assert y.shape == (8, NUM_CLASSES) and y.dtype == tf.float32
    np.testing.assert_allclose(y.numpy().sum(axis=1), 1.0, atol=1e-5)
    # Class ids as a (batch, 1) column work too; float "ids" are ambiguous and refused.
    _, y = augment(images[:8], labels[:8, None])
    assert y.shape == (8, NUM_CLASSES)
    with pytest.raises(ValueError, match="integer"):
        augment(images[:8], labels[:8].astype("float32"))


def test_strong_requires_num_classes():
    with pytest.raises(ValueError, match="num_classes"):
        image.policy("strong")


def test_strong_rejects_labels_outside_num_classes(digits):
    images, labels = digits
    augment = image.policy("strong", num_classes=5, seed=0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_classes=5"):
        augment(images[:8], np.full((8,), 7))


@pytest.mark.parametrize("name", ["light", "standard", "strong"])
def test_seed_reproducible_with_sequential_map(name, digits):
    images, labels = digits
    first = run(image.policy(name, NUM_CLASSES, seed=7), images, labels, parallel=None)
    augment = image.policy(name, NUM_CLASSES, seed=7)
    again = run(augment, images, labels, parallel=None)
    other = run(image.policy(name, NUM_CLASSES, seed=8), images, labels, parallel=None)
    for (x1, y1), (x2, y2) in zip(first, again):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    assert any(not np.array_equal(x1, x3) for (x1, _), (x3, _) in zip(first, other))
    # A second pass over the data (the next epoch) continues the random stream.
    next_epoch = run(augment, images, labels, parallel=None)
    assert not np.array_equal(next_epoch[0][0], again[0][0])


def test_global_keras_seed_makes_unseeded_policy_reproducible(digits):
    images, labels = digits
    keras.utils.set_random_seed(3)
    first = image.policy("standard")(images[:8], labels[:8])[0].numpy()
    keras.utils.set_random_seed(3)
    again = image.policy("standard")(images[:8], labels[:8])[0].numpy()
    np.testing.assert_array_equal(first, again)


def test_unknown_policy_lists_the_names():
    with pytest.raises(ValueError) as error:
        image.policy("heavy")
    for name in image.POLICIES:
        assert repr(name) in str(error.value)
    with pytest.raises(ValueError, match="'standard'"):
        image.policy(None)
    with pytest.raises(ValueError, match="'strong'"):
        image.describe("Strong")


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"value_range": (255, 0)}, "value_range"),
        ({"value_range": (0, 0)}, "value_range"),
        ({"value_range": (0,)}, "value_range"),
        ({"value_range": (0, 1, 2)}, "value_range"),
        ({"value_range": "0-255"}, "value_range"),
        ({"value_range": (0, float("inf"))}, "value_range"),
        ({"value_range": (0, "255")}, "value_range"),
        ({"value_range": (False, True)}, "value_range"),
        ({"num_classes": 1}, "num_classes"),
        ({"num_classes": 2.5}, "num_classes"),
        ({"num_classes": "10"}, "num_classes"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"seed": "0"}, "seed"),
        ({"horizontal_flip": "yes"}, "horizontal_flip"),
        ({"horizontal_flip": 1}, "horizontal_flip"),
        ({"fill_mode": "mirror"}, "fill_mode"),
        ({"fill_mode": None}, "fill_mode"),
    ],
)
@pytest.mark.parametrize("name", ["light", "strong"])
def test_invalid_arguments_name_the_argument(name, kwargs, argument):
    kwargs = {"num_classes": NUM_CLASSES, **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        image.policy(name, **kwargs)


def test_unbatched_images_raise(digits):
    images, labels = digits
    with pytest.raises(ValueError, match="batch"):
        image.policy("light")(images[0], labels[0])


@pytest.mark.parametrize("value_range", [(0.0, 1.0), (-1.0, 1.0)])
@pytest.mark.parametrize("name", ["standard", "strong"])
def test_other_value_ranges_stay_in_range(name, value_range, digits):
    images, labels = digits
    low, high = value_range
    scaled = images / 255.0 * (high - low) + low
    augment = image.policy(name, NUM_CLASSES, value_range=value_range, seed=1)
    x, _ = augment(scaled[:8], labels[:8])
    x = x.numpy()
    assert x.min() >= low and x.max() <= high
    assert x.std() > 0.1 * (high - low)  # not collapsed to a constant


def test_integer_images_come_back_as_float32(digits):
    images, labels = digits
    x, _ = image.policy("light", seed=0)(images[:8].astype("uint8"), labels[:8])
    assert x.dtype == tf.float32


@pytest.mark.parametrize(
    "name, max_mean_shift, std_ratio",
    [("none", 0.0, (1.0, 1.0)), ("light", 0.05, (0.8, 1.25)),
     ("standard", 0.05, (0.8, 1.25)), ("strong", 0.2, (0.5, 1.5))],
)
def test_real_photos_keep_sane_statistics(name, max_mean_shift, std_ratio, photos):
    images, labels = photos
    # Photos: mirror at the border, as the documentation recommends for them.
    augment = image.policy(
        name, num_classes=len(labels), horizontal_flip=True, seed=0, fill_mode="reflect"
    )
    [(x, y)] = run(augment, images, labels, parallel=None)
    assert x.shape == images.shape and np.isfinite(x).all()
    assert 0.0 <= x.min() and x.max() <= 255.0
    assert abs(x.mean() - images.mean()) <= max_mean_shift * 255.0
    low, high = std_ratio
    assert low <= x.std() / images.std() <= high
    # Each output still looks like its input, or its mirror image (strong may paste in
    # another image, so it is left out).
    if name in ("light", "standard"):
        for out, ref in zip(x, images):
            likeness = max(
                np.corrcoef(out.ravel(), ref.ravel())[0, 1],
                np.corrcoef(out.ravel(), ref[:, ::-1].ravel())[0, 1],
            )
            assert likeness > 0.5


@pytest.mark.parametrize("shape", [(8, 28, 28, 1), (8, 32, 32, 3)])
def test_every_layer_works_on_grey_and_rgb_in_tf_data(shape):
    # Some Keras colour layers (RandomHue, RandomSaturation) fail on one channel and
    # others (RandomColorDegeneration) do nothing; the policies use none of those.
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, shape).astype("float32")
    augment = image.policy("strong", NUM_CLASSES, horizontal_flip=True, seed=0)
    for layer in augment.layers:
        if isinstance(layer, (keras.layers.MixUp, keras.layers.CutMix)):
            continue  # they take dicts; exercised by the policy tests above
        dataset = tf.data.Dataset.from_tensors(images)
        dataset = dataset.map(lambda x, layer=layer: layer(x, training=True))
        out = next(iter(dataset)).numpy()
        name = type(layer).__name__
        assert out.shape == shape and out.dtype == np.float32, name
        assert np.isfinite(out).all() and out.min() >= 0.0, name
        assert out.max() <= 255.0 + 1e-3, name


def _config(layer, *keys):
    config = layer.get_config()
    return tuple(tuple(v) if isinstance(v, list) else v for v in (config[k] for k in keys))


def test_policy_layers_match_the_documentation():
    light = image.policy("light").layers
    assert [type(layer).__name__ for layer in light] == ["RandomAffine"]
    assert _config(light[0], "rotation", "translation", "zoom", "shear") == (
        (-5.0, 5.0), (-0.05, 0.05), (1.0, 1.0), (-0.0, 0.0)
    )

    standard = image.policy("standard").layers
    assert [type(layer).__name__ for layer in standard] == ["RandomAffine", "RandomContrast"]
    assert _config(standard[0], "rotation", "translation", "zoom", "shear") == (
        (-10.0, 10.0), (-0.1, 0.1), (0.9, 1.1), (-0.0, 0.0)
    )
    np.testing.assert_allclose(standard[1].factor, (0.2, 0.2))  # x U(1 - 0.2, 1 + 0.2)

    strong_policy = image.policy("strong", NUM_CLASSES)
    strong = (*strong_policy.layers, *strong_policy.mixer.layers)  # MixUp/CutMix: the mixer
    assert [type(layer).__name__ for layer in strong] == [
        "RandomAffine", "RandomContrast", "RandAugment", "RandomErasing", "MixUp",
        "CutMix",
    ]
    by_name = {type(layer).__name__: layer for layer in strong}
    affine = by_name["RandomAffine"]
    assert _config(affine, "rotation", "translation", "zoom") == (
        (-10.0, 10.0), (-0.1, 0.1), (0.9, 1.1)
    )
    # RandAugment's shear factor 0.15, as an angle, folded into the one resample.
    np.testing.assert_allclose(affine.shear, (-8.5307656, 8.5307656))
    np.testing.assert_allclose(np.tan(np.radians(affine.shear[1])), 0.15)
    rand_augment = by_name["RandAugment"]
    assert (rand_augment.num_ops, rand_augment.magnitude) == (2, 9.0)
    # No geometric op (RandomAffine has them), no contrast (RandomContrast), no
    # solarize (it inverts the white strokes of digits).
    assert rand_augment.ops == (
        "identity", "autocontrast", "equalize", "color", "posterize", "brightness",
        "sharpness",
    )
    assert rand_augment.value_range == (0.0, 255.0)
    assert _config(by_name["RandomErasing"], "scale") == ((0.02, 0.33),)
    assert by_name["MixUp"].alpha == 0.2
    np.testing.assert_allclose(by_name["CutMix"].factor, (1.0, 1.0))

    # One resample, bilinear, black (the low end of value_range) beyond the border.
    for name in ("light", "standard", "strong"):
        [affine] = [
            layer for layer in image.policy(name, NUM_CLASSES).layers
            if isinstance(layer, image.RandomAffine)
        ]
        assert affine.fill_mode == "constant" and affine.fill_value == 0.0
        assert affine.interpolation == "bilinear"
    affine = image.policy("light", value_range=(-1, 1), fill_mode="reflect").layers[0]
    assert affine.fill_mode == "reflect" and affine.fill_value == -1.0
    # No chained Keras geometric layers remain.
    geometric = (keras.layers.RandomRotation, keras.layers.RandomTranslation,
                 keras.layers.RandomZoom, keras.layers.RandomShear)
    for name in ("light", "standard", "strong"):
        layers = image.policy(name, NUM_CLASSES).layers
        assert not any(isinstance(layer, geometric) for layer in layers)

    # Distinct seeds per layer: identical seeds would correlate their random draws.
    seeded_policy = image.policy("strong", NUM_CLASSES, horizontal_flip=True, seed=0)
    seeded = (*seeded_policy.layers, *seeded_policy.mixer.layers)
    seeds = [layer.seed for layer in seeded if hasattr(layer, "seed")]
    assert len(seeds) == len(set(seeds)) == 7


def test_black_fill_adds_no_ink_at_the_border(digits):
    # The old chain reflected strokes touching the border back in as stray dots; with
    # the default constant fill, a digit shifted away from an edge leaves it black.
    images, labels = digits
    images = images.copy()
    images[:, :, :2] = 255.0  # every digit touches its left edge
    augment = image.policy("light", seed=0)
    layer = augment.layers[0]
    transformation = layer.transformation_from_parameters(28, 28, translate_x=0.05)
    shifted = np.asarray(layer.transform_images(images, transformation))
    assert shifted[:, :, :1].max() == 0.0
    reflected = image.policy("light", seed=0, fill_mode="reflect").layers[0]
    assert np.asarray(reflected.transform_images(images, transformation))[:, :, :1].min() > 200


def test_contrast_goes_both_ways(digits):
    # Keras' RandomContrast(0.2) only raises contrast (x U(1, 1.2)); the policy must not.
    images, _ = digits
    contrast = image.policy("standard", seed=0).layers[-1]
    assert isinstance(contrast, keras.layers.RandomContrast)
    factors = contrast.get_random_transformation(np.repeat(images, 8, axis=0))
    factors = np.asarray(factors["contrast_factor"]).ravel()
    assert 0.8 <= factors.min() < 0.9 and 1.1 < factors.max() <= 1.2


def test_horizontal_flip_is_opt_in():
    for name in ("light", "standard", "strong"):
        without = image.policy(name, NUM_CLASSES).layers
        with_flip = image.policy(name, NUM_CLASSES, horizontal_flip=True).layers
        assert not any(isinstance(layer, keras.layers.RandomFlip) for layer in without)
        assert isinstance(with_flip[0], keras.layers.RandomFlip)
        assert with_flip[0].mode == "horizontal"
        assert len(with_flip) == len(without) + 1
    assert image.policy("none", horizontal_flip=True).layers == ()


def test_policy_is_a_plain_callable_not_a_layer():
    for name in image.POLICIES:
        augment = image.policy(name, num_classes=NUM_CLASSES)
        assert callable(augment)
        assert not isinstance(augment, keras.layers.Layer)
        assert augment.name == name
        assert augment.soft_labels == (name in MIXING)
        assert name in repr(augment)


def test_describe_every_policy():
    descriptions = {name: image.describe(name) for name in image.POLICIES}
    assert len(set(descriptions.values())) == len(image.POLICIES)
    assert "unchanged" in descriptions["none"]
    assert "±5°" in descriptions["light"] and "±5%" in descriptions["light"]
    assert "±10°" in descriptions["standard"] and "zoom ±10%" in descriptions["standard"]
    for words in ("MixUp", "CutMix", "num_classes", "soft labels"):
        assert words in descriptions["strong"]
    for name in ("light", "standard", "strong"):
        assert "horizontal_flip" in descriptions[name]
        assert "RandomAffine" in descriptions[name] and "One resample" in descriptions[name]
    assert "shear ±8.5°" in descriptions["strong"]


# ---------------------------------------------------------------- one randomness rule


def seeded_run(augment, images, labels, seed, batch_size=8):
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)
    mapped = image.seeded_map(dataset, augment, seed=seed, num_parallel_calls=AUTOTUNE)
    return [(x.numpy(), y.numpy()) for x, y in mapped]


@pytest.mark.parametrize("name", image.POLICIES)
def test_every_policy_is_reproducible_under_autotune_with_seeded_map(name, digits):
    images, labels = digits
    images, labels = np.concatenate([images] * 3), np.concatenate([labels] * 3)

    def build():
        # Fresh layers in every run, their own seeds fixed: only the element seeds vary.
        return image.policy(name, NUM_CLASSES, horizontal_flip=True, seed=3)

    first = seeded_run(build(), images, labels, seed=5)
    again = seeded_run(build(), images, labels, seed=5)
    assert len(first) == 6
    for (x1, y1), (x2, y2) in zip(first, again):
        np.testing.assert_array_equal(x1, x2)
        np.testing.assert_array_equal(y1, y2)
    if name == "none":
        return
    other = seeded_run(build(), images, labels, seed=6)
    assert not np.array_equal(first[0][0], other[0][0])
    # The same images in other batches get other draws (element seeds differ).
    assert not np.array_equal(first[0][0], first[2][0])


def test_seeded_policy_call_is_a_pure_function_of_the_seed(digits):
    images, labels = digits
    seed = tf.constant([1, 2], tf.int64)
    augment = image.policy("strong", NUM_CLASSES, horizontal_flip=True, seed=0)
    x1, y1 = augment(images[:8], labels[:8], seed=seed)
    augment(images[:8], labels[:8])  # an unseeded call advances the layers' state...
    x2, y2 = augment(images[:8], labels[:8], seed=seed)  # ...which a seeded call ignores
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    x3, _ = augment(images[:8], labels[:8], seed=seed + 1)
    assert not np.array_equal(x1, x3)

import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from keras_margin.augment import magnitude as mag


def _images(batch=6, size=12, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 255, (batch, size, size, 1)).astype("float32")


def test_a_variable_changes_the_strength_of_a_built_dataset():
    strength = mag.magnitude_variable(0.0)
    affine = mag.ScaledAffine(rotation=30, translation=0.2, zoom=0.2, magnitude=strength, seed=0)
    images = _images()
    dataset = tf.data.Dataset.from_tensor_slices((images, np.arange(6))).batch(6).map(affine)
    unchanged, _ = next(iter(dataset))
    np.testing.assert_allclose(unchanged, images, atol=1e-3)
    strength.assign(1.0)
    moved, labels = next(iter(dataset))
    assert float(np.abs(np.asarray(moved) - images).mean()) > 10.0
    np.testing.assert_array_equal(labels, np.arange(6))


def test_per_sample_magnitudes_leave_zero_rows_untouched():
    affine = mag.ScaledAffine(rotation=30, translation=0.2, seed=1)
    images = _images()
    out = np.asarray(affine.apply(images, tf.constant([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])))
    np.testing.assert_allclose(out[0::2], images[0::2], atol=1e-3)
    assert all(np.abs(out[i] - images[i]).mean() > 5.0 for i in (1, 3, 5))


def test_with_probability_mixes_augmented_and_original_samples():
    flip = lambda images, labels: (255.0 - images, labels)  # noqa: E731
    images = _images(batch=400, size=2)
    out, _ = mag.with_probability(flip, 0.25)(images, np.zeros(400))
    changed = np.any(np.abs(np.asarray(out) - images) > 1e-3, axis=(1, 2, 3))
    assert 0.15 < changed.mean() < 0.35
    np.testing.assert_allclose(np.asarray(out)[changed], 255.0 - images[changed], rtol=1e-6)
    with pytest.raises(ValueError, match="mixes labels"):
        mag.with_probability(km.augment.image.policy("strong", num_classes=3), 0.5)


def test_class_aware_strengths_follow_rarity():
    flip = lambda images, labels: (255.0 - images, labels)  # noqa: E731
    augment = mag.ClassAwareAugmentation(flip, class_counts=[400, 100, 4], power=0.5)
    np.testing.assert_allclose(augment.class_strengths, [0.1, 0.2, 1.0], rtol=1e-6)
    labels = np.repeat([0, 2], 300)
    images = _images(batch=600, size=2)
    out, _ = augment(images, labels)
    changed = np.any(np.abs(np.asarray(out) - images) > 1e-3, axis=(1, 2, 3))
    assert changed[labels == 2].all() and changed[labels == 0].mean() < 0.2
    soft = np.array([[0.5, 0.0, 0.5]], "float32")
    np.testing.assert_allclose(augment.strengths_of(soft), [0.55], rtol=1e-6)


def test_class_aware_magnitude_mode_scales_a_scaled_affine():
    affine = mag.ScaledAffine(rotation=40, seed=2, magnitude=1.0)
    augment = mag.ClassAwareAugmentation(affine, [100, 1], power=1.0, mode="magnitude")
    images = _images(batch=4)
    out, _ = augment(images, np.array([0, 0, 1, 1]))
    frequent = np.abs(np.asarray(out)[:2] - images[:2]).mean()
    rare = np.abs(np.asarray(out)[2:] - images[2:]).mean()
    assert rare > 2 * frequent


@pytest.mark.parametrize(
    "build, name",
    [(lambda: mag.ScaledAffine(rotation=-1), "rotation"),
     (lambda: mag.ScaledAffine(magnitude=2.0), "magnitude"),
     (lambda: mag.ClassAwareAugmentation(lambda x, y: (x, y), [3]), "class_counts"),
     (lambda: mag.ClassAwareAugmentation(lambda x, y: (x, y), [3, 4], mode="magnitude"), "augment"),
     (lambda: mag.ClassAwareAugmentation(lambda x, y: (x, y), [3, 4], power=-1), "power")],
)
def test_invalid_arguments_name_them(build, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        build()


def test_pipeline_wrappers_are_reproducible_under_autotune_with_seeded_map():
    from keras_margin.augment import seeded_map

    images = _images(batch=24)
    labels = np.arange(24) % 3

    def run(build):
        dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
        mapped = seeded_map(dataset, build(), seed=2, num_parallel_calls=tf.data.AUTOTUNE)
        return np.concatenate([x.numpy() for x, _ in mapped])

    builders = [
        lambda: mag.ScaledAffine(rotation=30, translation=0.2, seed=0),
        lambda: mag.ClassAwareAugmentation(
            mag.ScaledAffine(rotation=30, seed=0), class_counts=[40, 10, 4], mode="magnitude"),
        lambda: mag.with_probability(mag.ScaledAffine(rotation=30, seed=0), 0.5),
    ]
    for build in builders:
        first = run(build)
        np.testing.assert_array_equal(first, run(build))
        assert not np.allclose(first, images, atol=1e-3)


def test_a_seeded_call_needs_an_augmentation_that_takes_a_seed():
    plain = mag.with_probability(lambda images, labels: (images, labels), 0.5)
    with pytest.raises(ValueError, match="`seed=`"):
        plain(_images(), np.zeros(6), seed=tf.constant([1, 2], tf.int64))

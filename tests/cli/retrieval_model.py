"""A tiny exported margin model and a folder of identity images, for the retrieval CLI
and server tests: identity k is an 8x8 image whose row k is bright."""

import numpy as np
import tensorflow as tf

import keras_margin as km

IDENTITIES = ("row0", "row1", "row2", "row3")
THRESHOLDS = {"1e-3": 0.9, "1e-1": 0.5}


def images_of(identity_index, count, seed):
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 60, (count, 8, 8, 1))
    images[:, identity_index, :, 0] += 190
    return np.clip(images, 0, 255).astype(np.uint8)


def export_tiny_model(base):
    """Exports to `base/faces/1` (TF Serving layout) with `THRESHOLDS`; returns the model."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Flatten()(keras.layers.Rescaling(1.0 / 255)(inputs))
    backbone = keras.Model(inputs, keras.layers.Dense(8)(x))
    model = km.MarginModel(backbone, km.heads.CosFace(4, scale=16.0))
    model.compile()
    images = np.concatenate([images_of(k, 16, seed=k) for k in range(4)]).astype("float32")
    labels = np.repeat(np.arange(4), 16)
    model.fit(images, labels, epochs=2, batch_size=16, verbose=0)
    model.export(str(base / "faces"), verbose=False, thresholds=THRESHOLDS, version=1)
    return model


def write_png(path, image):
    tf.io.write_file(str(path), tf.io.encode_png(image))
    return str(path)


def identity_folder(root, per_identity=3, seed=100):
    """`root/row<k>/<i>.png`; returns {identity: [paths]}."""
    files = {}
    for k, identity in enumerate(IDENTITIES):
        (root / identity).mkdir(parents=True)
        files[identity] = [write_png(root / identity / f"{i}.png", image)
                           for i, image in enumerate(images_of(k, per_identity, seed + k))]
    return files

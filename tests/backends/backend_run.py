"""Trains a small `MarginModel` per head on whatever Keras backend this process runs.

Run as a script (`KERAS_BACKEND=jax python backend_run.py OUT.npz`), it trains every
head of `HEADS` with `fit` on NumPy arrays from the same starting weights, then writes
the trained weights, the logits, `predict` and `embed` outputs, the error `export`
raises, and whether TensorFlow was imported, to OUT.npz. test_other_backends.py imports
the same functions to train and evaluate on TensorFlow in its own process, so both
sides run one code path.
"""

import sys

import keras
import numpy as np

import keras_margin as km

NUM_CLASSES, DIM, FEATURES, EXAMPLES, BATCH = 6, 8, 5, 24, 8

# Zeros: the weights are then set from NumPy, and drawing them on JAX first would compile
# one random kernel per shape for nothing.
START = {"kernel_initializer": "zeros"}
HEADS = {
    "arcface": lambda: km.heads.ArcFace(NUM_CLASSES, **START),
    "adaface": lambda: km.heads.AdaFace(NUM_CLASSES, **START),
    "sphereface": lambda: km.heads.SphereFace(NUM_CLASSES, **START),
    # Samples classes with the backend's random generator: its training differs between
    # backends by design, so only its logits for given weights are compared.
    "sub_center_arcface": lambda: km.heads.SubCenterArcFace(NUM_CLASSES, sample_rate=0.5, **START),
}
SAMPLING_HEADS = ("sub_center_arcface",)


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(EXAMPLES, FEATURES)).astype("float32")
    y = np.arange(EXAMPLES) % NUM_CLASSES
    return x, y.astype("int32")


def build(head_name):
    """The model of `head_name`, built, with weights drawn by NumPy (the same everywhere)."""
    backbone = keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(16, activation="relu", **START),
            keras.layers.Dense(DIM, **START),
        ]
    )
    model = km.MarginModel(backbone, HEADS[head_name]())
    model.build((None, FEATURES))
    rng = np.random.default_rng(1)
    # Every float weight drawn, except the temperature of the probabilities (1: none).
    model.set_weights(
        [
            rng.normal(scale=0.5, size=w.shape).astype(w.dtype)
            if w.dtype.kind == "f" and variable is not model.temperature else w
            for variable, w in zip(model.weights, model.get_weights())
        ]
    )
    return model


def train(head_name):
    """`build(head_name)` after one epoch of `fit`; returns (model, loss).

    Plain SGD, except for the sampling head: `LazyAdam`, as the training recipe uses
    there (on JAX and PyTorch it is Adam: their gradients are dense).
    """
    model = build(head_name)
    optimizer = (
        km.optimizers.LazyAdam(0.01) if head_name in SAMPLING_HEADS else keras.optimizers.SGD(0.05)
    )
    model.compile(optimizer=optimizer, metrics=["accuracy"])
    x, y = data()
    history = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    return model, history.history["loss"][-1]


def outputs(model):
    """The no-margin logits, `predict` and `embed` of `model` on the training inputs."""
    x, _ = data()
    return {
        "logits": keras.ops.convert_to_numpy(model(x, training=False)),
        "predict": model.predict(x, batch_size=BATCH, verbose=0),
        "embed": model.embed(x, batch_size=BATCH),
    }


def main(path):
    results = {"backend": keras.backend.backend()}
    for name in HEADS:
        model, loss = train(name)
        results[f"{name}/loss"] = loss
        for i, weight in enumerate(model.get_weights()):
            results[f"{name}/weight_{i}"] = weight
        for key, value in outputs(model).items():
            results[f"{name}/{key}"] = value
    try:
        model.export("unused")
    except NotImplementedError as error:  # only TensorFlow writes a SavedModel
        results["export_error"] = str(error)
    results["tensorflow_imported"] = "tensorflow" in sys.modules
    np.savez(path, **results)


if __name__ == "__main__":
    main(sys.argv[1])

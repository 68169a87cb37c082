"""Class centres sharded across devices by class: `km.distribution.class_sharded` on JAX.

Trains a small MarginModel whose centres (64 classes) are split over two devices, 32
classes each, with the class-sampling head (`sample_rate`), prints where the centre
matrix lives, and predicts over all classes. Two virtual CPU devices stand in for two
accelerators; the same code runs on several GPUs or TPU cores. The test suite checks
the same thing against one-device training (tests/distribution/test_class_sharded.py).

    KERAS_BACKEND=jax python examples/model_parallel_jax.py
"""

import os

os.environ["KERAS_BACKEND"] = "jax"
# Two host "devices", set before JAX initialises.
os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_margin as km  # noqa: E402

CLASSES, DIM, BATCH = 64, 8, 16


def main():
    print("devices:", jax.devices())
    # The head first: the distribution reads its name and which kernel axis holds classes.
    head = km.heads.ArcFace(CLASSES, scale=16.0, margin=0.3, sample_rate=0.25, seed=0, name="head")
    keras.distribution.set_distribution(km.distribution.class_sharded(head))
    backbone = keras.Sequential([keras.Input((DIM,)), keras.layers.Dense(DIM)])
    model = km.MarginModel(backbone, head)
    model.compile(optimizer=keras.optimizers.SGD(0.1))

    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH * 4, DIM)).astype("float32")
    y = rng.integers(0, CLASSES, size=len(x)).astype("int32")
    history = model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0).history

    kernel = head.kernel.value
    shards = [(tuple(s.data.shape), str(s.device)) for s in kernel.addressable_shards]
    print(f"centres {tuple(kernel.shape)} (class axis {head.class_axis}), sharding {kernel.sharding.spec}")
    print("shards:", shards)
    print("losses:", np.round(history["loss"], 4))
    probabilities = model.predict(x[:2], verbose=0)
    print("predict over all classes:", probabilities.shape)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

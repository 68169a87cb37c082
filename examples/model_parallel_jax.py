"""Class centres sharded across devices by class: Keras' ModelParallel on the JAX backend.

Trains a small MarginModel three ways from the same start, a few SGD steps each: on one
device, and on a (batch=1, model=2) device mesh with the head's centres split by class
over the two devices, once with the full head and once with the class-sampling head
(`sample_rate`). Model parallelism changes where the numbers live, not what they are,
so the sharded runs must end with the single-device weights; the script checks that,
prints each centre matrix's sharding, and exits non-zero on a mismatch.

It needs JAX (the project's test suite runs on TensorFlow, whose Keras distribution
backend does not shard variables; see docs/scaling.md). Two virtual CPU devices stand in
for two accelerators:

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

CLASSES, DIM, BATCH, STEPS = 64, 8, 16, 3


def train(sample_rate, distribution=None):
    keras.distribution.set_distribution(distribution)
    backbone = keras.Sequential([keras.Input((DIM,)), keras.layers.Dense(DIM, name="embed")])
    head = km.heads.ArcFace(CLASSES, scale=16.0, margin=0.3, sample_rate=sample_rate, seed=0, name="head")
    model = km.MarginModel(backbone, head)
    model.build((None, DIM))
    rng = np.random.default_rng(0)
    for variable in model.trainable_variables:
        value = rng.normal(size=variable.shape).astype("float32") * 0.5
        # Placed like the variable: assigning a host array would drop its sharding.
        variable.assign(jax.device_put(value, variable.value.sharding))
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    x = rng.normal(size=(BATCH * STEPS, DIM)).astype("float32")
    y = rng.integers(0, CLASSES, size=len(x)).astype("int32")
    history = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0).history
    keras.distribution.set_distribution(None)
    return model, history["loss"]


def class_sharded(sample_rate):
    devices = jax.devices()
    mesh = keras.distribution.DeviceMesh((1, len(devices)), ["batch", "model"], devices)
    layout_map = keras.distribution.LayoutMap(mesh)
    # A sampling head stores centres as rows (C, D), the full head as columns (D, C):
    # either way the class axis is the one split over "model".
    layout_map[".*/head/kernel"] = ("model", None) if sample_rate else (None, "model")
    return keras.distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch")


def main():
    print("devices:", jax.devices())
    failures = 0
    for sample_rate in (None, 0.25):
        single, single_loss = train(sample_rate)
        sharded, sharded_loss = train(sample_rate, class_sharded(sample_rate))
        kernel = sharded.head.kernel.value
        shards = [tuple(shard.data.shape) for shard in kernel.addressable_shards]
        devices = sorted({str(shard.device) for shard in kernel.addressable_shards})
        print(f"\nsample_rate={sample_rate}: centres {tuple(kernel.shape)}, sharding {kernel.sharding.spec}, "
              f"shards {shards} on {devices}")
        difference = max(
            float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
            for a, b in zip(single.trainable_variables, sharded.trainable_variables)
        )
        print(f"losses one device {np.round(single_loss, 5)}, sharded {np.round(sharded_loss, 5)}; "
              f"largest weight difference {difference:.2e}")
        class_axis = 0 if sample_rate else 1
        split = len(devices) == 2 and all(s[class_axis] == CLASSES // 2 for s in shards)
        if not split or difference > 1e-5 or not np.allclose(single_loss, sharded_loss, rtol=1e-5):
            print("MISMATCH")
            failures += 1
        probabilities = sharded.predict(np.ones((2, DIM), "float32"), verbose=0)
        assert probabilities.shape == (2, CLASSES)
    print("\nOK" if not failures else f"\n{failures} FAILED")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Train a tiny MarginModel on one device and with its centres split over two, on JAX.

Run by tests/distribution/test_class_sharded.py in its own process: the two virtual CPU
devices (XLA_FLAGS) and the JAX backend must be set before JAX and Keras initialise.

    KERAS_BACKEND=jax python class_sharded_run.py OUTPUT.npz

For the full head and the sampling head, OUTPUT.npz receives the final weights of both
runs (`{variant}_single_w{i}`, `{variant}_sharded_w{i}`) and the kernel's start, their losses, the shapes and
devices of the sharded kernel's pieces, predictions of both runs over all classes, and
the shard shapes of an Adam optimizer's slots for the kernel, and the messages of
the ValueErrors `class_sharded` raises for a mesh it cannot use.
"""

import os
import sys

os.environ["KERAS_BACKEND"] = "jax"
os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import jax  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_margin as km  # noqa: E402

CLASSES, DIM, BATCH, STEPS = 64, 8, 16, 3
VARIANTS = {"full": None, "sampled": 0.25}


def build(sample_rate, sharded):
    head = km.heads.ArcFace(CLASSES, scale=16.0, margin=0.3, sample_rate=sample_rate, seed=0, name="head")
    distribution = km.distribution.class_sharded(head) if sharded else None
    keras.distribution.set_distribution(distribution)
    backbone = keras.Sequential([keras.Input((DIM,)), keras.layers.Dense(DIM, name="embed")])
    model = km.MarginModel(backbone, head)
    model.build((None, DIM))
    rng = np.random.default_rng(0)
    for variable in model.trainable_variables:
        value = rng.normal(size=variable.shape).astype("float32") * 0.5
        # Sharded: placed like the variable, as assigning a host array would drop its
        # sharding. One device: left uncommitted like the rest of the state (optimizer,
        # seed, metrics), or the first step would see other placements than the second
        # and compile the train step twice.
        variable.assign(jax.device_put(value, variable.value.sharding) if sharded else value)
    return model


def train(sample_rate, sharded):
    model = build(sample_rate, sharded)
    start = np.asarray(model.head.kernel.value)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    rng = np.random.default_rng(1)
    x = rng.normal(size=(BATCH * STEPS, DIM)).astype("float32")
    y = rng.integers(0, CLASSES, size=len(x)).astype("int32")
    history = model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0).history
    probabilities = model.predict(rng.normal(size=(4, DIM)).astype("float32"), verbose=0)
    keras.distribution.set_distribution(None)
    return model, history["loss"], probabilities, start


def pieces(array):
    shards = sorted(array.addressable_shards, key=lambda shard: shard.device.id)
    return [tuple(shard.data.shape) for shard in shards], [shard.device.id for shard in shards]


def main():
    output = sys.argv[1]
    results = {"devices": len(jax.devices())}
    for variant, sample_rate in VARIANTS.items():
        for sharded in (False, True):
            model, loss, probabilities, start = train(sample_rate, sharded)
            run = f"{variant}_{'sharded' if sharded else 'single'}"
            results[f"{run}_kernel_start"] = start
            results[f"{run}_loss"] = np.asarray(loss)
            results[f"{run}_probabilities"] = np.asarray(probabilities)
            for i, variable in enumerate(model.trainable_variables):
                results[f"{run}_w{i}"] = np.asarray(variable.value)
            shapes, devices = pieces(model.head.kernel.value)
            results[f"{run}_kernel_shape"] = np.asarray(model.head.kernel.shape)
            results[f"{run}_kernel_shards"] = np.asarray(shapes)
            results[f"{run}_kernel_devices"] = np.asarray(devices)
            results[f"{run}_class_axis"] = model.head.class_axis
        # The optimizer's slots take the kernel's layout (Adam: two (C, D)-sized slots).
        model = build(sample_rate, sharded=True)
        optimizer = keras.optimizers.Adam()
        optimizer.build(model.trainable_variables)
        slots = [v for v in optimizer.variables if tuple(v.shape) == tuple(model.head.kernel.shape)]
        results[f"{variant}_adam_slot_shards"] = np.asarray([pieces(v.value)[0] for v in slots])
        keras.distribution.set_distribution(None)
    for case, make in {
        "built_head": lambda: km.distribution.class_sharded(build(None, sharded=False).head),
        "model_devices_not_dividing_devices": lambda: km.distribution.class_sharded(
            km.heads.ArcFace(CLASSES), model_devices=3),
        "classes_not_divisible": lambda: km.distribution.class_sharded(km.heads.ArcFace(7)),
    }.items():
        try:
            make()
            results[f"error_{case}"] = ""
        except ValueError as error:
            results[f"error_{case}"] = str(error)
    np.savez(output, **results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

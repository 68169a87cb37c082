"""A few SGD steps of a tiny MarginModel under a tf.distribute strategy, in its own process.

Run by tests/models/test_distributed.py: device configuration and TF_CONFIG must be set
before TensorFlow initialises its devices, which the test process has long done. The
test trains the one-device runs (`train_and_save` with the default strategy,
`save_two_replicas`) in its own process.

    python distributed_run.py MODE OUTPUT.npz [--sample-rate R] [--sampled-output SAMPLED.npz]
        [--per-replica-output EMULATED.npz]

MODE is `single` (one device), `mirrored` (MirroredStrategy over two logical CPU
devices) or `multiworker` (MultiWorkerMirroredStrategy; TF_CONFIG names this worker).
The final weights go to OUTPUT.npz (from the chief only, for `multiworker`).
`--per-replica-output` (mode `single`) writes what two replicas of the sampling head
should compute, worked out on one device (see `train_as_two_replicas`), with SGD and
(to `PATH.lazy_adam.npz`) with LazyAdam; mode `mirrored` writes its LazyAdam run of the
sampling head to `SAMPLED.npz.lazy_adam.npz`.
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

GLOBAL_BATCH = 8
STEPS_PER_EPOCH = 2
EPOCHS = 2
DIM, CLASSES = 6, 5


def data():
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(GLOBAL_BATCH * STEPS_PER_EPOCH, DIM)).astype("float32")
    y = rng.integers(0, CLASSES, size=len(x)).astype("int32")
    return x, y


def build_model(sample_rate, lazy_adam=False):
    import keras
    import numpy as np

    import keras_margin as km

    backbone = keras.Sequential([keras.Input((DIM,)), keras.layers.Dense(DIM, activation="tanh"), keras.layers.Dense(DIM)])
    head = km.heads.ArcFace(CLASSES, scale=8.0, margin=0.3, sample_rate=sample_rate, seed=0 if sample_rate else None)
    model = km.MarginModel(backbone, head)
    model.build((None, DIM))
    # Fixed initial weights, so every run and every worker starts from the same point.
    rng = np.random.default_rng(1)
    for variable in model.trainable_variables:
        variable.assign(rng.normal(size=variable.shape).astype("float32") * 0.5)
    # SGD without momentum: its update is a function of this step's gradient alone.
    # LazyAdam: its sparse update must see the replicas' rows, repeats summed.
    model.compile(optimizer=km.optimizers.LazyAdam(0.05) if lazy_adam else keras.optimizers.SGD(0.1))
    return model


def dataset():
    import tensorflow as tf

    x, y = data()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH)
    options = tf.data.Options()
    # Each worker takes its share of every global batch, not whole batches of its own.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


def train_as_two_replicas(sample_rate, lazy_adam=False):
    """The sampling head's training under MirroredStrategy, as docs/scaling.md states it,
    on one device: each step, each half of the global batch samples its own classes,
    and both halves draw with the same state of the head's seed (the state is a mirrored
    variable, equal on both replicas), which then advances once. The update applies the
    mean of the two halves' gradients: for the sampled centres, the two halves' sparse
    rows side by side (repeats included), as the all-reduce passes them on. Returns the
    model and the epoch losses.
    """
    import numpy as np
    import tensorflow as tf

    model = build_model(sample_rate, lazy_adam)
    seed_state = model.head._seed_generator.state
    half = GLOBAL_BATCH // 2

    @tf.function
    def replica_gradients(x, y):
        with tf.GradientTape() as tape:
            embeddings = model.backbone(x, training=True)
            logits, labels = model.head(embeddings, labels=y, training=True, return_labels=True)
            loss = model.loss(labels, logits)
        return loss, tape.gradient(loss, model.trainable_variables)

    epoch_losses = []
    for _ in range(EPOCHS):
        step_losses = []
        for x, y in dataset():
            start = seed_state.numpy()
            losses, gradients = [], []
            for replica in range(2):
                seed_state.assign(start)
                loss, grads = replica_gradients(x[replica * half:(replica + 1) * half], y[replica * half:(replica + 1) * half])
                losses.append(float(loss))
                gradients.append(grads)
            model.optimizer.apply([_mean(a, b) for a, b in zip(*gradients)], model.trainable_variables)
            seed_state.assign(start + np.array([0, 1], start.dtype))
            step_losses.append(np.mean(losses))
        epoch_losses.append(np.mean(step_losses))
    return model, epoch_losses


def _mean(a, b):
    import tensorflow as tf

    if isinstance(a, tf.IndexedSlices):
        return tf.IndexedSlices(
            tf.concat([a.values, b.values], 0) / 2, tf.concat([a.indices, b.indices], 0), a.dense_shape
        )
    return (a + b) / 2


def train_and_save(strategy, output, sample_rate=None, sampled_output=None, lazy_adam=False, write=True):
    """Trains under `strategy` and writes the run to `output`; with `sampled_output`,
    also the class-sampling head (rate 0.5), and with `lazy_adam` its LazyAdam run to
    `sampled_output + ".lazy_adam.npz"`. `write=False` (a multi-worker non-chief) trains
    without writing."""
    import numpy as np

    runs = [(sample_rate, False, output)]
    if sampled_output:
        runs.append((0.5, False, sampled_output))
        if lazy_adam:
            runs.append((0.5, True, sampled_output + ".lazy_adam.npz"))
    for rate, with_lazy_adam, path in runs:
        with strategy.scope():
            model = build_model(rate, with_lazy_adam)
        history = model.fit(dataset(), epochs=EPOCHS, verbose=0, shuffle=False).history
        weights = {f"w{i}": np.asarray(v) for i, v in enumerate(model.trainable_variables)}
        if write:
            np.savez(path, loss=np.asarray(history["loss"]), replicas=strategy.num_replicas_in_sync, **weights)


def save_two_replicas(output):
    """Writes `train_as_two_replicas` of the sampling head to `output` (SGD) and to
    `output + ".lazy_adam.npz"` (LazyAdam)."""
    import numpy as np

    for lazy_adam, path in ((False, output), (True, output + ".lazy_adam.npz")):
        model, losses = train_as_two_replicas(0.5, lazy_adam)
        weights = {f"w{i}": np.asarray(v) for i, v in enumerate(model.trainable_variables)}
        np.savez(path, loss=np.asarray(losses), replicas=2, **weights)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["single", "mirrored", "multiworker"])
    parser.add_argument("output")
    parser.add_argument("--sample-rate", type=float, default=None)
    parser.add_argument(
        "--sampled-output", default=None,
        help="also train with a class-sampling head (rate 0.5) and write its run here "
        "(one process instead of two: a TensorFlow start-up is most of a run's time)",
    )
    parser.add_argument("--per-replica-output", default=None,
                        help="mode single: also write the sampling head's two-replica run worked out on one device")
    args = parser.parse_args()

    import tensorflow as tf

    if args.mode == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
        )
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    elif args.mode == "multiworker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()

    is_chief = args.mode != "multiworker" or json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 0
    train_and_save(strategy, args.output, args.sample_rate, args.sampled_output,
                   lazy_adam=args.mode == "mirrored", write=is_chief)
    if args.per_replica_output:
        save_two_replicas(args.per_replica_output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

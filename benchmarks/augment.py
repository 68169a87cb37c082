"""Images per second of RandAugment implementations in a tf.data pipeline.

Every implementation gets the same input, a fixed array of 256 uint8 RGB images drawn
from a seed, repeated, batched and mapped with `num_parallel_calls=AUTOTUNE`, and the
same policy: two operations per image drawn from the fourteen of RandAugment at
magnitude 9 (of 30), nearest-neighbour resampling for the geometric ones.

- `keras_margin`: `km.augment.image.RandAugment(num_ops=2, magnitude=9)`, mapped with
  `seeded_map` (stateless per-batch seeds) after `batch`.
- `keras_core`: `keras.layers.RandAugment(num_ops=2, factor=0.3)` mapped after `batch`.
- `keras_cv` (if importable): `keras_cv.layers.RandAugment(augmentations_per_image=2,
  magnitude=0.3, rate=1)` mapped after `batch`.
- `albumentations` (if importable; 2.0.8 is the last MIT release): `A.SomeOf` of the
  equivalent fourteen transforms, n=2, each with p=1, run on each image of a batch by
  one `tf.numpy_function` per batch (OpenCV releases the GIL, so parallel calls overlap).
  Its ops are not bit-identical to RandAugment's (its `Sharpen` kernel differs, its
  affine magnitudes are drawn from a range rather than given a random sign), but they
  are the same kind and size of work.

Implementations are timed in interleaved rounds in one process (each round builds a
fresh iterator, warms it up for at least `--warmup` batches and `--warmup-seconds`
seconds, then times at least `--batches` batches and
at least `--min-seconds` seconds), and medians are printed with the ratio to
albumentations, so machine noise mostly cancels. Also printed: the process's CPU time
per image (all threads: TensorFlow's, OpenCV's and Python's), which shows how much of
the machine each one used, and the load average. OpenCV keeps its default thread count
(the 2 cores here; 1 thread measured the same within noise), and tf.data's AUTOTUNE
decides TensorFlow's parallelism: neither side is held to fewer cores than the other.

With `--per-operation`, it instead prices each operation of keras_margin's
`RandAugment` alone: `RandAugment(ops=["identity", op])` puts `op` in one of an
image's two slots on average, so its CPU time per image minus that of
`ops=["identity"]` is the cost of one application (for the geometric operations a
little less: an image that draws the operation twice gets one composed warp).

Usage:
    python benchmarks/augment.py                        # 224x224, then 112 and 32
    python benchmarks/augment.py --sizes 224 --rounds 7
    python benchmarks/augment.py --per-operation --sizes 224 32 --rounds 3
"""

import argparse
import math
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

MAGNITUDE = 9  # of 30, torchvision's and keras_margin's scale
NUM_OPS = 2


def make_images(size, count=256, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    # Smooth random colour fields plus noise: not constant (equalize and autocontrast
    # have work to do) and not pure noise (sharpness and resampling behave as on photos).
    low = rng.integers(0, 256, (count, 8, 8, 3)).astype("float32")
    import tensorflow as tf

    smooth = tf.image.resize(low, (size, size), method="bilinear").numpy()
    noisy = smooth + rng.normal(0.0, 12.0, smooth.shape)
    return np.clip(noisy, 0, 255).astype("uint8")


def keras_margin_pipeline(dataset, size):
    import keras_margin as km

    layer = km.augment.image.RandAugment(num_ops=NUM_OPS, magnitude=MAGNITUDE, seed=0)
    return km.augment.image.seeded_map(dataset, layer, seed=0)


def keras_margin_ops_pipeline(ops):
    """keras_margin's RandAugment restricted to `ops`, as `keras_margin_pipeline`."""

    def pipeline(dataset, size):
        import keras_margin as km

        layer = km.augment.image.RandAugment(
            num_ops=NUM_OPS, magnitude=MAGNITUDE, ops=ops, seed=0
        )
        return km.augment.image.seeded_map(dataset, layer, seed=0)

    return pipeline


def keras_core_pipeline(dataset, size):
    import keras
    import tensorflow as tf

    layer = keras.layers.RandAugment(
        value_range=(0, 255), num_ops=NUM_OPS, factor=MAGNITUDE / 30,
        interpolation="nearest", seed=0,
    )
    return dataset.map(
        lambda x: tf.cast(layer(x, training=True), tf.uint8),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def keras_cv_pipeline(dataset, size):
    import keras_cv
    import tensorflow as tf

    layer = keras_cv.layers.RandAugment(
        value_range=(0, 255), augmentations_per_image=NUM_OPS,
        magnitude=MAGNITUDE / 30, rate=1.0, seed=0,
    )
    return dataset.map(
        lambda x: tf.cast(layer(x, training=True), tf.uint8),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def albumentations_transform(size):
    import albumentations as A
    import cv2

    fraction = MAGNITUDE / 30
    rotate = 30 * fraction
    shear = math.degrees(math.atan(0.3 * fraction))
    translate = 150 / 331 * fraction
    enhance = 0.9 * fraction
    bits = 8 - round(4 * fraction)
    threshold = 1 - fraction
    affine = {"interpolation": cv2.INTER_NEAREST, "border_mode": cv2.BORDER_CONSTANT,
              "fill": 0, "p": 1.0}
    transforms = [
        A.NoOp(p=1.0),
        A.AutoContrast(p=1.0),
        A.Equalize(p=1.0),
        A.Affine(rotate=(-rotate, rotate), **affine),
        A.Solarize(threshold_range=(threshold, threshold), p=1.0),
        A.ColorJitter(brightness=0, contrast=0, saturation=(1 - enhance, 1 + enhance),
                      hue=0, p=1.0),
        A.Posterize(num_bits=bits, p=1.0),
        A.ColorJitter(brightness=0, contrast=(1 - enhance, 1 + enhance), saturation=0,
                      hue=0, p=1.0),
        A.ColorJitter(brightness=(1 - enhance, 1 + enhance), contrast=0, saturation=0,
                      hue=0, p=1.0),
        A.Sharpen(alpha=(enhance, enhance), lightness=(1.0, 1.0), kernel_size=3, p=1.0),
        A.Affine(shear={"x": (-shear, shear), "y": (0, 0)}, **affine),
        A.Affine(shear={"x": (0, 0), "y": (-shear, shear)}, **affine),
        A.Affine(translate_percent={"x": (-translate, translate), "y": (0, 0)}, **affine),
        A.Affine(translate_percent={"x": (0, 0), "y": (-translate, translate)}, **affine),
    ]
    # A.Compose carries the seed; SomeOf itself takes none.
    return A.Compose([A.SomeOf(transforms, n=NUM_OPS, replace=False, p=1.0)], seed=0)


def albumentations_pipeline(dataset, size):
    import numpy as np
    import tensorflow as tf

    transform = albumentations_transform(size)

    def augment_batch(batch):
        return np.stack([transform(image=image)["image"] for image in batch])

    def augment(images):
        out = tf.numpy_function(augment_batch, [images], tf.uint8)
        out.set_shape(images.shape)
        return out

    return dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE)


PIPELINES = {
    "keras_margin": keras_margin_pipeline,
    "keras_core": keras_core_pipeline,
    "keras_cv": keras_cv_pipeline,
    "albumentations": albumentations_pipeline,
}
OPTIONAL = {"keras_cv": "keras_cv", "albumentations": "albumentations"}


def available(name):
    if name not in OPTIONAL:
        return True
    try:
        __import__(OPTIONAL[name])
    except Exception:  # noqa: BLE001 - a broken optional install is just absent
        return False
    return True


def images_per_second(dataset, batch, warmup, batches, min_seconds=0.0, warmup_seconds=0.0):
    """(images/s, CPU ms per image) over at least `batches` batches and `min_seconds` s.

    Timing starts after at least `warmup` batches and `warmup_seconds` seconds: a
    fresh iterator fills its buffers, and keras_margin's XLA-compiled table kernel
    compiles once per group size it meets (~0.1 s each), which the first seconds of
    a pipeline pay and a long run does not.

    The CPU time is the whole process's (all threads), so it counts what OpenCV or
    TensorFlow spend on extra threads too; on a shared machine it moves less with the
    load than the wall-clock rate does.

    The floor on the duration matters for the fast pipelines: at 32x32, 24 batches
    take ~50 ms, and a good part of them were computed ahead during the warm-up
    (parallel map plus prefetch) and come out of the buffers for free.
    """
    iterator = iter(dataset)
    start = time.perf_counter()
    warmed = 0
    while warmed < warmup or time.perf_counter() - start < warmup_seconds:
        next(iterator)
        warmed += 1
    count = 0
    cpu_start = time.process_time()
    start = time.perf_counter()
    while count < batches or time.perf_counter() - start < min_seconds:
        next(iterator)
        count += 1
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    # Deleting the iterator waits for its in-flight map calls, so they do not run
    # into the next implementation's timing.
    del iterator
    return count * batch / seconds, 1000 * cpu_seconds / (count * batch)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[224, 112, 32])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=24,
                        help="batches timed per round (slow implementations: fewer)")
    parser.add_argument("--min-seconds", type=float, default=2.0,
                        help="time each round for at least this long")
    parser.add_argument("--warmup", type=int, default=3,
                        help="warm-up batches per round, at least")
    parser.add_argument("--warmup-seconds", type=float, default=2.0,
                        help="warm up each round for at least this long")
    parser.add_argument("--pipelines", nargs="+", default=list(PIPELINES))
    parser.add_argument("--per-operation", action="store_true",
                        help="price each keras_margin operation alone instead")
    args = parser.parse_args()

    from keras_margin.utils.quiet import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    import keras

    names = [name for name in args.pipelines if available(name)]
    missing = [name for name in args.pipelines if name not in names]
    versions = {"keras": keras.__version__}
    for name in ("albumentations", "keras_cv"):
        if name in names:
            versions[name] = __import__(name).__version__
    print(f"TensorFlow {tf.__version__}, " + ", ".join(f"{k} {v}" for k, v in versions.items())
          + f"; batch {args.batch}, uint8 RGB, {NUM_OPS} ops at magnitude {MAGNITUDE}/30, "
          f"median of {args.rounds} interleaved rounds"
          + (f"; not importable: {', '.join(missing)}" if missing else ""))
    if args.per_operation:
        per_operation(args, tf)
        return
    for size in args.sizes:
        base = batched_images(tf, size, args.batch)
        pipelines = {
            name: PIPELINES[name](base, size).prefetch(tf.data.AUTOTUNE) for name in names
        }
        # Keras core evaluates every op on every image: time fewer of its batches.
        batches = {name: args.batches for name in names}
        if "keras_core" in batches:
            batches["keras_core"] = max(2, args.batches // 12)
        if "keras_cv" in batches:
            batches["keras_cv"] = max(2, args.batches // 4)
        rates = {name: [] for name in names}
        cpu = {name: [] for name in names}
        for _ in range(args.rounds):
            for name, dataset in pipelines.items():
                rate, cpu_ms = images_per_second(
                    dataset, args.batch, args.warmup, batches[name], args.min_seconds,
                    args.warmup_seconds,
                )
                rates[name].append(rate)
                cpu[name].append(cpu_ms)
        medians = {name: statistics.median(values) for name, values in rates.items()}
        reference = medians.get("albumentations")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\n{size}x{size} (load average after: {load}):")
        print(f"{'implementation':<16}{'images/s':>10}{'x albumentations':>18}"
              f"{'keras_margin x it':>19}{'CPU ms/image':>14}")
        for name in names:
            line = f"{name:<16}{medians[name]:>10.0f}"
            line += f"{medians[name] / reference:>18.2f}" if reference else f"{'':>18}"
            if "keras_margin" in medians:
                line += f"{medians['keras_margin'] / medians[name]:>19.1f}"
            line += f"{statistics.median(cpu[name]):>14.3f}"
            print(line, flush=True)

def batched_images(tf, size, batch):
    images = make_images(size)
    return tf.data.Dataset.from_tensor_slices(images).repeat().batch(batch, drop_remainder=True)


def per_operation(args, tf):
    """Prints each operation's CPU cost per application, identity's subtracted."""
    import keras_margin as km

    operations = [op for op in km.augment.image.RandAugment.OPERATIONS if op != "identity"]
    for size in args.sizes:
        base = batched_images(tf, size, args.batch)
        variants = {"identity": ["identity"]}
        variants.update({op: ["identity", op] for op in operations})
        pipelines = {
            name: keras_margin_ops_pipeline(ops)(base, size).prefetch(tf.data.AUTOTUNE)
            for name, ops in variants.items()
        }
        cpu = {name: [] for name in pipelines}
        for _ in range(args.rounds):
            for name, dataset in pipelines.items():
                cpu[name].append(images_per_second(
                    dataset, args.batch, args.warmup, args.batches, args.min_seconds,
                    args.warmup_seconds,
                )[1])
        medians = {name: 1000 * statistics.median(values) for name, values in cpu.items()}
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"\n{size}x{size}, CPU us per image (load average after: {load}):")
        print(f"identity only (split, reassembly, draws): {medians['identity']:.1f}")
        print(f"{'operation':<14}{'per application':>16}")
        for op in sorted(operations, key=lambda op: -medians[op]):
            print(f"{op:<14}{medians[op] - medians['identity']:>16.1f}", flush=True)


if __name__ == "__main__":
    main()

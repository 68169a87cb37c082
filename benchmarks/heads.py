"""Forward+backward step time and peak memory of each head against the floor.

The floor is what any classifier pays: a bias-free Dense layer plus sparse softmax
cross-entropy from logits. Each step computes the loss, the gradients for the embeddings
and the class centres, and applies the centre gradient with plain SGD, inside one
`tf.function`. Heads and floor are timed in interleaved rounds in the same process, and
the ratio of medians is printed, so machine noise mostly cancels. `peak MB` is the peak of
TensorFlow's CPU allocator during one step above what was resident before it (median of
three steps), plus the head's own variables: the centres, logits, gradients and every temporary of the step.

Usage:
    python benchmarks/heads.py                      # C = 1k, 10k, 100k
    python benchmarks/heads.py --classes 100000 --repeats 9 --jit
    python benchmarks/heads.py --memory             # also peak memory
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HEADS = ["floor", "softmax", "normface", "cosface", "arcface", "combinedmargin", "sphereface", "largemarginsoftmax"]
TARGETS = {  # ratio to the floor at C = 100,000 (issue 2)
    "normface": 1.10, "cosface": 1.10, "arcface": 1.10, "combinedmargin": 1.10,
    "sphereface": 1.25, "largemarginsoftmax": 1.25,
}


def build_step(name, batch, dim, classes, jit):
    import keras
    import numpy as np
    import tensorflow as tf

    import keras_margin as km

    rng = np.random.default_rng(0)
    embeddings = tf.constant(rng.normal(size=(batch, dim)).astype("float32"))
    labels = tf.constant(rng.integers(0, classes, size=batch).astype("int32"))
    if name == "floor":
        layer = keras.layers.Dense(classes, use_bias=False)

        def logits_fn(x, y):
            return layer(x)
    else:
        layer = km.heads.get(name)(classes)

        def logits_fn(x, y):
            return layer(x, labels=y, training=True)

    layer.build((None, dim))
    kernel = layer.trainable_weights[0]

    @tf.function(jit_compile=jit)
    def step(x, y):
        with tf.GradientTape() as tape:
            tape.watch(x)
            logits = logits_fn(x, y)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits)
            )
        grad_x, grad_w = tape.gradient(loss, [x, kernel])
        kernel.assign_sub(0.01 * grad_w)
        return loss, grad_x

    def run():
        loss, grad_x = step(embeddings, labels)
        grad_x.numpy()  # wait for the step to finish

    variable_bytes = sum(int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in layer.weights)
    return run, variable_bytes


def time_heads(runs, repeats):
    for run in runs.values():  # trace and warm up
        run()
        run()
    times = {name: [] for name in runs}
    for _ in range(repeats):  # interleaved rounds: noise hits every head alike
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def peak_memory(runs, variable_bytes):
    """Peak allocator bytes of one step per head: its own variables plus step temporaries.

    TensorFlow's CPU allocator statistics give the peak above what is resident before
    the step (every head's variables); the head's own variables are added back.
    """
    import tensorflow as tf

    memory = {}
    for name, run in runs.items():
        peaks = []
        for _ in range(3):  # the executor's op order, hence the peak, varies run to run
            tf.config.experimental.reset_memory_stats("CPU:0")
            before = tf.config.experimental.get_memory_info("CPU:0")["current"]
            run()
            peaks.append(tf.config.experimental.get_memory_info("CPU:0")["peak"] - before)
        memory[name] = statistics.median(peaks) + variable_bytes[name]
    return memory


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--classes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--heads", nargs="+", default=HEADS[1:])
    parser.add_argument("--jit", action="store_true", help="compile the steps with XLA")
    parser.add_argument("--memory", action="store_true", help="also measure peak memory")
    args = parser.parse_args()

    from keras_margin.utils.quiet import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    names = ["floor"] + [h for h in args.heads if h != "floor"]
    print(f"TensorFlow {tf.__version__}, B={args.batch}, D={args.dim}, float32, "
          f"{'XLA' if args.jit else 'no XLA'}, median of {args.repeats} interleaved rounds")
    for classes in args.classes:
        built = {name: build_step(name, args.batch, args.dim, classes, args.jit) for name in names}
        runs = {name: run for name, (run, _) in built.items()}
        medians = time_heads(runs, args.repeats)
        memory = peak_memory(runs, {n: b for n, (_, b) in built.items()}) if args.memory else {}
        print(f"\nC = {classes:,}: floor {medians['floor'] * 1000:.1f} ms/step")
        header = f"{'head':<20}{'ms/step':>10}{'x floor':>9}"
        header += f"{'peak MB':>9}{'x floor':>9}" if memory else ""
        header += f"{'target':>8}" if classes == 100000 else ""
        print(header)
        for name in names:
            line = f"{name:<20}{medians[name] * 1000:>10.1f}{medians[name] / medians['floor']:>9.2f}"
            if memory:
                line += f"{memory[name] / 2**20:>9.0f}{memory[name] / memory['floor']:>9.2f}"
            if classes == 100000:
                line += f"{TARGETS[name]:>8.2f}" if name in TARGETS else f"{'':>8}"
            print(line, flush=True)


if __name__ == "__main__":
    main()

"""Forward+backward step time and peak memory of each head against the floor.

The floor is what any classifier pays: a bias-free Dense layer plus sparse softmax
cross-entropy from logits. Each step computes the loss, the gradients for the embeddings
and the class centres, and applies the centre gradient with plain SGD, inside one
`tf.function`. Heads and floor are timed in interleaved rounds in the same process, and
the ratio of medians is printed, so machine noise mostly cancels. Peak memory is the
growth of the peak resident set size over a fresh child process's baseline (one child per
head and class count), as TensorFlow reports no CPU allocator statistics.

Usage:
    python benchmarks/heads.py                      # C = 1k, 10k, 100k
    python benchmarks/heads.py --classes 100000 --repeats 9 --jit
    python benchmarks/heads.py --memory             # also peak memory (slower)
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
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

    return run


def time_heads(names, batch, dim, classes, repeats, jit):
    runs = {name: build_step(name, batch, dim, classes, jit) for name in names}
    for run in runs.values():  # trace and warm up
        run()
        run()
    times = {name: [] for name in names}
    for _ in range(repeats):  # interleaved rounds: noise hits every head alike
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def peak_memory_child(name, batch, dim, classes, jit):
    """Runs in a child process: prints the peak RSS growth (bytes) of a few steps."""
    run = build_step(name, batch, dim, classes, jit)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for _ in range(3):
        run()
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_growth_bytes": (after - before) * 1024}))


def peak_memory(name, batch, dim, classes, jit):
    command = [sys.executable, __file__, "--child-memory", name, "--batch", str(batch), "--dim", str(dim),
               "--classes", str(classes)] + (["--jit"] if jit else [])
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])["peak_growth_bytes"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--classes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--heads", nargs="+", default=HEADS[1:])
    parser.add_argument("--jit", action="store_true", help="compile the steps with XLA")
    parser.add_argument("--memory", action="store_true", help="also measure peak memory")
    parser.add_argument("--child-memory", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_memory:
        peak_memory_child(args.child_memory, args.batch, args.dim, args.classes[0], args.jit)
        return

    from keras_margin.utils.quiet import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    names = ["floor"] + [h for h in args.heads if h != "floor"]
    print(f"TensorFlow {tf.__version__}, B={args.batch}, D={args.dim}, float32, "
          f"{'XLA' if args.jit else 'no XLA'}, median of {args.repeats} interleaved rounds")
    for classes in args.classes:
        medians = time_heads(names, args.batch, args.dim, classes, args.repeats, args.jit)
        memory = {n: peak_memory(n, args.batch, args.dim, classes, args.jit) for n in names} if args.memory else {}
        print(f"\nC = {classes:,}: floor {medians['floor'] * 1000:.1f} ms/step")
        header = f"{'head':<20}{'ms/step':>10}{'x floor':>9}"
        header += f"{'peak MB':>10}{'x floor':>9}" if memory else ""
        header += f"{'target':>8}" if classes == 100000 else ""
        print(header)
        for name in names:
            line = f"{name:<20}{medians[name] * 1000:>10.1f}{medians[name] / medians['floor']:>9.2f}"
            if memory:
                line += f"{memory[name] / 2**20:>10.0f}{memory[name] / max(memory['floor'], 1):>9.2f}"
            if classes == 100000:
                line += f"{TARGETS[name]:>8.2f}" if name in TARGETS else f"{'':>8}"
            print(line, flush=True)


if __name__ == "__main__":
    main()

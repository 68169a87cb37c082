"""Class-centre sampling (Partial FC): step time and peak memory against the full head.

One step = the head's training logits (all classes, or the sampled ones), sparse softmax
cross-entropy, gradients for the embeddings and the class centres, and the optimizer's
update of the centres, inside one `tf.function`. The full head and each sample rate run
in interleaved rounds in the same process and the ratio of medians to the full head is
printed, so machine noise mostly cancels. `peak MB` is the peak of TensorFlow's CPU
allocator during one step above what was resident before it (median of three steps),
plus the head's own variables and the optimizer's slots for them.

The sampled head's centre gradient is `IndexedSlices` (only the sampled rows): plain SGD
and `keras_margin.optimizers.LazyAdam` apply it to those rows only; SGD with momentum and
Keras' Adam densify it (their moments decay on every row each step), which `--optimizer`
lets you measure. The full head runs with the same optimizer (for LazyAdam its gradient
is dense, so that is Adam).

Usage:
    python benchmarks/sampling.py                              # C = 100k, rates 0.1 and 0.3
    python benchmarks/sampling.py --classes 1000000 --repeats 3 --memory
    python benchmarks/sampling.py --classes 1000000 --rates 0.1 --no-full --repeats 3 --memory
    python benchmarks/sampling.py --optimizer adam --memory
    python benchmarks/sampling.py --optimizer lazy-adam --memory
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

TARGETS = {0.1: (0.25, 0.5)}  # issue 8: at rate 0.1, time <= 0.25x and memory <= 0.5x the full head


def make_optimizer(name):
    import keras

    if name == "sgd":
        return keras.optimizers.SGD(0.01)
    if name == "momentum":
        return keras.optimizers.SGD(0.01, momentum=0.9)
    if name == "lazy-adam":
        import keras_margin as km

        return km.optimizers.LazyAdam(1e-3)
    return keras.optimizers.Adam(1e-3)


def build_step(head_name, rate, batch, dim, classes, optimizer_name, jit, seed=0):
    import numpy as np
    import tensorflow as tf

    import keras_margin as km

    rng = np.random.default_rng(seed)
    embeddings = tf.constant(rng.normal(size=(batch, dim)).astype("float32"))
    labels = tf.constant(rng.integers(0, classes, size=batch).astype("int32"))
    head = km.heads.get(head_name)(classes, sample_rate=rate, seed=seed if rate else None)
    head.build((None, dim))
    kernel = head.kernel
    optimizer = make_optimizer(optimizer_name)
    optimizer.build([kernel])

    @tf.function(jit_compile=jit)
    def step(x, y):
        with tf.GradientTape() as tape:
            tape.watch(x)
            logits, targets = head(x, labels=y, training=True, return_labels=True)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)
            )
        grad_x, grad_w = tape.gradient(loss, [x, kernel.value])
        optimizer.apply([grad_w], [kernel])
        return loss, grad_x

    losses = []

    def run():
        loss, grad_x = step(embeddings, labels)
        grad_x.numpy()  # wait for the step to finish
        losses.append(float(loss))

    variables = [kernel] + list(optimizer.variables)
    variable_bytes = sum(
        int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in variables if len(v.shape) >= 2
    )
    return run, variable_bytes, losses


def time_steps(runs, repeats):
    for run in runs.values():  # trace and warm up
        run()
        run()
    times = {name: [] for name in runs}
    for _ in range(repeats):  # interleaved rounds: noise hits every variant alike
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def peak_memory(runs, variable_bytes):
    import tensorflow as tf

    memory = {}
    for name, run in runs.items():
        peaks = []
        for _ in range(3):
            tf.config.experimental.reset_memory_stats("CPU:0")
            before = tf.config.experimental.get_memory_info("CPU:0")["current"]
            run()
            peaks.append(tf.config.experimental.get_memory_info("CPU:0")["peak"] - before)
        memory[name] = statistics.median(peaks) + variable_bytes[name]
    return memory


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--head", default="arcface", help="a cosine-margin head name")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--classes", type=int, default=100_000)
    parser.add_argument("--rates", type=float, nargs="+", default=[0.1, 0.3])
    parser.add_argument("--no-full", action="store_true", help="skip the full head (ratios need it)")
    parser.add_argument("--optimizer", choices=["sgd", "momentum", "adam", "lazy-adam"], default="sgd")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--jit", action="store_true", help="compile the steps with XLA")
    parser.add_argument("--memory", action="store_true", help="also measure peak memory")
    args = parser.parse_args()

    from keras_margin.utils.quiet import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    variants = ([] if args.no_full else [None]) + list(args.rates)
    label = {rate: "full" if rate is None else f"rate {rate:g}" for rate in variants}
    print(f"TensorFlow {tf.__version__}, {args.head}, C={args.classes:,}, B={args.batch}, "
          f"D={args.dim}, float32, {args.optimizer}, {'XLA' if args.jit else 'no XLA'}, "
          f"median of {args.repeats} interleaved rounds")
    built = {
        label[rate]: build_step(args.head, rate, args.batch, args.dim, args.classes, args.optimizer, args.jit)
        for rate in variants
    }
    runs = {name: run for name, (run, _, _) in built.items()}
    medians = time_steps(runs, args.repeats)
    memory = peak_memory(runs, {n: b for n, (_, b, _) in built.items()}) if args.memory else {}
    full = None if args.no_full else "full"
    header = f"{'variant':<12}{'ms/step':>10}" + (f"{'x full':>8}" if full else "")
    header += (f"{'peak MB':>10}" + (f"{'x full':>8}" if full else "")) if memory else ""
    header += f"{'loss first':>12}{'loss last':>11}{'target t/mem':>14}"
    print(header)
    for rate in variants:
        name = label[rate]
        line = f"{name:<12}{medians[name] * 1000:>10.1f}"
        if full:
            line += f"{medians[name] / medians[full]:>8.2f}"
        if memory:
            line += f"{memory[name] / 2**20:>10.0f}"
            if full:
                line += f"{memory[name] / memory[full]:>8.2f}"
        losses = built[name][2]
        line += f"{losses[0]:>12.3f}{losses[-1]:>11.3f}"
        if rate in TARGETS:
            line += f"{TARGETS[rate][0]:>8.2f}/{TARGETS[rate][1]:.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()

"""Runs per hour of a study grid, and where each run's wall time goes.

Each run of the grid is trained and measured by `keras_margin.studies.runner.run`, as
`keras-margin compare` does, in this process; the benchmark only watches it, through
wrappers it installs for the measurement and removes afterwards (nothing in the library
is timed by the library itself). A run's wall time (`runner.run` from call to return)
is split into parts that add up to it:

- `tracing`: building TensorFlow graphs. Every Python trace of any `tf.function` (the
  Keras train/test/predict functions, `tf.data` map functions, anything else) is timed
  by wrapping TensorFlow's `tracing_compilation._create_concrete_function`, outermost
  traces only (a function traced inside another counts once). A graph also costs time
  after its Python trace, on its first execution: graph optimisation (Grappler) and
  instantiation in the runtime. For the Keras train, test and predict functions that is
  caught by timing every call: a call during which a trace happened costs its time minus
  the median time of that function's calls without a trace (at least its Python trace
  time), and that excess is counted as tracing. The error: the excess of a first call
  also holds first-execution costs that are not tracing (oneDNN primitive creation,
  first allocations, and the wait for the first batch: at most `input_first_s` in the
  JSON, the pipeline's time to its first batch alone, less what its threads produced
  while the step was being traced), so `tracing` is an upper bound on graph building
  for those functions; and it misses the first-execution
  cost of the `tf.data` functions, which is paid when an iterator is created and lands in
  `other`. With a single train call (`--steps 1`) there is no steady call to subtract,
  and only the Python trace is counted. The Python trace alone is reported as
  `python_trace` in the JSON, a lower bound.
- `training`: the train function's calls without their tracing excess: steady-state
  step time x steps (summed call by call, so the parts add up). A step pulls its batch
  from the `tf.data` iterator inside the graph, so any wait on the input is in here.
- `validation`: the test function's calls during `fit`, without their tracing excess.
- `load`: `runner._load` (reading the data, building the pipelines), less its tracing.
- `evaluation`: everything after training (temperature calibration, test-split
  embeddings and metrics, open-set pairs, the row), less its tracing.
- `other`: the rest of the wall time: model and optimizer construction, `fit`'s set-up,
  iterator creation (with the `tf.data` functions' instantiation), callbacks.

Apart from the split, `input` is the time the run's own training pipeline (the dataset
handed to `fit_margin_model`, augmentation and prefetch included) takes to produce the
run's number of training batches alone, measured right after the run in the same
process by iterating it without training. It overlaps the training steps (`tf.data`
works on its own threads), so it is shown as a share of the wall time but is not one of
the parts that sum to 1: `input` close to or above `training` means the steps wait on
the pipeline.

Each spec runs `--rounds` times (rounds interleaved over the specs); a spec's row has
the medians of its seconds over rounds, and shares are of its median wall time (so they
sum to 1 within rounding). The `all` row sums seconds over specs: shares of the grid's
time. The first run of a process also pays one-time costs (lazy imports, first oneDNN
kernels); `--warmup` runs the first spec once, unmeasured, before the rounds.

Runs per hour: `1 process` is 3600 / the median wall time of a run in this process
(process start-up excluded). With `--workers N`, N fresh worker processes share the
same grid in a temporary output folder the way N `keras-margin compare` commands on one
`--output` do (`keras_margin.studies.run_study`, claiming runs through
`results.jsonl.claims`), and runs per hour is runs / (time from starting them to the last
one's exit) x 3600: process start-up and imports included, the report that `compare`
writes at the end not (workers are this script's own `--worker-output` mode, so that
`--limit` applies). Nothing here asserts a time: the numbers depend on the machine and
its load, which is printed (load average before and after).

Usage:
    python benchmarks/studies.py --limit 4 --rounds 1               # quick preset, first 4 runs
    python benchmarks/studies.py --limit 4 --rounds 1 --workers 2
    python benchmarks/studies.py --preset default --limit 6 --rounds 3 --json /tmp/studies.json
    python benchmarks/studies.py --dataset digits --studies closed-set --heads softmax \\
        --augment none --samples-per-class 10 --steps 2 --limit 1 --rounds 1
"""

import argparse
import contextlib
import dataclasses
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The parts of a run's wall time, which sum to it, in table order.
PARTS = ("tracing", "training", "validation", "load", "evaluation", "other")
# Every column of a row (seconds unless named otherwise); shares are `<part>_share`.
COLUMNS = ("wall_s", *(f"{part}_s" for part in PARTS), "input_s", "input_first_s", "python_trace_s",
           "steps", "step_ms", *(f"{part}_share" for part in PARTS), "input_share")


class _Recorder:
    """What the wrappers saw during one run."""

    def __init__(self):
        self.phase = "setup"
        self.phase_started = time.perf_counter()
        self.phase_seconds = {}
        self.trace_depth = 0
        self.python_trace = {}  # phase -> seconds of outermost Python traces
        self.calls = []  # (kind, phase, seconds, python trace seconds inside the call)
        self.fit = None  # (train dataset, steps_per_epoch, epochs) of the last fit
        self.steps_used = 0

    def enter(self, phase):
        now = time.perf_counter()
        self.phase_seconds[self.phase] = self.phase_seconds.get(self.phase, 0.0) + now - self.phase_started
        self.phase, self.phase_started = phase, now

    def total_python_trace(self):
        return sum(self.python_trace.values())


_RECORDER = None  # the run being watched, or None


@contextlib.contextmanager
def _patched(owner, name, make):
    original = getattr(owner, name)
    setattr(owner, name, make(original))
    try:
        yield
    finally:
        setattr(owner, name, original)


@contextlib.contextmanager
def instrumented():
    """Installs the wrappers for as long as the block runs, and removes them after."""
    import keras_margin.models
    from keras.src.backend.tensorflow import trainer
    from keras_margin.studies import runner
    from tensorflow.python.eager.polymorphic_function import tracing_compilation

    def trace_timer(original):
        def create_concrete_function(*args, **kwargs):
            recorder = _RECORDER
            if recorder is None or recorder.trace_depth:
                return original(*args, **kwargs)
            recorder.trace_depth += 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                recorder.trace_depth -= 1
                traces = recorder.python_trace
                traces[recorder.phase] = traces.get(recorder.phase, 0.0) + time.perf_counter() - started
        return create_concrete_function

    def call_timer(function, kind):
        def timed(*args, **kwargs):
            recorder = _RECORDER
            if recorder is None:
                return function(*args, **kwargs)
            traced_before, started = recorder.total_python_trace(), time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                recorder.calls.append((kind, recorder.phase, time.perf_counter() - started,
                                       recorder.total_python_trace() - traced_before))
        timed.benchmark_kind = kind
        return timed

    def maker(kind):
        attribute = f"{kind}_function"

        def wrap(original):
            def make_function(self, force=False):
                original(self, force)
                function = getattr(self, attribute)
                if function is not None and not hasattr(function, "benchmark_kind"):
                    setattr(self, attribute, call_timer(function, kind))
                return getattr(self, attribute)
            return make_function
        return wrap

    def phase(name, after):
        def wrap(original):
            def timed(*args, **kwargs):
                if _RECORDER is not None:
                    _RECORDER.enter(name)
                try:
                    return original(*args, **kwargs)
                finally:
                    if _RECORDER is not None:
                        _RECORDER.enter(after)
            return timed
        return wrap

    def fit_recorder(original):
        def fit_margin_model(backbone, head, train, *args, **kwargs):
            model, history = original(backbone, head, train, *args, **kwargs)
            if _RECORDER is not None:
                _RECORDER.fit = (train, kwargs.get("steps_per_epoch"), kwargs.get("epochs"))
                _RECORDER.steps_used += history.training_steps["steps_used"]
            return model, history
        return fit_margin_model

    with contextlib.ExitStack() as stack:
        stack.enter_context(_patched(tracing_compilation, "_create_concrete_function", trace_timer))
        for kind in ("train", "test", "predict"):
            stack.enter_context(_patched(trainer.TensorFlowTrainer, f"make_{kind}_function", maker(kind)))
        stack.enter_context(_patched(runner, "_load", phase("load", "between")))
        stack.enter_context(_patched(runner, "_train", phase("fit", "evaluation")))
        stack.enter_context(_patched(keras_margin.models, "fit_margin_model", fit_recorder))
        yield


def _split(recorder, wall):
    """The parts of `wall` from what `recorder` saw (seconds)."""
    tracing_by_phase = dict(recorder.python_trace)
    steady = {"train": 0.0, "test": 0.0, "predict": 0.0}
    for kind in steady:
        calls = [(phase, seconds, traced) for k, phase, seconds, traced in recorder.calls if k == kind]
        untraced = [seconds for _, seconds, traced in calls if traced == 0]
        median = statistics.median(untraced) if untraced else None
        for phase, seconds, traced in calls:
            if traced > 0:
                # The Python trace inside the call is already in python_trace; add the
                # rest of the call's excess over a steady call.
                excess = traced if median is None else min(seconds, max(seconds - median, traced))
                tracing_by_phase[phase] = tracing_by_phase.get(phase, 0.0) + excess - traced
                seconds -= excess
            steady[kind] += seconds
    phases = recorder.phase_seconds
    tracing = sum(tracing_by_phase.values())
    parts = {
        "tracing": tracing,
        "training": steady["train"],
        "validation": steady["test"],
        "load": phases.get("load", 0.0) - tracing_by_phase.get("load", 0.0),
        "evaluation": phases.get("evaluation", 0.0) - tracing_by_phase.get("evaluation", 0.0),
    }
    parts["other"] = max(wall - sum(parts.values()), 0.0)
    train_calls = [seconds for kind, _, seconds, traced in recorder.calls if kind == "train" and traced == 0]
    return parts, {"python_trace": recorder.total_python_trace(),
                   "step_ms": 1000 * statistics.median(train_calls) if train_calls else float("nan")}


def input_alone(train, steps_per_epoch, steps):
    """Seconds for `train` (as given to `fit_margin_model`) to yield `steps` batches alone,
    and to yield the first (iterator creation and pipeline start-up included)."""
    dataset = train.repeat() if steps_per_epoch is not None else train
    started, first = time.perf_counter(), None
    for _ in dataset.take(steps):
        first = first or time.perf_counter() - started
    return time.perf_counter() - started, first or 0.0


def measure(spec):
    """One run of `spec`, watched: `(row of seconds and shares, runner's row)`."""
    global _RECORDER
    from keras_margin.studies import runner

    recorder = _Recorder()
    _RECORDER = recorder
    try:
        started = time.perf_counter()
        recorder.phase_started = started
        result = runner.run(spec)
        wall = time.perf_counter() - started
        recorder.enter("done")
    finally:
        _RECORDER = None
    parts, extra = _split(recorder, wall)
    steps = recorder.steps_used
    train, steps_per_epoch, _ = recorder.fit
    input_seconds, input_first = input_alone(train, steps_per_epoch, steps)
    row = {"wall_s": wall, **{f"{part}_s": seconds for part, seconds in parts.items()},
           "input_s": input_seconds, "input_first_s": input_first,
           "python_trace_s": extra["python_trace"], "steps": steps, "step_ms": extra["step_ms"]}
    return _with_shares(row), result


def _with_shares(row):
    wall = row["wall_s"]
    for part in PARTS:
        row[f"{part}_share"] = row[f"{part}_s"] / wall if wall > 0 else 0.0
    row["input_share"] = row["input_s"] / wall if wall > 0 else 0.0
    return row


def _median_row(rows):
    keys = [column for column in COLUMNS if not column.endswith("_share")]
    return _with_shares({key: statistics.median(row[key] for row in rows) for key in keys})


def _total_row(rows):
    total = {key: sum(row[key] for row in rows) for key in COLUMNS if not key.endswith("_share")}
    steps = [row["step_ms"] for row in rows if not math.isnan(row["step_ms"])]
    total["step_ms"] = statistics.median(steps) if steps else float("nan")
    return _with_shares(total)


def grid_specs(args):
    """The `RunSpec`s of `--preset` with the overrides, the first `--limit` of them."""
    from keras_margin import studies

    if args.preset not in studies.PRESETS:
        raise SystemExit(f"unknown --preset {args.preset!r}; choose one of: {', '.join(studies.PRESETS)}")

    def names(text):
        return tuple(name.strip() for name in text.split(",") if name.strip())

    overrides = {}
    if args.dataset:
        overrides.update(closed_set_dataset=args.dataset, robustness_datasets=(args.dataset,))
    if args.heads:
        overrides["heads"] = names(args.heads)
    if args.augment:
        overrides["augments"] = names(args.augment)
    if args.samples_per_class:
        overrides["samples_per_class"] = tuple(None if value == "all" else int(value)
                                               for value in names(args.samples_per_class))
    if args.seeds:
        overrides["seeds"] = tuple(int(value) for value in names(args.seeds))
    if args.steps:
        overrides["steps"] = args.steps
    if args.studies:
        overrides["studies"] = names(args.studies)
    specs = dataclasses.replace(studies.PRESETS[args.preset], **overrides).specs()
    return specs[:args.limit] if args.limit else specs


def _grid_arguments(args):
    """The command-line flags that rebuild the same grid in a worker process."""
    flags = []
    for name in ("preset", "dataset", "heads", "augment", "samples_per_class", "seeds", "steps",
                 "studies", "limit"):
        value = getattr(args, name)
        if value is not None:
            flags += [f"--{name.replace('_', '-')}", str(value)]
    return flags


def workers_throughput(args, count):
    """Runs of the grid per hour with `count` worker processes sharing one output."""
    output = tempfile.mkdtemp(prefix="studies-benchmark-")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([REPO, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    try:
        logs = [open(os.path.join(output, f"worker-{index}.log"), "w") for index in range(count)]
        started = time.perf_counter()
        processes = [subprocess.Popen([sys.executable, os.path.abspath(__file__), *_grid_arguments(args),
                                       "--worker-output", os.path.join(output, "study")],
                                      stdout=log, stderr=subprocess.STDOUT, env=env)
                     for log in logs]
        codes = [process.wait() for process in processes]
        seconds = time.perf_counter() - started
        for log in logs:
            log.close()
        if any(codes):
            tails = [open(log.name).read()[-2000:] for log in logs]
            raise RuntimeError(f"a worker failed (exit codes {codes}):\n" + "\n---\n".join(tails))
        with open(os.path.join(output, "study", "results.jsonl")) as handle:
            runs = sum(1 for line in handle if line.strip())
    finally:
        shutil.rmtree(output, ignore_errors=True)
    return {"workers": count, "runs": runs, "seconds": seconds, "runs_per_hour": 3600 * runs / seconds}


def _short(spec):
    return spec.label().replace(f"seed={spec.seed}", f"s{spec.seed}").replace("augment=", "aug=")


def print_table(labels, rows, total):
    width = max(len(label) for label in labels + ["all"]) + 2
    parts = "".join(f"{part:>11}" for part in PARTS)
    print(f"{'run':<{width}}{'wall s':>8}{parts}{'input*':>9}{'steps':>7}{'step ms':>9}")
    for label, row in zip(labels + ["all (sum)"], rows + [total]):
        shares = "".join(f"{100 * row[f'{part}_share']:>10.1f}%" for part in PARTS)
        print(f"{label:<{width}}{row['wall_s']:>8.1f}{shares}{100 * row['input_share']:>8.1f}%"
              f"{row['steps']:>7}{row['step_ms']:>9.1f}", flush=True)
    print("* input: the training pipeline alone for the same batches, as a share of the wall time; "
          "it overlaps training and is not part of the sum")


def _commit():
    try:
        return subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def parse_arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="quick", help="a preset of keras_margin.studies.PRESETS "
                        "(default: %(default)s)")
    parser.add_argument("--dataset", help="closed-set (and robustness) dataset, e.g. digits")
    parser.add_argument("--heads", help="comma-separated head specs")
    parser.add_argument("--augment", help="comma-separated augmentation policies")
    parser.add_argument("--samples-per-class", help="comma-separated sizes, or all")
    parser.add_argument("--seeds", help="comma-separated seeds")
    parser.add_argument("--steps", type=int, help="optimizer steps of every run")
    parser.add_argument("--studies", help="comma-separated studies (default: the preset's)")
    parser.add_argument("--limit", type=int, help="only the first N runs of the grid")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each spec (default: %(default)s)")
    parser.add_argument("--warmup", action="store_true", help="run the first spec once, unmeasured, first")
    parser.add_argument("--workers", type=int, default=0, help="also measure N worker processes "
                        "sharing the grid (0: skip)")
    parser.add_argument("--json", help="write the measurements to this JSON file")
    parser.add_argument("--worker-output", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    """Measures the grid, prints the table; returns the report (also written by --json)."""
    args = parse_arguments(argv)
    from keras_margin.utils.quiet import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    import keras

    if args.worker_output:
        from keras_margin import studies

        studies.run_study(grid_specs(args), args.worker_output)
        return None
    specs = grid_specs(args)
    if not specs:
        raise SystemExit("the grid is empty")
    load_before = os.getloadavg()
    print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, commit {_commit()}, "
          f"{len(specs)} runs of preset {args.preset!r}, median of {args.rounds} rounds; "
          f"load average {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}", flush=True)
    measured = {index: [] for index in range(len(specs))}
    accuracy = {}
    with instrumented():
        if args.warmup:
            measure(specs[0])
        for _ in range(args.rounds):
            for index, spec in enumerate(specs):
                row, result = measure(spec)
                measured[index].append(row)
                accuracy[index] = result["metrics"]["accuracy"]
    rows = [_median_row(measured[index]) for index in range(len(specs))]
    total = _total_row(rows)
    labels = [_short(spec) for spec in specs]
    print()
    print_table(labels, rows, total)
    median_wall = statistics.median(row["wall_s"] for row in rows)
    throughput = {"one_process": {"median_run_s": median_wall, "runs_per_hour": 3600 / median_wall}}
    print(f"\nruns per hour, 1 process: {3600 / median_wall:.0f} (3600 / median run {median_wall:.1f} s; "
          f"process start-up excluded)", flush=True)
    if args.workers:
        workers = workers_throughput(args, args.workers)
        throughput["workers"] = workers
        print(f"runs per hour, {workers['workers']} worker processes sharing the grid: "
              f"{workers['runs_per_hour']:.0f} ({workers['runs']} runs in {workers['seconds']:.1f} s "
              f"from start to the last exit, start-up included)", flush=True)
    load_after = os.getloadavg()
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    report = {
        "environment": {"tensorflow": tf.__version__, "keras": keras.__version__, "commit": _commit(),
                        "cpus": os.cpu_count(), "load_average_before": list(load_before),
                        "load_average_after": list(load_after)},
        "arguments": vars(args),
        "columns": list(COLUMNS),
        "runs": [{"label": spec.label(), "key": spec.key, "accuracy": accuracy[index],
                  "rounds": measured[index], **rows[index]} for index, spec in enumerate(specs)],
        "all": total,
        "throughput": throughput,
    }
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2, default=str)
    return report


if __name__ == "__main__":
    main()

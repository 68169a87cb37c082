"""`run_study`: runs the unfinished runs of a grid, appending each to `results.jsonl`."""

import os
import sys
import time

from keras_margin.studies import runner
from keras_margin.studies.results_file import ResultsFile

RESULTS_FILE_NAME = "results.jsonl"


def run_study(specs, output, verbose=0, stream=None, run=runner.run):
    """Runs every spec not yet in `output/results.jsonl`, appending each as it finishes.

    Re-running with the same specs resumes: finished runs are skipped, and a run that
    was interrupted left no row, so it is redone.

    Args:
        specs: list of `RunSpec`.
        output: the study's folder (created if needed).
        verbose: the per-run Keras progress (0: silent).
        stream: where the progress over runs is printed (default: standard output).
        run: the function that turns a spec into a row (tests replace it).

    Returns:
        The `ResultsFile`.
    """
    stream = stream or sys.stdout
    os.makedirs(output, exist_ok=True)
    results = ResultsFile(os.path.join(output, RESULTS_FILE_NAME))
    finished = results.finished_keys()
    pending = [spec for spec in _unique(specs) if spec.key not in finished]
    total = len(_unique(specs))
    done = total - len(pending)
    if done:
        print(f"resuming: {done} of {total} runs already in {results.path}", file=stream)
    started = time.perf_counter()
    for number, spec in enumerate(pending, start=1):
        run_started = time.perf_counter()
        row = run(spec, verbose=verbose)
        results.append(row)
        done += 1
        elapsed = time.perf_counter() - started
        remaining = elapsed / number * (len(pending) - number)
        print(f"{_bar(done, total)} {done}/{total} runs, ~{_duration(remaining)} left | "
              f"{spec.label()}: accuracy {row['metrics']['accuracy']:.3f} "
              f"({time.perf_counter() - run_started:.0f} s)", file=stream, flush=True)
    return results


def _unique(specs):
    seen, unique = set(), []
    for spec in specs:
        if spec.key not in seen:
            seen.add(spec.key)
            unique.append(spec)
    return unique


def _bar(done, total, width=20):
    filled = round(width * done / max(total, 1))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def _duration(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"

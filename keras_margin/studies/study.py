"""`run_study`: runs the unfinished runs of a grid, appending each to `results.jsonl`."""

import os
import sys
import time

from keras_margin.studies import runner
from keras_margin.studies.results_file import ResultsFile

RESULTS_FILE_NAME = "results.jsonl"


def run_study(specs, output, verbose=0, stream=None, run=runner.run, poll_seconds=5.0):
    """Runs every spec not yet in `output/results.jsonl`, appending each as it finishes.

    Re-running with the same specs resumes: finished runs are skipped, and a run that
    was interrupted left no row, so it is redone.

    Several runners may share one `output` (two `keras-margin compare` commands, on
    one machine or several sharing the folder): each claims a spec before running it
    (see `ResultsFile.claim`), so they split the grid between them and every spec is
    run and recorded once. A runner that has nothing left to claim waits for the specs
    that others are running, checking every `poll_seconds`, and takes over any whose
    runner died, so that when it returns every spec has a row.

    Args:
        specs: list of `RunSpec`.
        output: the study's folder (created if needed).
        verbose: the per-run Keras progress (0: silent).
        stream: where the progress over runs is printed (default: standard output).
        run: the function that turns a spec into a row (tests replace it).
        poll_seconds: how often to look again while other runners hold the last specs.

    Returns:
        The `ResultsFile`.
    """
    stream = stream or sys.stdout
    os.makedirs(output, exist_ok=True)
    results = ResultsFile(os.path.join(output, RESULTS_FILE_NAME))
    unique = _unique(specs)
    by_key = {spec.key: spec for spec in unique}
    total = len(unique)
    done = len(results.finished_keys() & set(by_key))
    if done:
        print(f"resuming: {done} of {total} runs already in {results.path}", file=stream)
    seconds_per_run, waiting_for = [], None
    while True:
        key, others = results.claim(list(by_key))
        if key is None:
            if not others:
                return results
            if waiting_for != len(others):
                waiting_for = len(others)
                print(f"waiting for {len(others)} runs that another runner is training",
                      file=stream, flush=True)
            time.sleep(poll_seconds)
            continue
        spec, run_started = by_key[key], time.perf_counter()
        try:
            row = run(spec, verbose=verbose)
        except BaseException:
            results.release(key)  # another runner, or the next attempt, redoes it
            raise
        results.append(row)
        seconds_per_run.append(time.perf_counter() - run_started)
        done = len(results.finished_keys() & set(by_key))
        remaining = sum(seconds_per_run) / len(seconds_per_run) * (total - done - len(others))
        print(f"{_bar(done, total)} {done}/{total} runs, ~{_duration(remaining)} left | "
              f"{spec.label()}: accuracy {row['metrics']['accuracy']:.3f} "
              f"({seconds_per_run[-1]:.0f} s)", file=stream, flush=True)


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

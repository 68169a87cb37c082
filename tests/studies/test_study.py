"""`run_study`: every run once, resume after an interruption, no duplicate, no lost row."""

import io
import json
import multiprocessing
import os
import socket
import subprocess
import time

import pytest

from keras_margin.studies import Preset
from keras_margin.studies import ResultsFile
from keras_margin.studies import run_study
from fake_rows import fake_run

TINY = Preset(heads=("softmax", "arcface"), augments=("none",), samples_per_class=(5,), seeds=(0, 1),
              steps=2, open_set_datasets=(), picture_heads=())


def test_every_run_is_recorded_once_with_progress(tmp_path):
    stream = io.StringIO()
    results = run_study(TINY.specs(), tmp_path, stream=stream, run=fake_run)
    keys = [row["key"] for row in results.rows()]
    assert sorted(keys) == sorted(spec.key for spec in TINY.specs()) and len(keys) == 4
    assert "4/4 runs" in stream.getvalue() and "accuracy" in stream.getvalue()


def test_interrupted_study_resumes_without_duplicates_or_losses(tmp_path):
    calls = []

    def interrupted_after_one(spec, verbose=0):
        if calls:
            raise KeyboardInterrupt  # the second run is killed half-way
        calls.append(spec.key)
        return fake_run(spec)

    with pytest.raises(KeyboardInterrupt):
        run_study(TINY.specs(), tmp_path, stream=io.StringIO(), run=interrupted_after_one)
    assert ResultsFile(tmp_path / "results.jsonl").finished_keys() == set(calls)

    rerun = []

    def counting(spec, verbose=0):
        rerun.append(spec.key)
        return fake_run(spec)

    stream = io.StringIO()
    results = run_study(TINY.specs(), tmp_path, stream=stream, run=counting)
    assert "resuming: 1 of 4" in stream.getvalue()
    assert calls[0] not in rerun and len(rerun) == 3
    keys = [row["key"] for row in results.rows()]
    assert len(keys) == len(set(keys)) == 4


def test_duplicate_specs_run_once(tmp_path):
    specs = TINY.specs()
    results = run_study(specs + specs, tmp_path, stream=io.StringIO(), run=fake_run)
    assert len(results.rows()) == 4


def _runner_process(output, log, started, barrier):
    """One of two concurrent runners (forked): its first run waits until the other
    runner has started one too, so both are busy at once."""
    first = []

    def logged(spec, verbose=0):
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()} {spec.key}\n")
        if not first:
            first.append(spec.key)
            with started.get_lock():
                started.value += 1
            deadline = time.monotonic() + 60
            while started.value < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
        return fake_run(spec)

    barrier.wait()
    run_study(TINY.specs(), output, stream=io.StringIO(), run=logged, poll_seconds=0.05)


def test_two_concurrent_runners_share_the_grid_and_write_each_row_once(tmp_path):
    context = multiprocessing.get_context("fork")
    log = tmp_path / "calls"
    started, barrier = context.Value("i", 0), context.Barrier(2)
    runners = [context.Process(target=_runner_process, args=(tmp_path / "out", log, started, barrier))
               for _ in range(2)]
    for process in runners:
        process.start()
    for process in runners:
        process.join(120)
    assert [process.exitcode for process in runners] == [0, 0]
    calls = [line.split() for line in log.read_text().splitlines()]
    keys = sorted(spec.key for spec in TINY.specs())
    assert sorted(key for _, key in calls) == keys  # every spec run once, by one runner
    assert len({pid for pid, _ in calls}) == 2  # both runners worked
    rows = ResultsFile(tmp_path / "out" / "results.jsonl").rows()
    assert sorted(row["key"] for row in rows) == keys


def test_a_runner_waits_for_another_runners_spec_and_takes_it_over_if_it_dies(tmp_path):
    specs = TINY.specs()
    results = ResultsFile(tmp_path / "results.jsonl")
    other = subprocess.Popen(["sleep", "0.5"])  # a runner holding the first spec
    with open(results.claims_path, "w") as handle:
        json.dump({specs[0].key: {"host": socket.gethostname(), "pid": other.pid,
                                  "started": None}}, handle)
    stream, ran = io.StringIO(), []

    def recording(spec, verbose=0):
        ran.append(spec.key)
        return fake_run(spec)

    run_study(specs, tmp_path, stream=stream, run=recording, poll_seconds=0.05)
    other.wait()
    assert ran[:3] == [spec.key for spec in specs[1:]] and ran[3:] == [specs[0].key]
    assert "waiting for 1 runs that another runner is training" in stream.getvalue()
    assert sorted(results.finished_keys()) == sorted(spec.key for spec in specs)

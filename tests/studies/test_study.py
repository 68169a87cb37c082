"""`run_study`: every run once, resume after an interruption, no duplicate, no lost row."""

import io

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

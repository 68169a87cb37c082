"""`keras-margin tune`: a tiny real search, resuming after SIGKILL, `compare --tuned`, bad input."""

import contextlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import types

import optuna
import pytest

import keras_margin as km
from keras_margin.cli.main import main
from keras_margin.studies import search_space
from keras_margin.studies.search_space import settings_from_params

TINY = ["--dataset", "digits", "--samples-per-class", "5", "--steps", "2", "--augment", "none,light"]


class _UnreadTestSplit:
    """The test split handed to the tuner: any use of it fails the test."""

    used = []

    def __getattr__(self, name):
        _UnreadTestSplit.used.append(name)
        raise AssertionError("tune used the test split")

    def __iter__(self):
        _UnreadTestSplit.used.append("__iter__")
        raise AssertionError("tune iterated the test split")


def _count(database, query, *parameters):
    try:
        with sqlite3.connect(database, timeout=1) as connection:
            return connection.execute(query, parameters).fetchone()[0]
    except sqlite3.OperationalError:  # the tables do not exist yet, or are locked
        return 0


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    """A search killed with SIGKILL while its second trial trains, then run again to the
    end in this process, its output captured and the test split handed to it unreadable.
    Both tests below read it: the resume is the search whose summary and `--tuned` use
    are checked, so no second search trains."""
    output = tmp_path_factory.mktemp("searched") / "tune"
    arguments = ["tune", *TINY, "--heads", "cosface", "--trials", "2", "--output", str(output)]
    process = subprocess.Popen([sys.executable, "-m", "keras_margin.cli.main", *arguments],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    database = output / "tune.db"
    # Kill it while a trial trains (its process and all its parameters recorded), after
    # one finished. A trial suggests its parameters in the order of the space, so the
    # last one recorded means all are.
    last = search_space.search_space("cosface", ("none", "light"))[-1]
    assert not last.condition
    worker = ("SELECT COUNT(*) FROM trials JOIN trial_user_attributes USING (trial_id) "
              "WHERE state = 'RUNNING' AND key = 'worker'")
    params = ("SELECT COUNT(*) FROM trials JOIN trial_params USING (trial_id) "
              "WHERE state = 'RUNNING' AND param_name = ?")
    deadline = time.monotonic() + 600
    while not (_count(database, "SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'") >= 1
               and _count(database, worker) == 1 and _count(database, params, last.name) == 1):
        assert process.poll() is None and time.monotonic() < deadline, "the search ended before the kill"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    killed = _count(database, "SELECT number FROM trials WHERE state = 'RUNNING'")
    finished_before = _count(database, "SELECT COUNT(*) FROM trials WHERE state IN ('COMPLETE', 'PRUNED')")

    load = km.data.load

    def without_test(*args, **kwargs):
        train, validation, _, info = load(*args, **kwargs)
        return train, validation, _UnreadTestSplit(), info

    _UnreadTestSplit.used.clear()
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        patch.setattr(km.data, "load", without_test)
        status = main(arguments)
    return types.SimpleNamespace(output=output, database=database, killed=killed,
                                 finished_before=finished_before, status=status,
                                 out=out.getvalue(), err=err.getvalue(),
                                 used=list(_UnreadTestSplit.used))


def test_tune_writes_the_summary_and_compare_tuned_runs_the_head_with_its_best(
        killed_and_resumed, tmp_path, capsys):
    searched = killed_and_resumed
    output = searched.output
    assert searched.status == 0
    assert searched.used == []
    assert "tuning cosface on closed-set digits: 2 trials each, 2 steps per trial" in searched.out
    lines = searched.out.splitlines()
    header = next(index for index, line in enumerate(lines) if line.startswith("head"))
    assert lines[header].split()[:3] == ["head", "validation", "accuracy"]
    assert "cosface: 100%" in searched.err  # the progress bar

    best = json.loads((output / "best_params.json").read_text())
    url = f"sqlite:///{output / 'tune.db'}"
    entry = best["heads"]["cosface"]
    trials = optuna.load_study(study_name=entry["study_name"], storage=url).get_trials(
        states=(optuna.trial.TrialState.COMPLETE,))
    top = max(trials, key=lambda trial: (trial.value, -trial.number))
    assert (entry["value"], entry["trial"], entry["params"]) == (top.value, top.number, top.params)
    assert entry["head_options"] == settings_from_params(top.params)[0]
    assert set(entry["head_options"]) == {"scale", "margin"}
    assert lines[header + 1].split()[:4] == ["cosface", f"{top.value:.4f}", str(top.number), "2"]

    study = tmp_path / "compare"
    assert main(["compare", "--preset", "quick", "--dataset", "digits", "--studies", "closed-set",
                 "--samples-per-class", "5", "--seeds", "0", "--steps", "2", "--tuned", str(output),
                 "--output", str(study)]) == 0
    assert f"tuned settings from {output} (closed-set digits, 2 trials per head" in capsys.readouterr().out
    [spec] = [json.loads(line)["spec"] for line in (study / "results.jsonl").read_text().splitlines()]
    cosface = best["heads"]["cosface"]
    assert spec["head"] == "cosface" and dict(spec["head_options"]) == cosface["head_options"]
    assert (spec["learning_rate"], spec["augment"]) == (cosface["learning_rate"], cosface["augment"])


def test_tune_resumes_after_sigkill_with_no_lost_or_duplicated_trial(killed_and_resumed):
    searched = killed_and_resumed
    killed, finished_before = searched.killed, searched.finished_before
    assert searched.status == 0
    best = json.loads((searched.output / "best_params.json").read_text())["heads"]["cosface"]
    trials = optuna.load_study(study_name=best["study_name"],
                               storage=f"sqlite:///{searched.database}").trials
    finished = [trial for trial in trials if trial.state in (optuna.trial.TrialState.COMPLETE,
                                                             optuna.trial.TrialState.PRUNED)]
    assert len(finished) == 2 and best["finished"] == 2
    assert len({trial.number for trial in finished}) == 2
    assert {trial.state for trial in trials} <= {optuna.trial.TrialState.COMPLETE,
                                                 optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL}
    # The killed trial failed and ran again exactly once, with its parameters.
    assert [trial.number for trial in trials if trial.state == optuna.trial.TrialState.FAIL] == [killed]
    retries = [trial for trial in finished if trial.system_attrs.get("failed_trial") == killed]
    assert len(retries) == 1 and retries[0].params == trials[killed].params
    # Trials finished before the kill were kept, not redone.
    assert len([trial for trial in finished if trial.number < killed]) == finished_before
    assert len(trials) == 3


@pytest.mark.parametrize("arguments, message", [
    (["--trials", "0"], "--trials must be an integer >= 1"),
    (["--steps", "0"], "--steps must be an integer >= 1"),
    (["--heads", "softmax,magicface"], "magicface"),
    (["--heads", "arcface,arcface"], "--heads must name at least one head, each once"),
    (["--heads", ","], "--heads needs at least one name"),
    (["--augment", "none,extreme"], "--augment must be policies of none, light, standard, strong"),
    (["--study", "video"], "--study"),
    (["--study", "open-set", "--far", "0"], "--far must be in (0, 1)"),
    (["--study", "open-set", "--validation-identities", "1"], "--validation-identities must be in (0, 1)"),
    (["--samples-per-class", "x"], "--samples-per-class must be a whole number or 'all'"),
    (["--dataset", "imagenet"], "imagenet"),
    (["--storage", "nonsense://nowhere"], "cannot open the storage nonsense://nowhere"),
])
def test_bad_input_is_one_line_and_exit_2_before_any_training(tmp_path, capsys, arguments, message):
    output = tmp_path / "out"
    status = main(["tune", "--output", str(output), *arguments])
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1 and message in error
    assert not (output / "best_params.json").exists()


@pytest.mark.parametrize("extra, message", [
    (["--tuned", "missing"], "no best_params.json in missing"),
    (["--tuned", "TUNED", "--augment", "none"], "--augment does not apply with --tuned"),
    (["--tuned", "TUNED", "--heads", "softmax,arcface"], "head 'arcface' was not tuned"),
])
def test_compare_tuned_bad_input_is_one_line_and_exit_2(tmp_path, capsys, extra, message):
    tuned = tmp_path / "tuned"
    tuned.mkdir()
    (tuned / "best_params.json").write_text(json.dumps({"heads": {"softmax": {
        "value": 0.5, "head_options": {}, "learning_rate": 1e-3, "augment": "none"}}}))
    extra = [str(tuned) if value == "TUNED" else value for value in extra]
    status = main(["compare", "--output", str(tmp_path / "out"), *extra])
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1 and message in error

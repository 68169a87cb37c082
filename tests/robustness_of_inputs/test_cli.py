"""Hostile command lines (issue 18): each must stop with one line on stderr and exit
status 2, before any training.

"Before training" is checked by replacing the training function with one that fails
the test if it is reached.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from keras_margin import studies
from keras_margin.cli.main import main

FAST = ["--dataset", "digits", "--samples-per-class", "5", "--embedding-dim", "8",
        "--epochs", "1", "--augment", "none", "--verbose", "0"]


class ReachedTraining(Exception):
    pass


@pytest.fixture
def no_training(monkeypatch):
    """Training (train's fit, compare's study) raises `ReachedTraining` instead."""

    def reached(*args, **kwargs):
        raise ReachedTraining

    monkeypatch.setattr(km.models, "fit_small_cnn", reached)
    monkeypatch.setattr(studies, "run_study", reached)


def one_error_line(capsys, status):
    assert status == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("keras-margin: error: "), lines
    return lines[0]


def unwritable_folder(tmp_path):
    """A folder no file can be created in, also for root (who ignores permissions)."""
    if os.geteuid() == 0:
        return "/sys"  # sysfs refuses new files to everyone
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o555)
    return str(folder)


@pytest.mark.parametrize("arguments, flag", [
    (["--epochs", "0"], "--epochs"),  # was: a decay_steps traceback after loading the data
    (["--embedding-dim", "0"], "--embedding-dim"),  # was: a traceback from the backbone
    (["--batch-size", "0"], "--batch-size"),
    (["--samples-per-class", "-1"], "--samples-per-class"),
    (["--learning-rate", "inf"], "--learning-rate"),  # was: exit 0 and a NaN model exported
    (["--learning-rate", "nan"], "--learning-rate"),
    (["--learning-rate", "-0.1"], "--learning-rate"),
    (["--learning-rate", "0"], "--learning-rate"),
])
def test_bad_training_arguments(tmp_path, capsys, no_training, arguments, flag):
    line = one_error_line(capsys, main(["train", *FAST, *arguments, "--output", str(tmp_path / "o")]))
    assert flag in line
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("where", ["a file", "under a file", "not writable"])
@pytest.mark.parametrize("command", ["train", "compare"])
def test_an_output_folder_that_cannot_be_written(tmp_path, capsys, no_training, where, command):
    (tmp_path / "notes.txt").write_text("a file")
    output = {"a file": str(tmp_path / "notes.txt"), "under a file": str(tmp_path / "notes.txt" / "run"),
              "not writable": os.path.join(unwritable_folder(tmp_path), "run")}[where]
    arguments = FAST if command == "train" else [
        "--preset", "quick", "--heads", "softmax", "--augment", "none", "--samples-per-class", "5",
        "--seeds", "0", "--steps", "2", "--open-set", "none", "--pictures", "none"]
    line = one_error_line(capsys, main([command, *arguments, "--output", output]))
    assert "--output" in line and output in line


@pytest.mark.parametrize("where", ["a folder", "under a file", "not writable"])
def test_an_evaluate_output_that_cannot_be_written(tmp_path, capsys, where):
    # Checked before the model is even loaded; before the fix evaluate computed every
    # metric, then failed with a traceback and left OUTPUT.tmp-PID behind.
    (tmp_path / "notes.txt").write_text("a file")
    (tmp_path / "metrics").mkdir()
    output = {"a folder": str(tmp_path / "metrics"), "under a file": str(tmp_path / "notes.txt" / "m.json"),
              "not writable": os.path.join(unwritable_folder(tmp_path), "m.json")}[where]
    line = one_error_line(capsys, main(["evaluate", str(tmp_path / "no-model"), "--output", output]))
    assert "--output" in line
    assert not [name for name in os.listdir(tmp_path) if ".tmp" in name]
    assert not os.listdir(tmp_path / "metrics")


def test_an_atomic_write_that_fails_leaves_no_temporary_file(tmp_path):
    from keras_margin.utils.atomic_write import write_atomically

    (tmp_path / "data").mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomically(tmp_path / "data", "{}")
    assert os.listdir(tmp_path) == ["data"]
    write_atomically(tmp_path / "new" / "metrics.json", "{}\n")
    assert os.listdir(tmp_path / "new") == ["metrics.json"]


def write_images(folder, per_class, channels=3, size=8):
    rng = np.random.default_rng(0)
    for name in ("circle", "square", "cross"):
        (folder / name).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            pixels = rng.integers(0, 255, (size, size, channels)).astype(np.uint8)
            tf.io.write_file(str(folder / name / f"{index}.png"), tf.io.encode_png(pixels))
    return folder


def train_on_folder(folder, tmp_path):
    return main(["train", "--dataset", "folder", "--data-dir", str(folder), "--samples-per-class", "0",
                 "--embedding-dim", "8", "--epochs", "1", "--augment", "none", "--verbose", "0",
                 "--output", str(tmp_path / "run")])


def test_one_image_per_class_is_refused_before_training(tmp_path, capsys, no_training):
    # Before the fix: it trained, then failed with a TypeError (no test split to evaluate).
    folder = write_images(tmp_path / "images", per_class=1)
    line = one_error_line(capsys, train_on_folder(folder, tmp_path))
    assert "circle" in line and "at least 3" in line


def test_a_sub_folder_named_like_an_image_is_ignored(tmp_path, no_training):
    # Before the fix: a FailedPreconditionError traceback ("Is a directory").
    folder = write_images(tmp_path / "images", per_class=4)
    (folder / "circle" / "x.png").mkdir()
    with pytest.raises(ReachedTraining):
        train_on_folder(folder, tmp_path)


def test_a_corrupt_png_is_one_line_even_with_tensorflow_logging_on(tmp_path):
    # In a child process with TensorFlow's C++ warnings shown (the tests silence them):
    # before the fix, the decoder's "PNG warning" and "Local rendezvous is aborting"
    # lines came out as well as the error.
    folder = write_images(tmp_path / "images", per_class=4)
    (folder / "circle" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n but then garbage")
    script = os.path.join(os.path.dirname(sys.executable), "keras-margin")
    result = subprocess.run(
        [script, "train", "--dataset", "folder", "--data-dir", str(folder), "--output", str(tmp_path / "run")],
        capture_output=True, text=True, timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "1"})
    assert result.returncode == 2
    about_the_image = [line for line in result.stderr.splitlines() if "PNG" in line or "png" in line]
    assert len(about_the_image) == 1 and about_the_image[0].startswith("keras-margin: error: ")
    assert "broken.png" in about_the_image[0] and "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def grey_model(tmp_path_factory):
    """An untrained SavedModel of 8x8 grey images (predict needs no training)."""
    model = km.MarginModel(km.models.small_cnn(embedding_dim=8, input_shape=(8, 8, 1), width=4),
                           km.heads.create("cosface", 3, [2, 2, 2]))
    model(np.zeros((1, 8, 8, 1), np.float32))
    folder = tmp_path_factory.mktemp("grey_model") / "saved_model"
    model.export(str(folder), verbose=False)
    return folder


def test_predict_reads_grey_alpha_and_rgba_images(grey_model, tmp_path, capsys):
    # Before the fix a grey + alpha PNG reached the model as 2 channels: a 300-line
    # traceback. Alpha is dropped, so each image classifies as the same image without it.
    grey = np.random.default_rng(0).integers(0, 255, (8, 8, 1)).astype(np.uint8)
    images = {"grey.png": grey, "grey_alpha.png": np.concatenate([grey, np.full_like(grey, 9)], -1),
              "rgba.png": np.concatenate([np.repeat(grey, 3, -1), np.full_like(grey, 200)], -1)}
    for name, pixels in images.items():
        tf.io.write_file(str(tmp_path / name), tf.io.encode_png(pixels))
    capsys.readouterr()
    assert main(["predict", str(grey_model), *[str(tmp_path / name) for name in images]]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [os.path.basename(line["file"]) for line in lines] == list(images)
    for line in lines[1:]:
        np.testing.assert_allclose(line["probabilities"], lines[0]["probabilities"], atol=2e-6)


@pytest.mark.parametrize("report_only", [True, False])
def test_a_truncated_results_file_is_one_line(tmp_path, capsys, no_training, report_only):
    # Before the fix: the right refusal, as an 18-line traceback.
    output = tmp_path / "study"
    output.mkdir()
    (output / studies.RESULTS_FILE_NAME).write_text('{"key": "a", "accuracy": 0.5}\n{"key": "b", "acc')
    arguments = ["--report-only"] if report_only else ["--heads", "softmax", "--augment", "none",
                                                        "--samples-per-class", "5", "--seeds", "0"]
    line = one_error_line(capsys, main(["compare", "--preset", "quick", *arguments, "--output", str(output)]))
    assert "results.jsonl, line 2" in line

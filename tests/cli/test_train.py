"""`keras-margin train`: the main job, its outputs, and its one-line errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km

from keras_margin.cli.main import main

FAST = ["--epochs", "1", "--samples-per-class", "5", "--embedding-dim", "8", "--verbose", "0",
        "--dataset", "digits"]


def test_train_writes_export_model_and_summary(tmp_path, capsys):
    output = tmp_path / "run"
    status = main(["train", *FAST, "--head", "cosface", "--scale", "16", "--margin", "0.2",
                   "--augment", "light", "--patience", "1", "--output", str(output)])
    assert status == 0
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "macro-F1" in printed and "parameters" in printed
    summary = json.loads((output / "summary.json").read_text())
    assert summary["head"]["class"] == "CosFace"
    assert summary["head"]["config"]["scale"] == 16.0 and summary["head"]["config"]["margin"] == 0.2
    assert summary["dataset"]["train_class_counts"] == [5] * 10
    assert 0.0 <= summary["test_accuracy"] <= 1.0 and 0.0 <= summary["test_macro_f1"] <= 1.0
    assert summary["parameters"] > 0
    assert summary["temperature"] > 0
    steps = summary["training_steps"]
    assert steps["steps_used"] <= steps["max_steps"] and steps["best_step"] <= steps["steps_used"]
    serve = tf.saved_model.load(str(output / "saved_model")).signatures["serving_default"]
    result = serve(inputs=tf.zeros((2, 8, 8, 1)))
    assert result["probabilities"].shape == (2, 10)
    assert (output / "model.keras").exists()
    assert not [p for p in os.listdir(output) if ".tmp" in p]


class _Built(Exception):
    """Raised in place of training, once the command has built its head."""


@pytest.mark.parametrize("head", km.heads.names())
def test_every_head_is_built_from_the_command_line(tmp_path, monkeypatch, head):
    # Each head's training is tested once, in tests/heads; here only what the command
    # adds: the head it builds from --head and the dataset (classes, class counts).
    built = {}

    def stop_before_training(train, validation, head, *args, **kwargs):
        built["head"] = head
        raise _Built

    monkeypatch.setattr(km.models, "fit_small_cnn", stop_before_training)
    with pytest.raises(_Built):
        main(["train", *FAST, "--head", head, "--augment", "none", "--output", str(tmp_path)])
    assert type(built["head"]) is km.heads.get(head)
    assert built["head"].num_classes == 10


# A head without a margin, a multiplicative-margin head and one that adds a loss of
# its own (MagFace's feature-norm regulariser), trained and exported end to end.
@pytest.mark.parametrize("head", ["softmax", "sphereface", "magface"])
def test_heads_of_each_kind_train_from_the_command_line(tmp_path, head):
    assert main(["train", *FAST, "--head", head, "--augment", "none", "--output", str(tmp_path)]) == 0
    assert (tmp_path / "saved_model").is_dir()


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--head", "magicface"], "Unknown head 'magicface'"),
        (["--margin", "7"], "`margin` must be in"),
        (["--head", "sphereface", "--margin", "2.5"], "`margin` must be an integer"),
        (["--head", "sphereface", "--scale", "30"], "--scale does not apply to the sphereface head"),
        (["--augment", "extreme"], "unknown --augment 'extreme'"),
        (["--dataset", "imagenet"], "imagenet"),
        (["--dataset", "fashion-mnist", "--data-dir", "/nonexistent/folder"], "/nonexistent/folder"),
        (["--epochs", "many"], "--epochs"),
        (["--patience", "0"], "--patience"),
        (["--patience", "2", "--validation-split", "0"], "--patience needs validation data"),
        (["--no-such-flag"], "unrecognized arguments"),
    ],
)
def test_bad_arguments_print_one_line_and_exit_2(tmp_path, capsys, arguments, message):
    status = main(["train", "--output", str(tmp_path / "out"), *arguments])
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("keras-margin: error:") and message in lines[0]
    assert not (tmp_path / "out").exists()


def test_missing_dataset_names_the_package(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train", "--dataset", "fashion-mnist", "--data-dir", str(empty), "--output", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "dataset-fashion-mnist" in err and len(err.splitlines()) == 1


def test_console_script_is_quiet_and_exits_2_without_traceback(tmp_path):
    script = os.path.join(os.path.dirname(sys.executable), "keras-margin")
    result = subprocess.run([script, "train", "--head", "nope", "--output", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"keras-margin: error: Unknown head 'nope'; choose one of: {', '.join(km.heads.names())}."]
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_predictions_of_the_export_match_the_keras_model(tmp_path):
    output = tmp_path / "run"
    assert main(["train", *FAST, "--output", str(output)]) == 0
    import keras

    import keras_margin as km

    train, _, test = km.data.load("digits", samples_per_class=5, seed=0)
    images = next(iter(test))[0].numpy()
    model = keras.saving.load_model(str(output / "model.keras"))
    serve = tf.saved_model.load(str(output / "saved_model")).signatures["serving_default"]
    np.testing.assert_allclose(serve(inputs=tf.constant(images))["probabilities"],
                               model.predict(images, verbose=0), rtol=1e-5, atol=1e-6)


def test_train_on_a_folder_of_class_sub_folders(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in ("circle", "square", "cross"):
        (tmp_path / "images" / name).mkdir(parents=True)
        for i in range(12):
            pixels = rng.integers(0, 255, (12, 12, 3)).astype("uint8")
            Image.fromarray(pixels).save(tmp_path / "images" / name / f"{i}.png")
    status = main(["train", "--dataset", "folder", "--data-dir", str(tmp_path / "images"), "--epochs", "1",
                   "--samples-per-class", "0", "--embedding-dim", "8", "--verbose", "0", "--augment", "none",
                   "--output", str(tmp_path / "run")])
    assert status == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["dataset"]["num_classes"] == 3


def test_folder_dataset_needs_data_dir(tmp_path, capsys):
    assert main(["train", "--dataset", "folder", "--output", str(tmp_path)]) == 2
    assert "--data-dir" in capsys.readouterr().err


def test_test_metrics_use_the_studies_definitions():
    # Class 2 is in neither the labels nor the predictions: the studies' macro F1
    # averages it in as 0 (scikit-learn's default would drop it and report 1.0 here).
    from keras_margin.cli.train import _evaluate

    probabilities = np.array([[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.7, 0.2, 0.1]], "float32")

    class Predictor:
        def predict(self, data, verbose=0):
            return probabilities

    test = [(np.zeros((3, 4, 4, 1)), np.array([0, 1, 0]))]
    accuracy, macro_f1 = _evaluate(Predictor(), test)
    expected = km.metrics.closed_set_metrics(np.array([0, 1, 0]), probabilities)
    assert accuracy == expected["accuracy"] == 1.0
    assert macro_f1 == pytest.approx(expected["macro_f1"]) and macro_f1 == pytest.approx(2 / 3)

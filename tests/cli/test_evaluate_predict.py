"""`keras-margin evaluate` and `predict` on a SavedModel exported by `keras-margin train`."""

import json

import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from keras_margin.cli.main import main


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    output = tmp_path_factory.mktemp("trained")
    status = main(["train", "--dataset", "digits", "--epochs", "2", "--samples-per-class", "20",
                   "--embedding-dim", "8", "--verbose", "0", "--augment", "none", "--head", "cosface",
                   "--scale", "16", "--output", str(output)])
    assert status == 0
    return output


def test_evaluate_prints_and_writes_the_metrics(trained, tmp_path, capsys):
    capsys.readouterr()
    destination = tmp_path / "metrics.json"
    assert main(["evaluate", str(trained), "--dataset", "digits", "--pairs", "1000",
                 "--output", str(destination)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(destination.read_text())
    assert printed["num_test"] == 359 and printed["dataset"] == "digits"
    summary = json.loads((trained / "summary.json").read_text())
    # The SavedModel gives the same test accuracy as the Keras model did after training.
    assert printed["closed_set"]["accuracy"] == pytest.approx(summary["test_accuracy"], abs=1e-6)
    for name in ("eer", "roc_auc", "verification_accuracy", "tar_at_far_1e-2"):
        assert 0.0 <= printed["verification"][name] <= 1.0


def test_predict_writes_one_json_line_per_file(trained, tmp_path, capsys):
    from sklearn.datasets import load_digits

    digits = load_digits()
    files = []
    for index in (0, 1):
        image = (digits.images[index] * 255.0 / 16.0).astype(np.uint8)[..., None]
        path = tmp_path / f"digit{index}.png"
        tf.io.write_file(str(path), tf.io.encode_png(image))
        files.append(str(path))
    rgb = tmp_path / "large_rgb.png"  # other size and channels: converted and resized
    tf.io.write_file(str(rgb), tf.io.encode_png(np.full((32, 24, 3), 200, np.uint8)))
    files.append(str(rgb))
    capsys.readouterr()
    assert main(["predict", str(trained / "saved_model"), *files, "--embedding"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["file"] for line in lines] == files
    for line in lines:
        assert len(line["probabilities"]) == 10 and abs(sum(line["probabilities"]) - 1) < 1e-4
        assert line["class_id"] == int(np.argmax(line["probabilities"]))
        assert abs(np.linalg.norm(line["embedding"]) - 1) < 1e-4


@pytest.mark.parametrize("command", [
    ["evaluate", "/nonexistent/model"],
    ["predict", "/nonexistent/model", "image.png"],
])
def test_missing_model_is_one_line_exit_2(command, capsys):
    assert main(command) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "/nonexistent/model" in error


def test_unreadable_image_is_one_line_exit_2(trained, tmp_path, capsys):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    assert main(["predict", str(trained), str(bad)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "notes.png" in error


def test_evaluate_resizes_a_dataset_as_train_image_size_did(tmp_path, capsys):
    # A tiny saved backbone at 12x12: `train --image-size 12 12` resizes the 8x8 digits,
    # and so must `evaluate`, for the exported model takes only 12x12 images.
    backbone = str(tmp_path / "tiny.keras")
    km.models.small_cnn(embedding_dim=4, input_shape=(12, 12, 1), width=2).save(backbone)
    output = tmp_path / "run"
    assert main(["train", "--dataset", "digits", "--samples-per-class", "3", "--embedding-dim", "4",
                 "--epochs", "1", "--verbose", "0", "--augment", "none", "--backbone", backbone,
                 "--image-size", "12", "12", "--output", str(output)]) == 0
    capsys.readouterr()
    assert main(["evaluate", str(output), "--dataset", "digits", "--pairs", "1000"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["num_test"] == 359
    # Resized exactly as train resized its test split: the same accuracy.
    summary = json.loads((output / "summary.json").read_text())
    assert printed["closed_set"]["accuracy"] == pytest.approx(summary["test_accuracy"], abs=1e-6)


def test_evaluate_refuses_images_of_other_channels(trained, tmp_path, capsys):
    # Height and width are resized; channels are not converted, by train either.
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for index in range(5):
            image = np.full((10, 10, 3), 40 * index, np.uint8)
            tf.io.write_file(str(tmp_path / name / f"{index}.png"), tf.io.encode_png(image))
    assert main(["evaluate", str(trained), "--dataset", "folder", "--data-dir", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "(8, 8, 1)" in error and "(8, 8, 3)" in error


def test_a_folder_without_data_dir_is_one_line_as_in_train(trained, capsys):
    # train's side: tests/cli/test_train.py::test_folder_dataset_needs_data_dir.
    assert main(["evaluate", str(trained), "--dataset", "folder"]) == 2
    error = capsys.readouterr().err
    assert error == ("keras-margin: error: --dataset folder needs --data-dir FOLDER "
                     "(one sub-folder per class)\n")

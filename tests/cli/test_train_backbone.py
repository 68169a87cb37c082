"""`keras-margin train --backbone`: keras.applications backbones, resizing, frozen first epochs."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km

from keras_margin.cli.main import main

# digits are 8x8 grey images; 3 per class, one batch per epoch, 32x32 for MobileNetV3.
FAST = ["--dataset", "digits", "--samples-per-class", "3", "--embedding-dim", "8", "--verbose", "0",
        "--augment", "none", "--backbone", "mobilenetv3small", "--image-size", "32", "32"]


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    """A local weights file of MobileNetV3Small without its top (random, but not a fresh start)."""
    base = km.models.backbone("mobilenetv3small", (32, 32, 1), embedding_dim=8).get_layer("base")
    rng = np.random.default_rng(0)
    base.set_weights([w + rng.normal(0.0, 0.01, w.shape).astype(w.dtype) for w in base.get_weights()])
    path = str(tmp_path_factory.mktemp("weights") / "mobilenetv3small_notop.weights.h5")
    base.save_weights(path)
    return path, {v.path: np.asarray(v) for v in base.weights}


def _trained_base(output):
    model = keras.saving.load_model(str(output / "model.keras"))
    return {v.path: np.asarray(v) for v in model.backbone.get_layer("base").weights}


def test_mobilenet_trains_a_frozen_epoch_from_local_weights_and_exports(tmp_path, weights_file):
    path, initial = weights_file
    output = tmp_path / "run"
    assert main(["train", *FAST, "--backbone-weights", path, "--epochs", "1",
                 "--freeze-backbone-epochs", "1", "--output", str(output)]) == 0
    summary = json.loads((output / "summary.json").read_text())
    assert summary["backbone"] == {"name": "mobilenetv3small", "weights": path, "input_shape": [32, 32, 1],
                                   "freeze_backbone_epochs": 1}
    trained = _trained_base(output)
    assert trained.keys() == initial.keys()
    for key, value in initial.items():  # frozen: exactly the file's weights
        np.testing.assert_array_equal(trained[key], value)
    serve = tf.saved_model.load(str(output / "saved_model")).signatures["serving_default"]
    result = serve(inputs=tf.fill((2, 32, 32, 1), 255.0))
    assert result["probabilities"].shape == (2, 10) and result["embedding"].shape == (2, 8)


def test_a_saved_backbone_is_frozen_then_fine_tuned(tmp_path):
    # A tiny saved small_cnn as --backbone PATH: the same two phases as an application,
    # at a fraction of the cost.
    path = str(tmp_path / "mine.keras")
    km.models.small_cnn(embedding_dim=6, input_shape=(8, 8, 1), width=2).save(path)
    initial = {v.path: np.asarray(v) for v in keras.saving.load_model(path).weights}
    output = tmp_path / "run"
    assert main(["train", "--dataset", "digits", "--samples-per-class", "3", "--embedding-dim", "8",
                 "--verbose", "0", "--augment", "none", "--backbone", path, "--epochs", "3",
                 "--freeze-backbone-epochs", "1", "--output", str(output)]) == 0
    summary = json.loads((output / "summary.json").read_text())
    assert len(summary["history"]["loss"]) == 3  # one frozen epoch, two fine-tuning epochs
    assert summary["training_steps"]["steps_used"] == summary["training_steps"]["max_steps"] == 3
    trained = _trained_base(output)
    statistics = [key for key in initial if "moving" in key]
    kernels = [key for key in initial if key.endswith("kernel")]
    assert statistics and kernels
    for key in statistics:  # the network's batch normalisation stayed in inference mode
        np.testing.assert_array_equal(trained[key], initial[key])
    for key in kernels:  # and the network itself was fine-tuned
        assert not np.array_equal(trained[key], initial[key]), key


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--backbone", "resnet9000"], "--backbone resnet9000: Unknown `name` 'resnet9000'"),
        (["--backbone", "mobilenetv3small"], "at least 32"),  # digits are 8x8
        (["--freeze-backbone-epochs", "1"], "--freeze-backbone-epochs needs --backbone"),
        (["--backbone", "mobilenetv3small", "--epochs", "2", "--freeze-backbone-epochs", "3"],
         "--freeze-backbone-epochs 3 is more than --epochs 2"),
        (["--freeze-backbone-epochs", "-1"], "--freeze-backbone-epochs"),
        (["--backbone-weights", "w.h5"], "--backbone-weights needs --backbone"),
        (["--backbone", "mobilenetv3small", "--backbone-weights", "/no/such.h5"], "is not a file"),
        (["--image-size", "0", "32"], "--image-size"),
        (["--image-size", "32"], "--image-size"),
    ],
)
def test_bad_backbone_arguments_print_one_line_and_exit_2(tmp_path, capsys, arguments, message):
    status = main(["train", "--dataset", "digits", "--output", str(tmp_path / "out"), *arguments])
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("keras-margin: error:") and message in lines[0]
    assert not (tmp_path / "out").exists()


def test_a_weights_file_of_another_network_exits_2(tmp_path, capsys, weights_file):
    path, _ = weights_file
    status = main(["train", "--dataset", "digits", "--backbone", "efficientnetv2b0", "--image-size", "32", "32",
                   "--backbone-weights", path, "--output", str(tmp_path / "out")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(lines) == 1
    assert "`weights` file" in lines[0] and "could not be loaded into efficientnetv2b0" in lines[0]

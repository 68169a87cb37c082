"""`keras-margin train --sample-rate R`: class-centre sampling from the command line."""

import json

import pytest
import tensorflow as tf

from keras_margin.cli.main import main

FAST = ["--epochs", "1", "--samples-per-class", "5", "--embedding-dim", "8", "--verbose", "0",
        "--dataset", "digits", "--augment", "none"]


def test_sample_rate_reaches_the_head_and_the_export_covers_every_class(tmp_path):
    output = tmp_path / "run"
    # batch 4 with rate 0.5 of 10 classes: 5 classes per step, so the sampled path runs
    status = main(["train", *FAST, "--head", "cosface", "--sample-rate", "0.5", "--batch-size", "4",
                   "--seed", "3", "--output", str(output)])
    assert status == 0
    summary = json.loads((output / "summary.json").read_text())
    assert summary["head"]["config"]["sample_rate"] == 0.5 and summary["head"]["config"]["seed"] == 3
    assert summary["arguments"]["sample_rate"] == 0.5
    serve = tf.saved_model.load(str(output / "saved_model")).signatures["serving_default"]
    assert serve(inputs=tf.zeros((2, 8, 8, 1)))["probabilities"].shape == (2, 10)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--head", "sphereface", "--sample-rate", "0.1"], "--sample-rate does not apply to the sphereface head"),
        (["--head", "softmax", "--sample-rate", "0.1"], "--sample-rate does not apply to the softmax head"),
        (["--head", "arcface", "--sample-rate", "0"], "--sample-rate must be in (0, 1]; received 0.0"),
        (["--head", "arcface", "--sample-rate", "1.5"], "--sample-rate must be in (0, 1]; received 1.5"),
        (["--head", "arcface", "--sample-rate", "-0.2"], "--sample-rate must be in (0, 1]; received -0.2"),
        (["--head", "arcface", "--sample-rate", "nan"], "--sample-rate must be in (0, 1]; received nan"),
        (["--head", "arcface", "--sample-rate", "half"], "--sample-rate"),
        (["--head", "arcface", "--sample-rate", "0.5", "--augment", "strong"],
         "--sample-rate needs class-id labels, and --augment strong mixes images"),
    ],
)
def test_bad_sample_rates_print_one_line_and_exit_2(tmp_path, capsys, arguments, message):
    status = main(["train", "--dataset", "digits", "--output", str(tmp_path / "out"), *arguments])
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("keras-margin: error:") and message in lines[0]
    assert not (tmp_path / "out").exists()

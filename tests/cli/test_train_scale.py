"""`keras-margin train --scale`: a number or "auto", and the AdaCos head."""

import json

import pytest

import keras_margin as km
from keras_margin.cli.main import main

FAST = ["--epochs", "1", "--samples-per-class", "5", "--embedding-dim", "8", "--verbose", "0",
        "--dataset", "digits", "--augment", "none"]


@pytest.mark.parametrize("arguments, expected", [
    (["--head", "arcface", "--scale", "auto"], ("ArcFace", "auto")),
    (["--head", "adacos"], ("AdaCos", None)),
])
def test_auto_scale_and_adacos_train(tmp_path, arguments, expected):
    assert main(["train", *FAST, *arguments, "--output", str(tmp_path)]) == 0
    head = json.loads((tmp_path / "summary.json").read_text())["head"]
    assert (head["class"], head["config"].get("scale")) == expected
    assert km.heads.auto_scale(10) == pytest.approx(6.113, abs=1e-3)


@pytest.mark.parametrize("arguments, message", [
    (["--scale", "big"], "--scale"),
    (["--head", "adacos", "--scale", "auto"], "--scale does not apply to the adacos head"),
    (["--head", "adacos", "--sample-rate", "0.5"], "`sample_rate` needs `dynamic=False`"),
])
def test_bad_scales_print_one_line_and_exit_2(tmp_path, capsys, arguments, message):
    status = main(["train", "--output", str(tmp_path / "out"), *arguments])
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(lines) == 1 and message in lines[0], lines
    assert not (tmp_path / "out").exists()

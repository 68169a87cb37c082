"""`keras-margin compare --studies robustness`: a tiny grid end to end, the mCE, the grid."""

import dataclasses
import json
import os

import numpy as np
import pytest

from keras_margin.cli.main import main
from keras_margin.studies import PRESETS
from keras_margin.studies import RunSpec
from keras_margin.studies.corruption_error import corruption_errors
from keras_margin.studies.corruption_error import mean_corruption_error

TINY = ["--studies", "robustness", "--dataset", "digits", "--heads", "softmax,arcface",
        "--augment", "none", "--adversarial", "none,fgsm-rs:epsilon=8.0", "--corruptions", "rotate",
        "--attack-epsilons", "4,64", "--robustness-test-size", "48", "--samples-per-class", "5",
        "--seeds", "0", "--steps", "2"]


def test_tiny_robustness_grid_trains_measures_and_reports(tmp_path, capsys):
    output = tmp_path / "robustness"
    assert main(["compare", *TINY, "--output", str(output)]) == 0
    rows = [json.loads(line) for line in (output / "results.jsonl").read_text().splitlines()]
    # softmax, arcface x plain, FGSM-RS (its spec canonical: "8.0" is written "8").
    assert sorted((row["spec"]["head"], row["spec"]["adversarial"]) for row in rows) == [
        ("arcface", "fgsm-rs:epsilon=8"), ("arcface", "none"),
        ("softmax", "fgsm-rs:epsilon=8"), ("softmax", "none")]
    for row in rows:
        detail = row["robustness"]
        assert detail["test_images"] == 48
        assert list(detail["corruption_accuracy"]) == ["rotate"]
        assert len(detail["corruption_accuracy"]["rotate"]) == 5
        assert detail["pgd"]["epsilons"] == [4.0, 64.0]
        for accuracies in (detail["pgd"]["accuracy"], detail["pgd"]["accuracy_margin"]):
            assert all(0.0 <= value <= 1.0 for value in accuracies)
        # The worst case over both losses is no better than either.
        assert all(worst <= min(ce, margin) for worst, ce, margin in zip(
            detail["pgd"]["accuracy"], detail["pgd"]["accuracy_cross_entropy"],
            detail["pgd"]["accuracy_margin"]))
        assert row["robustness_metrics"]["mean_pgd_accuracy"] == pytest.approx(
            np.mean(detail["pgd"]["accuracy"]))
    errors = corruption_errors(rows)
    baseline = [config for config in errors if config[2] == "softmax" and config[13] == "none"]
    assert len(baseline) == 1 and errors[baseline[0]][0] == pytest.approx(1.0)  # by definition
    report = (output / "report.md").read_text()
    assert "Robustness: common corruptions and adversarial attacks" in report
    assert "mCE (vs head=softmax, augment=none, adversarial=none)" in report
    assert "Robustness: adversarial training instead of none" in report
    for figure in ("robustness_severity_digits.png", "robustness_epsilon.png"):
        assert os.path.getsize(output / "figures" / figure) > 1000
    assert "adversarial" in (output / "results.csv").read_text().splitlines()[0]


def test_mean_corruption_error_against_a_hand_computed_value():
    model = {"rotate": [0.9, 0.8, 0.7, 0.6, 0.5], "contrast": [1.0, 1.0, 0.9, 0.9, 0.8]}
    baseline = {"rotate": [0.8, 0.6, 0.4, 0.2, 0.0], "contrast": [0.9, 0.9, 0.8, 0.8, 0.6],
                "shear": [0.5] * 5}
    # rotate: errors 1.5 / 3.0 = 0.5; contrast: 0.4 / 1.0 = 0.4; shear only in the baseline.
    assert mean_corruption_error(model, baseline) == pytest.approx(0.45)
    # A corruption the baseline never gets wrong has no ratio; none at all gives None.
    assert mean_corruption_error({"rotate": [0.5] * 5}, {"rotate": [1.0] * 5}) is None


def test_the_robustness_preset_is_the_issues_grid():
    specs = PRESETS["robustness"].specs()
    assert {spec.study for spec in specs} == {"robustness"}
    assert {spec.dataset for spec in specs} == {"mnist-5k", "fashion-mnist"}
    assert {spec.head for spec in specs} == {"softmax", "cosface", "arcface", "softmax+arcface"}
    assert {spec.augment for spec in specs} == {"none", "standard"}
    assert {spec.adversarial for spec in specs} == {"none", "pgd:epsilon=32"}
    assert len(specs) == 2 * 4 * 2 * 2 * 3
    # Other presets' grids are unchanged by the robustness study's fields.
    assert all(spec.study != "robustness" for spec in PRESETS["default"].specs())


def test_new_fields_are_keyed_only_when_set():
    spec = RunSpec("closed-set", "mnist-5k", "softmax", "none", 10, 0, 250)
    # The key this run had before the robustness fields existed (computed then), so old
    # results.jsonl files still resume.
    assert spec.key == "1ca67840f0d495a7"
    assert dataclasses.replace(spec, adversarial="pgd:epsilon=32").key != spec.key
    # JSON lists read back give the same key as tuples.
    robust = RunSpec("robustness", "digits", "softmax", "none", 5, 0, 2, corruptions=["rotate"],
                     attack_epsilons=[4, 64])
    assert robust.key == RunSpec(**json.loads(json.dumps(robust.as_dict()))).key


@pytest.mark.parametrize("arguments, message", [
    (["--adversarial", "pgd"], "--adversarial"),
    (["--adversarial", "free:epsilon=8"], "method"),
    (["--corruptions", "snow"], "--corruptions"),
    (["--attack-epsilons", "4,big"], "--attack-epsilons"),
    (["--robustness-test-size", "0"], "--robustness-test-size"),
])
def test_bad_robustness_options_are_one_line_and_exit_2(tmp_path, capsys, arguments, message):
    status = main(["compare", "--studies", "robustness", "--output", str(tmp_path / "out"), *arguments])
    assert status == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1

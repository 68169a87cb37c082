"""`runner.run` for real, on tiny runs: every study and every remedy trains and is measured."""

import json

import numpy as np
import pytest

from keras_margin.studies import RunSpec
from keras_margin.studies import runner
from keras_margin.studies import write_report


def tiny(study, head, remedy="none", **fields):
    return RunSpec(study, "digits", head, "none", fields.pop("samples_per_class", 10), 0, 6,
                   embedding_dim=8, batch_size=32, remedy=remedy, **fields)


@pytest.fixture(scope="module")
def trained():
    """Every study and remedy trained once, shared by the tests below (a tiny run is
    mostly tracing, so each run saved is seconds). The heads each run built are
    recorded, so that a test can see what `head_options` did to the trained head."""
    import keras_margin as km

    specs = [
        tiny("closed-set", "arcface", head_options=(("scale", 16), ("margin", 0.3))),
        tiny("long-tailed", "softmax", "class-weights", samples_per_class=None, imbalance_ratio=20),
        tiny("long-tailed", "ldam", "drw", samples_per_class=None, imbalance_ratio=20),
        tiny("label-noise", "softmax", "bootstrapping", label_noise=0.4),
        tiny("label-noise", "subcenterarcface", "sub-center-cleaning", label_noise=0.4),
        tiny("convergence", "arcface", "margin-warmup"),
        tiny("closed-set", "softmax+arcface", patience=1, validation_every=2,
             head_options=(("scale", 16),)),
    ]
    create, built, rows = km.heads.create, [], []

    def recording_create(*args, **kwargs):
        built[-1].append(create(*args, **kwargs))
        return built[-1][-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(km.heads, "create", recording_create)
        for spec in specs:
            built.append([])
            rows.append(runner.run(spec))
    return rows, built


@pytest.fixture(scope="module")
def rows(trained):
    return trained[0]


def test_rows_are_json_and_complete(rows):
    for row in rows:
        assert json.loads(json.dumps(row))["key"] == row["key"]
        assert 0.0 <= row["metrics"]["accuracy"] <= 1.0
        assert len(row["per_class_accuracy"]) == 10
        if row["spec"]["patience"] is None:
            assert len(row["history"]["val_accuracy"]) == 6  # one validation per step here
            assert row["steps_used"] == 6 and row["best_step"] is None and not row["stopped_early"]
        assert 0.0 <= row["metrics"]["calibrated_expected_calibration_error"] <= 1.0
        assert row["metrics"]["temperature"] > 0
        assert sum(row["angle_histogram"]["counts"]) == row["dataset"]["num_test"]
    # The balanced test split's accuracy is the mean of the per-class accuracies.
    assert rows[0]["metrics"]["accuracy"] == pytest.approx(np.mean(rows[0]["per_class_accuracy"]),
                                                           abs=0.02)


def test_long_tailed_rows_train_on_an_imbalanced_split(rows):
    counts = rows[1]["dataset"]["train_class_counts"]
    assert counts == sorted(counts, reverse=True) and counts[0] / counts[-1] >= 10


def test_cleaning_is_measured_against_the_corrupted_labels(rows):
    cleaning = rows[4]["cleaning"]
    assert cleaning["corrupted"] > 0
    assert 0 <= cleaning["dropped_that_were_corrupted"] <= min(cleaning["dropped"], cleaning["corrupted"])
    assert cleaning["recall"] == pytest.approx(cleaning["dropped_that_were_corrupted"] / cleaning["corrupted"])


def test_report_has_the_difficulty_sections(rows, tmp_path):
    write_report(rows, tmp_path)
    markdown = (tmp_path / "report.md").read_text()
    for title in ("## Long-tailed training set", "## Noisy training labels", "## Convergence"):
        assert title in markdown
    assert (tmp_path / "figures" / "long_tailed.png").exists()
    assert (tmp_path / "figures" / "convergence.png").exists()
    assert "label noise 40%" in markdown or "40%" in markdown


def test_sub_center_cleaning_needs_the_sub_center_head():
    with pytest.raises(ValueError, match="subcenterarcface"):
        tiny("label-noise", "arcface", "sub-center-cleaning", label_noise=0.2)


def test_text_runs_with_and_without_eda_and_report_the_paper_beside(tmp_path):
    specs = [RunSpec("text", "fortunes", "cosface", augment, None, 0, 4, embedding_dim=8,
                     batch_size=32, num_train=60) for augment in ("none", "eda")]
    rows = [runner.run(spec) for spec in specs]
    for row in rows:
        assert row["dataset"]["num_train"] == 60 and len(row["per_class_accuracy"]) == 15
    write_report(rows, tmp_path)
    markdown = (tmp_path / "report.md").read_text()
    assert "## Text: EDA on limited data" in markdown
    assert "N = 60: measured EDA gain" in markdown and "no number for this size" in markdown


def test_eda_parameters_follow_the_paper():
    import keras_margin as km  # the table lives beside the EDA layer now

    assert km.augment.text.eda_parameters(500) == (0.05, 16)
    assert km.augment.text.eda_parameters(2000) == (0.05, 8)
    assert km.augment.text.eda_parameters(4000) == (0.1, 4)
    assert km.augment.text.eda_parameters(None) == (0.1, 4)


def test_head_options_reach_the_trained_head(trained):
    rows, built = trained
    row, [head] = rows[0], built[0]  # closed-set arcface with scale=16, margin=0.3
    config = head.get_config()
    assert (config["scale"], config["margin"]) == (16, 0.3)
    assert row["spec"]["head_options"] == (("margin", 0.3), ("scale", 16))
    assert json.loads(json.dumps(row))["spec"]["head_options"] == [["margin", 0.3], ["scale", 16]]
    # The joint run: the option reaches its margin head (softmax has none to take).
    joint = {type(head).__name__: head.get_config() for head in built[-1]}
    assert sorted(joint) == ["ArcFace", "Softmax"] and joint["ArcFace"]["scale"] == 16


def test_a_joint_run_stops_early_and_reports_its_steps(rows):
    row = rows[-1]
    steps = len(row["history"]["val_accuracy"]) * 2
    assert row["steps_used"] == steps <= 6 and row["best_step"] <= steps
    assert row["stopped_early"] == (steps < 6)
    assert "loss" in row["history"]

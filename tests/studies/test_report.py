"""`write_report` from a tiny grid: files, tables, verdicts that follow the numbers."""

import csv
import dataclasses
import os

import pytest

from keras_margin.studies import Preset
from keras_margin.studies import write_report
from fake_rows import fake_run

GRID = Preset(heads=("softmax", "arcface"), augments=("none", "standard"), samples_per_class=(5, 20),
              seeds=(0, 1, 2), steps=3, open_set_datasets=("digits-open",), picture_heads=("arcface",))


def test_report_files_tables_and_figures(tmp_path):
    rows = [fake_run(spec) for spec in GRID.specs()]
    rows[-1]["dataset"]["fonts"] = ["Nimbus Sans Bold (train)", "DejaVu Serif Book (test)"]
    paths = write_report(rows, tmp_path, command="keras-margin compare --preset tiny")
    markdown = (tmp_path / "report.md").read_text()
    html = (tmp_path / "report.html").read_text()
    for name in ("accuracy_vs_samples", "learning_curves", "angle_histograms",
                 "roc_unseen_identities", "embeddings_2d"):
        assert (tmp_path / "figures" / f"{name}.png").stat().st_size > 1000
        assert f"figures/{name}.png" in markdown
    assert html.count("data:image/png;base64,") == 5 and "figures/" not in html
    assert "keras-margin compare --preset tiny" in markdown
    assert "fonts used: Nimbus Sans Bold (train), DejaVu Serif Book (test)" in markdown
    # arcface is 5 points above softmax for every seed: an interval that excludes 0.
    assert "head=arcface vs head=softmax (5 per class, augment=none, mnist-5k)" in markdown
    assert "accuracy +5.0 ± 0.0 points over 3 seeds — better" in markdown
    with open(paths["csv"]) as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == len(rows) and "open_set_tar_at_far_1e-2" in table[0]


def test_report_says_when_nothing_helped(tmp_path):
    specs = dataclasses.replace(GRID, open_set_datasets=(), picture_heads=()).specs()
    rows = [fake_run(spec, accuracy=0.9 + 0.01 * spec.seed) for spec in specs]
    write_report(rows, tmp_path)
    markdown = (tmp_path / "report.md").read_text()
    assert "better in 0" in markdown
    assert "no clear difference" in markdown
    assert "Helped:" not in markdown


def test_single_seed_gives_no_verdict(tmp_path):
    specs = dataclasses.replace(GRID, seeds=(0,), open_set_datasets=(), picture_heads=()).specs()
    write_report([fake_run(spec) for spec in specs], tmp_path)
    markdown = (tmp_path / "report.md").read_text()
    assert "single seed, no interval" in markdown and "— better" not in markdown
    assert "Undecided (one seed" in markdown and "Did **not** help" not in markdown


def test_steps_used_and_convergence_are_reported(tmp_path):
    specs = [dataclasses.replace(spec, patience=2) for spec in
             dataclasses.replace(GRID, seeds=(0, 1, 2), open_set_datasets=("digits-open",),
                                 picture_heads=()).specs()]
    rows = []
    for spec in specs:
        row = fake_run(spec)
        row.update(steps_used=spec.seed + 1, best_step=1, stopped_early=spec.seed < 2)
        row["metrics"]["calibrated_expected_calibration_error"] = 0.01
        rows.append(row)
    paths = write_report(rows, tmp_path)
    markdown = (tmp_path / "report.md").read_text()
    assert "steps used (median, range)" in markdown
    assert "| 2 (1-3) of 3, early stop 2/3 |" in markdown
    assert "Every run trained until validation accuracy stopped rising" in markdown
    assert "ECE after temperature scaling" in markdown
    with open(paths["csv"]) as handle:
        assert next(csv.DictReader(handle))["steps_used"] == "1"


def test_fixed_budget_single_seed_runs_are_labelled_illustrative(tmp_path):
    specs = dataclasses.replace(GRID, seeds=(0,), open_set_datasets=(), picture_heads=()).specs()
    write_report([fake_run(spec) for spec in specs], tmp_path)
    markdown = (tmp_path / "report.md").read_text()
    assert "**Not trained to convergence**" in markdown and "illustrative only" in markdown
    assert "| 3 (fixed) |" in markdown


def test_a_failed_write_keeps_the_previous_csv_whole(tmp_path, monkeypatch):
    rows = [fake_run(spec) for spec in GRID.specs()[:4]]
    write_report(rows, tmp_path)
    before = (tmp_path / "results.csv").read_bytes()

    real_fsync, calls = os.fsync, []

    def full_disk_at_the_csv(descriptor):
        # report.md and report.html are written first; the disk fills at results.csv.
        calls.append(descriptor)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", full_disk_at_the_csv)
    with pytest.raises(OSError, match="No space"):
        write_report(rows[:2], tmp_path)
    assert (tmp_path / "results.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if ".tmp" in p.name) == []

"""`keras-margin compare --pretraining` (a grid axis of closed-set image runs) and losses on
embeddings in `--heads`: runs and bad input."""

import argparse
import json

import pytest

from keras_margin.cli import compare
from keras_margin.cli.main import main
from keras_margin.studies.run_spec import RunSpec

TINY = ["--preset", "quick", "--studies", "closed-set", "--dataset", "digits", "--heads", "softmax",
        "--augment", "none", "--samples-per-class", "10", "--seeds", "0", "--steps", "2"]


def test_each_pretraining_is_a_closed_set_run_and_the_report_compares_them(tmp_path, capsys):
    output = tmp_path / "study"
    arguments = ["compare", *TINY, "--pretraining", "none,simclr", "--pretraining-steps", "1",
                 "--output", str(output)]
    assert main(arguments) == 0
    assert "2 runs in the grid" in capsys.readouterr().out
    rows = [json.loads(line) for line in (output / "results.jsonl").read_text().splitlines()]
    assert sorted((r["spec"]["pretraining"], r["spec"]["pretraining_steps"]) for r in rows) == [
        ("none", None), ("simclr", 1)]
    simclr = next(r for r in rows if r["spec"]["pretraining"] == "simclr")
    assert simclr["pretraining"]["kind"] == "simclr" and simclr["pretraining"]["steps"] == 1
    assert all("pretraining" not in r for r in rows if r["spec"]["pretraining"] == "none")
    report = (output / "report.md").read_text()
    assert "### Pre-training instead of none (closed set, test accuracy)" in report
    assert "pretraining=simclr, pretraining_steps=1 vs pretraining=none" in report
    header = (output / "results.csv").read_text().splitlines()[0].split(",")
    assert "pretraining" in header and "pretraining_steps" in header

    assert main(arguments) == 0
    assert "resuming: 2 of 2 runs" in capsys.readouterr().out


def test_pretraining_steps_go_to_the_pre_trained_runs_of_the_ssl_study():
    specs = [RunSpec(study="closed-set", dataset="digits", head="softmax", augment="none",
                     samples_per_class=10, seed=0, steps=2, pretraining=pretraining)
             for pretraining in ("none", "simclr")]
    args = argparse.Namespace(pretraining=None, pretraining_steps=7, task="image")
    assert [s.pretraining_steps for s in compare._with_pretraining(specs, args)] == [None, 7]


def test_other_studies_run_once_from_scratch():
    closed = RunSpec(study="closed-set", dataset="digits", head="softmax", augment="none",
                     samples_per_class=10, seed=0, steps=2)
    opened = RunSpec(study="open-set", dataset="mnist-5k-open", head="softmax", augment="none",
                     samples_per_class=5, seed=0, steps=2)
    args = argparse.Namespace(pretraining="none,transfer:glyphs", pretraining_steps=7, task="image")
    specs = compare._with_pretraining([closed, opened], args)
    assert [(s.study, s.pretraining, s.pretraining_steps) for s in specs] == [
        ("closed-set", "none", None), ("closed-set", "transfer:glyphs", 7), ("open-set", "none", None)]


@pytest.mark.parametrize("arguments, message", [
    ([*TINY, "--pretraining", "imagenet"], "--pretraining: `pretraining` must be 'none', 'simclr' or "
     "'transfer:DATASET'"),
    ([*TINY, "--pretraining", "transfer:"], "--pretraining: `pretraining` must be"),
    ([*TINY, "--pretraining-steps", "5"], "--pretraining-steps needs --pretraining or --studies ssl"),
    ([*TINY[:-2], "--studies", "transfer"], "for 'digits' give the source with --studies closed-set "
     "--pretraining none,transfer:DATASET"),
    ([*TINY[:-2], "--studies", "ssl", "--pretraining-steps", "0"], "--pretraining-steps must be >= 1"),
    ([*TINY, "--pretraining", "simclr", "--pretraining-steps", "0"], "--pretraining-steps must be >= 1"),
    (["--task", "text", "--pretraining", "simclr"], "--pretraining applies to --task image"),
    ([*TINY, "--pretraining", "transfer:faces"], "faces"),
])
def test_bad_pretraining_is_one_line_and_exit_2(tmp_path, capsys, arguments, message):
    status = main(["compare", "--output", str(tmp_path / "out"), *arguments])
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1 and message in error
    assert not (tmp_path / "out" / "results.jsonl").exists()


@pytest.mark.parametrize("arguments, message", [
    (["--heads", "triplet:margin=-1"], "--heads: options margin=-1 of the triplet loss are refused"),
    (["--heads", "triplet:bogus=1"], "of the triplet loss are refused"),
    (["--heads", "softmax+triplet"], "trains alone, not in a joint model"),
    (["--heads", "triplet", "--augment", "strong"], "'strong' policy mixes images and labels"),
    (["--heads", "tripletface"], "Or a loss on embeddings: triplet, contrastive, multisimilarity, supcon"),
])
def test_bad_pair_losses_are_one_line_and_exit_2(tmp_path, capsys, arguments, message):
    status = main(["compare", "--output", str(tmp_path / "out"), "--dataset", "digits",
                   "--studies", "closed-set", *arguments])
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1 and message in error

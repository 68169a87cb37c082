"""`keras-margin compare`: a tiny real grid end to end, resume, report-only, bad input."""

import json

import pytest

from keras_margin.cli.main import main

TINY = ["--preset", "quick", "--dataset", "digits", "--open-set", "mnist-5k-open", "--pictures",
        "softmax", "--heads", "softmax,cosface", "--augment", "none", "--samples-per-class", "5",
        "--seeds", "0", "--steps", "4"]


def test_tiny_grid_trains_reports_and_resumes(tmp_path, capsys):
    output = tmp_path / "study"
    assert main(["compare", *TINY, "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert "5 runs in the grid" in printed and "5/5 runs" in printed
    assert f"report: {output / 'report.html'}" in printed
    rows = [json.loads(line) for line in (output / "results.jsonl").read_text().splitlines()]
    assert sorted((row["spec"]["study"], row["spec"]["head"]) for row in rows) == [
        ("closed-set", "cosface"), ("closed-set", "softmax"), ("embedding-picture", "softmax"),
        ("open-set", "cosface"), ("open-set", "softmax")]
    opened = [row for row in rows if row["spec"]["study"] == "open-set"]
    assert opened[0]["dataset"]["unseen_class_names"] == ["6", "7", "8", "9"]
    assert 0.0 <= opened[0]["open_set_metrics"]["eer"] <= 1.0
    assert len(opened[0]["history"]["val_accuracy"]) == 4  # one curve point per step here
    picture = next(row for row in rows if row["spec"]["study"] == "embedding-picture")
    assert len(picture["points"]["embeddings"][0]) == 2
    for name in ("report.md", "report.html", "results.csv", "figures/roc_unseen_identities.png"):
        assert (output / name).exists()

    # The same command again trains nothing and keeps every row exactly once.
    assert main(["compare", *TINY, "--output", str(output)]) == 0
    assert "resuming: 5 of 5 runs" in capsys.readouterr().out
    again = (output / "results.jsonl").read_text().splitlines()
    assert len(again) == 5 and [json.loads(line)["key"] for line in again] == [r["key"] for r in rows]

    (output / "report.md").unlink()
    assert main(["compare", *TINY, "--output", str(output), "--report-only"]) == 0
    assert (output / "report.md").exists()


@pytest.mark.parametrize("arguments, message", [
    (["--task", "video"], "--task"),
    (["--task", "text", "--pictures", "none"], "--pictures does not apply to --task text"),
    (["--task", "text", "--augment", "strong"], "unknown text augmentation 'strong'"),
    (["--preset", "huge"], "unknown --preset 'huge'"),
    (["--heads", "softmax,magicface"], "magicface"),
    (["--augment", "extreme"], "extreme"),
    (["--dataset", "imagenet"], "imagenet"),
    (["--open-set", "faces"], "faces"),
    (["--steps", "0"], "--steps must be >= 1"),
    (["--samples-per-class", "5,x"], "--samples-per-class"),
    (["--report-only"], "no results"),
    (["--studies", "open-set,bogus"], "unknown --studies bogus"),
    (["--num-train", "500"], "--num-train applies only to --task text"),
    (["--task", "text", "--preset", "huge"], "unknown --preset 'huge'"),
    (["--open-set-samples-per-class", "0"], "--open-set-samples-per-class values must be >= 1"),
    (["--heads", "softmax,arcface:scale=big"], "--heads: head spec 'arcface:scale=big': option 'scale' "
     "must be a number"),
    (["--heads", "arcface:scale"], "option 'scale' must be written name=value"),
    (["--heads", "arcface:bogus=1"], "option bogus=1 of the arcface head is refused"),
    (["--heads", "arcface:scale=-16"], "option scale=-16 of the arcface head is refused"),
    (["--heads", "magicface:scale=16"], "magicface"),
    (["--heads", "softmax+magicface"], "magicface"),
    (["--heads", "softmax+softmax"], "distinct names"),
    (["--heads", "softmax+arcface:scale=-16"], "option scale=-16 of the arcface head is refused"),
    (["--patience", "0"], "`patience` must be None or an integer >= 1"),
    (["--validation-every", "10"], "--validation-every needs --patience"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, arguments, message):
    status = main(["compare", "--output", str(tmp_path / "out"), *arguments])
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1 and message in error
    assert not (tmp_path / "out" / "results.jsonl").exists()


def test_a_head_with_options_is_its_own_head_in_the_report(tmp_path, capsys):
    output = tmp_path / "scales"
    arguments = ["compare", "--preset", "quick", "--dataset", "digits", "--studies", "closed-set",
                 "--heads", "softmax,arcface,arcface:scale=16", "--augment", "none",
                 "--samples-per-class", "5", "--seeds", "0,1", "--steps", "4", "--output", str(output)]
    assert main(arguments) == 0
    assert "6 runs in the grid" in capsys.readouterr().out
    rows = [json.loads(line) for line in (output / "results.jsonl").read_text().splitlines()]
    assert sorted((row["spec"]["head"], tuple(map(tuple, row["spec"]["head_options"])))
                  for row in rows) == [("arcface", ()), ("arcface", ()),
                                       ("arcface", (("scale", 16),)), ("arcface", (("scale", 16),)),
                                       ("softmax", ()), ("softmax", ())]
    report = (output / "report.md").read_text()
    table_rows = [line for line in report.splitlines() if line.startswith("| arcface")]
    # Accuracy table and all-metrics table: each head once per table, never merged.
    assert sum(line.startswith("| arcface (scale=16) |") for line in table_rows) == 2
    assert sum(line.startswith("| arcface |") for line in table_rows) == 2
    findings = report.split("## What the numbers say")[1].split("\n## ")[0]
    assert "arcface (scale=16)" in findings and "2 seeds" in findings
    csv_text = (output / "results.csv").read_text()
    assert csv_text.splitlines()[0].startswith("key,study,dataset,head,head_options,")
    assert sum(",arcface,scale=16," in line for line in csv_text.splitlines()) == 2

"""`keras-margin compare --task audio`: a tiny real audio grid end to end, resume, bad input."""

import importlib
import json

import pytest

from keras_margin.cli.main import main
from keras_margin.data import open_set
from keras_margin.data.sources import instruments

# Two programs from each of four families, 16 notes each: rendered in about a second.
# 16 notes leave 4 test notes per unseen instrument: 24 genuine pairs, enough for the
# 10 folds of the verification accuracy.
PROGRAMS = (0, 1, 32, 33, 40, 41, 72, 73)
NOTES = 16
TINY = ["--task", "audio", "--preset", "quick", "--dataset", "instruments", "--heads",
        "softmax,arcface", "--augment", "none,standard", "--samples-per-class", "4",
        "--studies", "closed-set", "--seeds", "0", "--steps", "2"]
TINY_OPEN_SET = ["--task", "audio", "--preset", "quick", "--studies", "open-set", "--heads",
                 "arcface", "--augment", "standard", "--open-set-samples-per-class", "3",
                 "--seeds", "0", "--steps", "2"]


@pytest.fixture(scope="module")
def audio_cache(tmp_path_factory):
    """One cache folder for the file: both tests read the same PROGRAMS and NOTES, so
    the second reads the clips the first rendered instead of rendering them again."""
    return tmp_path_factory.mktemp("audio-cache")


@pytest.fixture
def small_instruments(monkeypatch, audio_cache):
    """`instruments` and `instruments-open` restricted to PROGRAMS, cached in a temporary
    folder, so that the grid renders little and nothing lands in ~/.cache."""
    monkeypatch.setenv("KERAS_MARGIN_CACHE_DIR", str(audio_cache))
    load_audio = importlib.import_module("keras_margin.data.load_audio")
    monkeypatch.setitem(load_audio.AUDIO_SOURCES, "instruments",
                        lambda cache_dir: instruments.read(PROGRAMS, NOTES, cache_dir))
    monkeypatch.setitem(open_set.OPEN_SET_SOURCES, "instruments-open",
                        lambda data_dir: instruments.read_open_set(data_dir, PROGRAMS, NOTES))


def test_tiny_audio_grid_trains_reports_and_resumes(tmp_path, capsys, small_instruments):
    output = tmp_path / "study"
    assert main(["compare", *TINY, "--output", str(output)]) == 0
    printed = capsys.readouterr().out
    assert "4 runs in the grid" in printed and "4/4 runs" in printed
    rows = [json.loads(line) for line in (output / "results.jsonl").read_text().splitlines()]
    assert sorted((r["spec"]["study"], r["spec"]["head"], r["spec"]["augment"]) for r in rows) == [
        ("closed-set", head, augment) for head in ("arcface", "softmax")
        for augment in ("none", "standard")]
    assert {row["dataset"]["name"] for row in rows} == {"instruments"}
    assert rows[0]["dataset"]["num_classes"] == 4 and rows[0]["dataset"]["num_test"] == 32
    assert "fluidsynth" in rows[0]["dataset"]["source"]
    assert all(0.0 <= row["metrics"]["accuracy"] <= 1.0 for row in rows)
    for name in ("report.md", "report.html", "results.csv"):
        assert (output / name).exists()

    assert main(["compare", *TINY, "--output", str(output)]) == 0
    assert "resuming: 4 of 4 runs" in capsys.readouterr().out
    again = (output / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["key"] for line in again] == [row["key"] for row in rows]


def test_open_set_run_verifies_unseen_instruments(tmp_path, capsys, small_instruments):
    output = tmp_path / "open"
    assert main(["compare", *TINY_OPEN_SET, "--output", str(output)]) == 0
    (row,) = [json.loads(line) for line in (output / "results.jsonl").read_text().splitlines()]
    assert row["spec"]["dataset"] == "instruments-open"
    assert len(row["dataset"]["unseen_class_names"]) == 4
    assert 0.0 <= row["open_set_metrics"]["eer"] <= 1.0


def test_presets_are_the_documented_grids():
    from keras_margin.studies import AUDIO_PRESETS

    quick = AUDIO_PRESETS["quick"].specs()
    assert len(quick) == 18 and {s.dataset for s in quick} == {"instruments", "instruments-open"}
    assert {s.steps for s in quick} == {150}
    default = AUDIO_PRESETS["default"].specs()
    assert len(default) == 24 * 2 + 12 and {s.steps for s in default} == {200}
    assert sum(s.dataset == "spoken-digits" for s in default) == 24


@pytest.mark.parametrize("arguments, message", [
    (["--pictures", "softmax"], "--pictures does not apply to --task audio"),
    (["--num-train", "500"], "--num-train does not apply to --task audio"),
    (["--augment", "strong"], "unknown audio augmentation policy 'strong'"),
    (["--studies", "embedding-picture"], "unknown --studies embedding-picture for --task audio"),
    (["--dataset", "birdsong"], "birdsong"),
    (["--preset", "huge"], "unknown --preset 'huge'"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, arguments, message):
    status = main(["compare", "--task", "audio", "--output", str(tmp_path / "out"), *arguments])
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1 and message in error
    assert not (tmp_path / "out" / "results.jsonl").exists()

"""`RunSpec` keys and the presets' grids."""

import dataclasses

import pytest

from keras_margin.studies import PRESETS
from keras_margin.studies import RunSpec


def test_key_is_stable_and_depends_on_every_field():
    spec = RunSpec("closed-set", "digits", "arcface", "none", 5, 0, 2)
    assert spec.key == RunSpec("closed-set", "digits", "arcface", "none", 5, 0, 2).key
    changed = [RunSpec("closed-set", "digits", "arcface", "none", 5, 1, 2),
               RunSpec("closed-set", "digits", "arcface", "none", 5, 0, 3),
               RunSpec("closed-set", "digits", "cosface", "none", 5, 0, 2),
               RunSpec("closed-set", "digits", "arcface", "none", 5, 0, 2, learning_rate=1e-3)]
    assert len({spec.key} | {other.key for other in changed}) == 5


def test_unknown_study_is_refused():
    with pytest.raises(ValueError, match="study"):
        RunSpec("half-open", "digits", "arcface", "none", 5, 0, 2)


@pytest.mark.parametrize("name, closed, opened, pictures", [("quick", 12, 6, 2), ("default", 72, 24, 4)])
def test_preset_grids_have_the_documented_size(name, closed, opened, pictures):
    specs = PRESETS[name].specs()
    count = {study: sum(spec.study == study for spec in specs)
             for study in ("closed-set", "open-set", "embedding-picture")}
    assert count == {"closed-set": closed, "open-set": opened, "embedding-picture": pictures}
    assert len({spec.key for spec in specs}) == len(specs)


def test_a_preset_runs_only_the_chosen_studies():
    import dataclasses

    preset = dataclasses.replace(PRESETS["quick"], studies=("open-set",), open_set_samples_per_class=None)
    specs = preset.specs()
    assert {spec.study for spec in specs} == {"open-set"} and len(specs) == 6
    assert {spec.samples_per_class for spec in specs} == {None}


def test_published_keys_are_unchanged_and_the_new_fields_are_keyed_when_set():
    # A row of docs/results/compare-open-set/results.csv, written before early stopping.
    published = RunSpec("open-set", "glyphs", "softmax", "none", None, 0, 250)
    assert published.key == "15b6381d975c64b0"
    with_patience = dataclasses.replace(published, patience=5)
    assert len({published.key, with_patience.key,
                dataclasses.replace(with_patience, validation_every=50).key,
                dataclasses.replace(with_patience, learning_rate_schedule="plateau").key}) == 4
    assert "patience=5" in with_patience.label()


@pytest.mark.parametrize("fields, message", [
    ({"patience": 0}, "patience"), ({"patience": 2.5}, "patience"),
    ({"validation_every": 0}, "validation_every"),
    ({"learning_rate_schedule": "step"}, "learning_rate_schedule"),
    ({"learning_rate_schedule": "plateau"}, "needs `patience`"),
])
def test_bad_budget_fields_raise(fields, message):
    with pytest.raises(ValueError, match=message):
        RunSpec("closed-set", "digits", "arcface", "none", 5, 0, 2, **fields)


def test_joint_head_names():
    from keras_margin.studies.run_spec import head_names

    assert head_names("arcface") == ["arcface"]
    assert head_names("softmax + arcface") == ["softmax", "arcface"]
    for bad in ("softmax+", "arcface+arcface"):
        with pytest.raises(ValueError, match="distinct names"):
            head_names(bad)

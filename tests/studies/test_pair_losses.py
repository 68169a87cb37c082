"""Losses on embeddings as study heads: a run trains them on P x K batches and is
measured through the nearest-class-mean classifier, like every run."""

import dataclasses

import pytest

import keras_margin as km
from keras_margin.studies import pair_losses
from keras_margin.studies.run_spec import RunSpec
from keras_margin.studies.runner import run

SPEC = RunSpec(study="closed-set", dataset="digits", head="triplet", augment="none",
               samples_per_class=10, seed=0, steps=4, patience=2, validation_every=2,
               embedding_dim=8)


def test_a_triplet_run_is_measured_like_any_run():
    row = run(SPEC)
    assert 0.0 <= row["metrics"]["accuracy"] <= 1.0
    assert row["steps_used"] == 4 and row["best_step"] in (2, 4)
    # Its classifier's centres are class means, so the angles are those to the means.
    assert row["metrics"]["temperature"] > 0 and "mean_angle_to_center" in row["metrics"]
    assert [len(row["history"]["val_accuracy"])] == [2]


def test_losses_get_their_options_and_pml_defaults():
    triplet = pair_losses.create(km, "triplet", margin=0.2)
    assert (triplet.margin, triplet.miner) == (0.2, "batch_hard")
    assert pair_losses.create(km, "supcon").temperature == 0.1
    assert pair_losses.create(km, "multisimilarity").beta == 50.0
    with pytest.raises(ValueError, match="margin"):
        pair_losses.create(km, "triplet", margin=-1)
    assert pair_losses.classes_per_batch(10, 64) == 10
    assert pair_losses.classes_per_batch(100, 64) == 16
    assert pair_losses.classes_per_batch(100, 4) == 2
    assert pair_losses.is_pair_loss("softmax+triplet") and not pair_losses.is_pair_loss("arcface")


@pytest.mark.parametrize("fields, message", [
    ({"head": "softmax+triplet"}, "trains alone, not in a joint model"),
    ({"augment": "strong"}, "'strong' policy mixes images and labels"),
    ({"adversarial": "pgd:epsilon=8"}, "`remedy` and `adversarial` must be 'none'"),
    ({"study": "label-noise", "remedy": "bootstrapping"}, "`remedy` and `adversarial`"),
    ({"study": "text", "dataset": "fortunes"}, "the text study does not train"),
])
def test_what_a_pair_loss_cannot_do_is_refused_by_the_spec(fields, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(SPEC, **fields)


@pytest.mark.parametrize("name", sorted(pair_losses.PAIR_LOSSES))
def test_tune_searches_each_loss_option_inside_what_the_loss_accepts(name):
    from keras_margin.studies import search_space

    space = {parameter.name: parameter
             for parameter in search_space.search_space(name, ("none", "standard", "strong"))}
    # Every image policy but the one that mixes labels.
    assert space["augment"].choices == ("none", "standard")
    (option, low, high, _), = search_space.PAIR_LOSS_RANGES[name]
    assert set(space) == {"learning_rate", "augment", option}
    for value in (low, high):
        pair_losses.create(km, name, **{option: value})
    assert search_space.head_name(name) == name


def test_the_pair_losses_study_adds_the_triplet_loss_to_both_grids():
    from keras_margin import studies

    preset = dataclasses.replace(studies.PRESETS["quick"], heads=("softmax", "arcface"),
                                 augments=("none",), samples_per_class=(10,), seeds=(0,),
                                 studies=("pair-losses",))
    assert sorted((s.study, s.head) for s in preset.specs()) == [
        (study, head) for study in ("closed-set", "open-set")
        for head in ("arcface", "softmax", "triplet")]

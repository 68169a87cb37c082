"""`studies.pretraining`: SimCLR on the unlabelled pool and transfer from another
dataset, as `RunSpec.pretraining` asks; the spec's checks."""

import dataclasses

import numpy as np
import pytest

import keras_margin as km
from keras_margin.studies import pretraining
from keras_margin.studies.run_spec import RunSpec

SPEC = RunSpec(study="closed-set", dataset="digits", head="softmax", augment="none",
               samples_per_class=10, seed=0, steps=4, pretraining="simclr", pretraining_steps=2)


def digits_backbone():
    info = km.data.load("digits", samples_per_class=10, with_info=True)[3]
    return km.models.small_cnn(embedding_dim=8, input_shape=info.input_shape, width=4), info


@pytest.mark.parametrize("kind", ["simclr", "transfer:mnist-5k"])
def test_pretraining_trains_the_backbone_it_is_given(kind):
    backbone, info = digits_backbone()
    before = [np.array(w) for w in backbone.get_weights()]
    facts = pretraining.pretrain(
        km, dataclasses.replace(SPEC, pretraining=kind), backbone, info)
    after = backbone.get_weights()
    assert any(not np.allclose(b, a) for b, a in zip(before, after))
    assert facts["kind"] == kind.split(":")[0] and facts["steps"] == 2
    if kind == "simclr":
        # 10 labelled + 10% validation of digits' pool leave ~1,100 images: 9 batches of 128.
        assert np.isfinite(facts["final_loss"]) and facts["pool_batches"] >= 8
    else:
        # mnist-5k's 28 x 28 images went in resized to the 8 x 8 of digits.
        assert facts["source"] == "mnist-5k" and facts["source_num_classes"] == 10
        assert facts["steps_used"] == 2 and 0.0 <= facts["source_validation_accuracy"] <= 1.0


def test_none_does_nothing_and_audio_or_other_channels_are_refused(monkeypatch):
    backbone, info = digits_backbone()
    assert pretraining.pretrain(km, dataclasses.replace(SPEC, pretraining="none"), backbone, info) is None
    audio = dataclasses.replace(SPEC, dataset="instruments")
    with pytest.raises(ValueError, match="applies to closed-set image runs.*'instruments'"):
        pretraining.pretrain(km, audio, backbone, info)
    rgb = dataclasses.replace(info, input_shape=(8, 8, 3))
    with pytest.raises(ValueError, match="'transfer:mnist-5k': its images have 1 channels and digits's 3"):
        pretraining.pretrain(km, dataclasses.replace(SPEC, pretraining="transfer:mnist-5k"), backbone, rgb)


@pytest.mark.parametrize("fields, message", [
    ({"pretraining": "bogus"}, "`pretraining` must be 'none', 'simclr' or 'transfer:DATASET'"),
    ({"pretraining": "transfer"}, "`pretraining` must be"),
    ({"pretraining": "transfer: "}, "`pretraining` must be"),
    ({"pretraining": "simclr:digits"}, "`pretraining` must be"),
    ({"pretraining": 3}, "`pretraining` must be"),
    ({"study": "open-set"}, "`pretraining` applies to closed-set runs"),
    ({"pretraining_steps": 0}, "`pretraining_steps` must be None or an integer >= 1"),
    ({"pretraining_steps": 2.5}, "`pretraining_steps`"),
    ({"pretraining_steps": True}, "`pretraining_steps`"),
])
def test_bad_pretraining_fields_name_the_argument(fields, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(SPEC, **fields)


def test_runs_without_pretraining_keep_their_keys_and_labels():
    # Earlier results files resume: the new fields are keyed only when they are set
    # (the key of this spec before they existed).
    plain = dataclasses.replace(SPEC, pretraining="none", pretraining_steps=None)
    assert plain.key == "8995abd430e6303c"
    assert plain.key != SPEC.key != dataclasses.replace(SPEC, pretraining_steps=3).key
    assert "pretraining" not in plain.label() and "pretraining=simclr" in SPEC.label()


def test_the_ssl_and_transfer_studies_are_the_closed_set_grid_from_scratch_and_pre_trained():
    from keras_margin import studies

    preset = dataclasses.replace(studies.PRESETS["quick"], heads=("softmax", "triplet"),
                                 augments=("none",), samples_per_class=(10,), seeds=(0, 1),
                                 studies=("closed-set", "ssl", "transfer"))
    runs = [(s.study, s.head, s.seed, s.pretraining) for s in preset.specs()]
    # The from-scratch runs that closed-set, ssl and transfer share run once.
    assert sorted(runs) == sorted((study, head, seed, pretraining)
                                  for study in ["closed-set"] for head in ("softmax", "triplet")
                                  for seed in (0, 1)
                                  for pretraining in ("none", "simclr", "transfer:glyphs"))
    glyphs = dataclasses.replace(preset, closed_set_dataset="glyphs", studies=("transfer",))
    assert {s.pretraining for s in glyphs.specs()} == {"none", "transfer:mnist-5k"}
    with pytest.raises(ValueError, match="for 'digits' give the source with"):
        dataclasses.replace(preset, closed_set_dataset="digits").specs()

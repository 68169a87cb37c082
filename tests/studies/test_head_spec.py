"""Head specs of `--heads`: parsing, labels, and the keys of runs with head options."""

import pytest

from keras_margin.studies import RunSpec
from keras_margin.studies import grid
from keras_margin.studies.head_spec import head_label
from keras_margin.studies.head_spec import parse_head_spec


@pytest.mark.parametrize("text, expected", [
    ("arcface", ("arcface", ())),
    ("arcface:scale=16", ("arcface", (("scale", 16),))),
    ("cosface:scale=16.0:margin=0.2", ("cosface", (("margin", 0.2), ("scale", 16)))),
    (" cosface : margin = 0.2 : scale=16 ", ("cosface", (("margin", 0.2), ("scale", 16)))),
    ("arcface:scale=1e1", ("arcface", (("scale", 10),))),
])
def test_specs_parse_to_a_name_and_sorted_numeric_options(text, expected):
    assert parse_head_spec(text) == expected
    assert all(type(value) in (int, float) for _, value in parse_head_spec(text)[1])


@pytest.mark.parametrize("text, message", [
    (":scale=16", "no head name"),
    ("arcface:scale", "option 'scale' must be written name=value"),
    ("arcface:=16", "must be written name=value"),
    ("arcface:scale=big", "option 'scale' must be a number or 'auto'; received 'big'"),
    ("arcface:margin=auto", "option 'margin' must be a number; received 'auto'"),
    ("arcface:scale=nan", "option 'scale' must be a finite number"),
    ("arcface:scale=16:scale=30", "option 'scale' is given twice"),
])
def test_bad_specs_are_refused_naming_the_option(text, message):
    with pytest.raises(ValueError, match=message):
        parse_head_spec(text)


@pytest.mark.parametrize("text", ["arcface:scale=auto", "arcface: scale = AUTO "])
def test_scale_may_be_auto(text):
    assert parse_head_spec(text) == ("arcface", (("scale", "auto"),))
    spec = RunSpec("closed-set", "digits", "arcface", "none", 5, 0, 2, head_options=parse_head_spec(text)[1])
    assert "arcface (scale=auto)" in spec.label()
    assert spec.key != RunSpec("closed-set", "digits", "arcface", "none", 5, 0, 2).key


def test_auto_reaches_the_head():
    import keras_margin as km

    name, options = parse_head_spec("cosface:scale=auto:margin=0.2")
    head = km.heads.create(name, 10, **dict(options))
    assert head.scale == km.heads.auto_scale(10) and head.get_config()["scale"] == "auto"


def test_labels_name_the_options():
    assert head_label("arcface", ()) == "arcface"
    assert head_label("cosface", (("margin", 0.2), ("scale", 16))) == "cosface (margin=0.2, scale=16)"
    # As read back from results.jsonl: lists, not tuples.
    assert head_label("arcface", [["scale", 16]]) == "arcface (scale=16)"
    assert head_label("arcface", [["margin", 0.3], ["scale", "auto"]]) == "arcface (margin=0.3, scale=auto)"


# Keys of option-free specs computed at commit 59b2a5a, before `head_options` existed:
# results.jsonl files written then must still resume.
@pytest.mark.parametrize("spec, key", [
    (RunSpec("closed-set", "digits", "arcface", "none", 5, 0, 2), "0d1e7b35c6768f32"),
    (RunSpec("text", "fortunes", "softmax", "eda", None, 1, 300, num_train=500), "4e6167d226d577a9"),
    (RunSpec("label-noise", "mnist-5k", "arcface", "standard", 100, 2, 250, label_noise=0.2),
     "e34f2faf0ed02364"),
])
def test_keys_of_option_free_specs_are_unchanged(spec, key):
    assert spec.key == key
    assert RunSpec(**{**spec.as_dict(), "head_options": []}).key == key


def test_options_change_the_key_and_their_order_does_not():
    plain = RunSpec("closed-set", "digits", "arcface", "none", 5, 0, 2)
    scaled = RunSpec("closed-set", "digits", "arcface", "none", 5, 0, 2, head_options=(("scale", 16),))
    both = RunSpec("closed-set", "digits", "cosface", "none", 5, 0, 2,
                   head_options=(("scale", 16), ("margin", 0.2)))
    reordered = RunSpec("closed-set", "digits", "cosface", "none", 5, 0, 2,
                        head_options=[["margin", 0.2], ["scale", 16]])
    assert len({plain.key, scaled.key, both.key}) == 3
    assert both.key == reordered.key
    assert "arcface (scale=16)" in scaled.label()


def test_grid_carries_head_options_into_its_specs():
    specs = grid("closed-set", ["digits"], ["softmax", "arcface:scale=16"], ["none"], [10], [0], 5)
    assert [(spec.head, spec.head_options) for spec in specs] == [
        ("softmax", ()), ("arcface", (("scale", 16),))]
    assert specs[1].as_dict()["head_options"] == (("scale", 16),)


def test_results_csv_writes_auto():
    from keras_margin.studies import report

    value = report._csv_spec_value({"head_options": [["margin", 0.3], ["scale", "auto"]]}, "head_options")
    assert value == "margin=0.3 scale=auto"

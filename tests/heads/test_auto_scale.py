"""`scale="auto"` on every cosine head, and the rule behind it (keras_margin.heads.scales)."""

import math

import keras
import numpy as np
import pytest

import keras_margin as km
from keras_margin.heads import scales

# Every registered head with a fixed scale: the CosineMarginHead subclasses but AdaCos.
FIXED_SCALE_HEADS = [
    name for name in km.heads.names()
    if issubclass(km.heads.get(name), km.heads.CosineMarginHead) and name != "adacos"
]


def _create(name, num_classes, **kwargs):
    return km.heads.create(name, num_classes, class_counts=list(range(1, num_classes + 1)), **kwargs)


def ref_auto_scale(num_classes):
    """max(sqrt(2) ln(C-1), scale at which (C-1) exp(-s C/(C-1)) = 1/99), float64."""
    others = num_classes - 1
    return max(math.sqrt(2.0) * math.log(others) if others > 1 else 0.0,
               others / num_classes * math.log(99.0 * others))


def test_every_cosine_head_is_covered():
    assert set(FIXED_SCALE_HEADS) >= {
        "normface", "cosface", "arcface", "combinedmargin", "subcenterarcface", "adaface",
        "magface", "curricularface", "elasticface", "ldam"}


@pytest.mark.parametrize("name", FIXED_SCALE_HEADS)
@pytest.mark.parametrize("num_classes", [2, 10, 300])
def test_auto_resolves_to_the_rule_and_round_trips_as_auto(name, num_classes):
    head = _create(name, num_classes, scale="auto")
    assert head.scale == pytest.approx(ref_auto_scale(num_classes), rel=1e-12)
    config = head.get_config()
    assert config["scale"] == "auto"
    clone = type(head).from_config(config)
    assert clone.scale == head.scale and clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(head))
    assert restored.get_config()["scale"] == "auto" and restored.scale == head.scale
    # a number stays a number
    assert _create(name, num_classes, scale=12).get_config()["scale"] == 12.0


@pytest.mark.parametrize("name", FIXED_SCALE_HEADS)
def test_auto_scale_is_used_by_the_logits(name):
    head = _create(name, 4, scale=" Auto ")
    head.build((None, 3))
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    logits = np.asarray(head(x))
    bound = np.abs(logits).max() / head.scale  # |cos| <= 1, attained up to the sample
    assert 0.2 < bound <= 1.0 + 1e-6
    centres = np.asarray(head.class_centers, np.float64)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    if head.centers_per_class == 1:
        np.testing.assert_allclose(logits, ref_auto_scale(4) * unit @ centres.T, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bad", ["big", "", "autoo", "30"])
@pytest.mark.parametrize("name", ["arcface", "cosface", "ldam"])
def test_bad_strings_raise_naming_scale(name, bad):
    with pytest.raises(ValueError, match="`scale`"):
        _create(name, 5, scale=bad)


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), True, None])
def test_bad_numbers_still_raise_naming_scale(bad):
    with pytest.raises(ValueError, match="`scale`"):
        km.heads.NormFace(5, scale=bad)


@pytest.mark.parametrize("num_classes", [2, 3, 5, 10, 40])
def test_the_probability_bound_is_the_regular_simplex_softmax(num_classes):
    # Brute force: centres a regular simplex in num_classes dimensions, embedding on
    # centre 0; the softmax target probability at the "auto" scale is the bound, 0.99
    # wherever the floor is the larger term.
    vertices = np.eye(num_classes) - 1.0 / num_classes
    vertices /= np.linalg.norm(vertices, axis=1, keepdims=True)
    scale = km.heads.auto_scale(num_classes)
    logits = scale * vertices @ vertices[0]
    probability = np.exp(logits[0] - logits.max()) / np.exp(logits - logits.max()).sum()
    assert probability == pytest.approx(scales.max_target_probability(scale, num_classes), rel=1e-12)
    assert probability == pytest.approx(0.99, rel=1e-12)


def test_documented_table():
    # docs/heads/README.md, "Choosing the scale: scale="auto"" (rounded as printed there)
    table = {2: (0.0, 0.5, 2.30), 10: (3.11, 0.778, 6.11), 100: (6.50, 0.878, 9.10),
             1000: (9.77, 0.946, 11.49), 100000: (16.28, 0.992, 16.28)}
    for num_classes, (adacos, probability, auto) in table.items():
        fixed = math.sqrt(2.0) * math.log(num_classes - 1)
        assert round(fixed, 2) == adacos
        assert round(scales.max_target_probability(fixed, num_classes), 3) == probability
        assert round(km.heads.auto_scale(num_classes), 2) == auto
    # the ArcFace (m = 0.5) columns: training target s cos(m) against non-targets at
    # s * (-1 / (C - 1)), by brute force on the simplex; then the scale that reaches 0.99
    arcface = {2: (0.987, 2.45), 10: (0.979, 6.87), 100: (0.970, 10.35), 1000: (0.960, 13.09),
               100000: (0.941, 18.35)}
    for num_classes, (probability, needed) in arcface.items():
        others = num_classes - 1
        scale = km.heads.auto_scale(num_classes)
        logits = np.concatenate([[scale * math.cos(0.5)], np.full(others, -scale / others)])
        assert round(float(np.exp(logits[0]) / np.exp(logits).sum()), 3) == probability
        assert round(math.log(99 * others) / (math.cos(0.5) + 1 / others), 2) == needed
    # the floor wins below about 65,600 classes, AdaCos' scale above
    assert km.heads.auto_scale(65_000) > math.sqrt(2.0) * math.log(64_999)
    assert km.heads.auto_scale(66_000) == pytest.approx(math.sqrt(2.0) * math.log(65_999))

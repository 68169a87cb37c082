"""Paired comparisons of `keras_margin.studies.findings`."""

import numpy as np

from keras_margin.studies import findings


def _row(head, seed, tar, learning_rate=2e-3, augment="none"):
    spec = {"study": "open-set", "dataset": "glyphs", "head": head, "augment": augment,
            "samples_per_class": None, "steps": 3000, "embedding_dim": 64, "batch_size": 64,
            "learning_rate": learning_rate, "seed": seed}
    return {"spec": spec, "open_set_metrics": {"tar_at_far_1e-2": tar}}


def _compare(rows, tied=()):
    return findings.compare(rows, "open-set", {"head": "softmax"}, "tar_at_far_1e-2",
                            part="open_set_metrics", tied=tied)


def test_paired_difference_and_interval_over_seeds():
    rows = [_row("softmax", s, t) for s, t in enumerate([0.80, 0.82, 0.84])]
    rows += [_row("arcface", s, t) for s, t in enumerate([0.90, 0.91, 0.95])]
    (comparison,) = _compare(rows)
    differences = np.array([0.10, 0.09, 0.11])
    half_width = 4.302652729911275 * differences.std(ddof=1) / np.sqrt(3)  # t(0.975, 2)
    assert np.isclose(comparison.difference, differences.mean())
    assert np.isclose(comparison.half_width, half_width)
    assert comparison.verdict == "better"


def test_tuned_heads_are_paired_with_softmax_at_softmax_s_own_settings():
    # compare --tuned: each head has its own learning rate and augmentation.
    rows = [_row("softmax", s, t, learning_rate=1e-3) for s, t in enumerate([0.80, 0.82, 0.84])]
    rows += [_row("arcface", s, t, learning_rate=7e-3, augment="light")
             for s, t in enumerate([0.90, 0.91, 0.95])]
    assert _compare(rows) == []  # nothing equal but the head
    (comparison,) = _compare(rows, tied=("learning_rate", "augment"))
    assert np.isclose(comparison.difference, 0.10)
    assert comparison.candidate == {"head": "arcface", "learning_rate": 7e-3, "augment": "light"}
    assert comparison.baseline == {"head": "softmax", "learning_rate": 1e-3, "augment": "none"}
    text = findings.describe(comparison)
    assert "head=arcface, learning_rate=0.007, augment=light vs head=softmax, learning_rate=0.001, augment=none" in text


def test_an_exact_match_wins_and_an_ambiguous_tied_match_gives_none():
    rows = [_row("softmax", 0, 0.8), _row("softmax", 0, 0.5, augment="light"),
            _row("arcface", 0, 0.9, augment="light")]
    (comparison,) = _compare(rows, tied=("augment",))
    assert np.isclose(comparison.difference, 0.4)  # against softmax with light, not none
    rows = [_row("softmax", 0, 0.8), _row("softmax", 0, 0.5, augment="light"),
            _row("arcface", 0, 0.9, augment="strong")]
    assert _compare(rows, tied=("augment",)) == []

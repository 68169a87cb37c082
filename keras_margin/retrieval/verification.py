"""Calibrating a verification threshold at a target FAR, and verifying pairs with it."""

from typing import NamedTuple

import numpy as np

from keras_margin.metrics import verification as verification_metrics
from keras_margin.retrieval import _index
from keras_margin.utils import validation


class Verification(NamedTuple):
    """Cosine `scores` (float64) of the pairs and `same`, True where score >= threshold."""

    scores: np.ndarray
    same: np.ndarray


def calibrate(scores, same_identity, target_far=1e-3):
    """The verification threshold whose false acceptance rate is at most `target_far`.

    Compute it on pairs of validation identities, not the ones later verified: the
    FAR it promises holds for identities drawn like those. Exact on the impostor score
    distribution, see `keras_margin.metrics.verification.threshold_at_far`.

    Args:
        scores: (num_pairs,) similarity scores, e.g. `pair_scores(embeddings, pairs)`.
        same_identity: (num_pairs,) bool, True for genuine pairs.
        target_far: a FAR in (0, 1], or a sequence of them.

    Returns:
        A float for one target, a float64 array for a sequence.

    Example:

    >>> calibrate([0.9, 0.8, 0.3, 0.2, 0.1], [True, True, False, False, False], 0.5)
    0.20000000000000004
    """
    thresholds = verification_metrics.threshold_at_far(scores, same_identity, target_far)
    return float(thresholds[0]) if np.ndim(target_far) == 0 else thresholds


def verify(embeddings_a, embeddings_b, threshold):
    """Cosine similarity of each pair `(embeddings_a[i], embeddings_b[i])`, and whether
    it reaches `threshold` (a `Verification`)."""
    threshold = validation.number_in_range(threshold, "threshold")
    a = _index.as_float32_rows(embeddings_a, None, "embeddings_a").astype(np.float64)
    b = _index.as_float32_rows(embeddings_b, a.shape[1], "embeddings_b").astype(np.float64)
    if len(a) != len(b):
        raise ValueError(f"`embeddings_a` and `embeddings_b` must hold the same number of rows; "
                         f"received {len(a)} and {len(b)}.")
    scores = np.clip(np.einsum("ij,ij->i", a, b), -1.0, 1.0)
    return Verification(scores, scores >= threshold)

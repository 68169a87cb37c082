"""Verification pairs from identity labels, and their cosine scores."""

from typing import NamedTuple

import numpy as np

from keras_margin.metrics import _checks
from keras_margin.utils import validation


class VerificationPairs(NamedTuple):
    """Index pairs into the labelled samples, and whether each pair shares an identity.

    `pairs` is an int64 (2 * num_pairs, 2) array whose first `num_pairs` rows are the
    genuine pairs and the rest the impostor pairs; `is_same` is the matching bool mask.
    """

    pairs: np.ndarray
    is_same: np.ndarray


def verification_pairs(labels, num_pairs=3000, seed=0):
    """Draws `num_pairs` genuine and `num_pairs` impostor pairs, uniformly and distinct.

    A genuine pair is two different samples of one identity, an impostor pair two
    samples of different identities. Each kind is drawn uniformly without replacement
    from all its unordered pairs, so no pair repeats; within a pair the smaller index
    comes first. The result depends only on `labels`, `num_pairs` and `seed` (3000 of
    each, as in LFW's 6000-pair protocol, by default).

    Args:
        labels: identity labels, shape (n,) or (n, 1), of any sortable type.
        num_pairs: the number of genuine pairs and, separately, of impostor pairs.
        seed: non-negative integer seed of the sampling.

    Returns:
        `VerificationPairs(pairs, is_same)`.

    Raises:
        ValueError: with fewer than 2 identities (no impostor pair exists), with no
            identity holding 2 samples (no genuine pair exists), or when `num_pairs`
            exceeds the number of distinct pairs of either kind.
    """
    identities = _identity_ids(labels)
    num_pairs = validation.integer_at_least(num_pairs, 1, "num_pairs")
    seed = validation.integer_at_least(seed, 0, "seed")
    _, identity, counts = np.unique(identities, return_inverse=True, return_counts=True)
    if counts.size < 2:
        raise ValueError("`labels` must hold at least 2 identities to form impostor pairs.")
    if counts.max() < 2:
        raise ValueError(
            "`labels` must hold at least one identity with 2 or more samples to form "
            "genuine pairs; every identity occurs once."
        )
    # Work on the samples grouped by identity: then the partners of a sample form one
    # contiguous range of positions, for genuine and impostor pairs alike, and a pair
    # can be decoded from a single integer without listing all O(n^2) pairs.
    grouped = np.argsort(identity, kind="stable")
    positions = np.arange(identities.size)
    group_ends = np.repeat(np.cumsum(counts), counts)
    rng = np.random.default_rng(seed)
    genuine = _draw_pairs(
        positions + 1, group_ends - positions - 1, num_pairs, rng, "genuine"
    )
    impostor = _draw_pairs(
        group_ends, identities.size - group_ends, num_pairs, rng, "impostor"
    )
    pairs = np.sort(grouped[np.concatenate([genuine, impostor])], axis=1)
    is_same = np.r_[np.ones(num_pairs, bool), np.zeros(num_pairs, bool)]
    return VerificationPairs(pairs.astype(np.int64), is_same)


def pair_scores(embeddings, pairs):
    """Cosine similarity of the two embeddings of each pair, in float64.

    Embeddings are normalised here, so `MarginModel.embed` output and raw backbone
    output give the same scores. A zero embedding has cosine 0 with everything, as in
    the heads.

    Args:
        embeddings: (n, embedding_dim) array.
        pairs: (num_pairs, 2) integer indices into `embeddings`, e.g.
            `verification_pairs(labels).pairs`.

    Returns:
        A float64 array of shape (num_pairs,), values in [-1, 1].
    """
    embeddings = _checks.unit_rows(_checks.finite_matrix(embeddings, "embeddings"))
    pairs = np.asarray(pairs)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or pairs.shape[0] == 0:
        raise ValueError(f"`pairs` must have shape (num_pairs, 2); received {pairs.shape}.")
    if pairs.dtype.kind not in "iu":
        raise ValueError(f"`pairs` must hold integer indices; received dtype {pairs.dtype}.")
    if pairs.min() < 0 or pairs.max() >= embeddings.shape[0]:
        raise ValueError(
            f"`pairs` must index rows of `embeddings` (0 to {embeddings.shape[0] - 1}); "
            f"received indices from {pairs.min()} to {pairs.max()}."
        )
    cosines = np.einsum("ij,ij->i", embeddings[pairs[:, 0]], embeddings[pairs[:, 1]])
    return np.clip(cosines, -1.0, 1.0)


def _identity_ids(labels):
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            f"`labels` must be a non-empty array of shape (n,) or (n, 1); received shape "
            f"{array.shape}."
        )
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise ValueError("`labels` must not contain NaN or infinity.")
    return array


def _draw_pairs(partner_starts, partner_counts, num_pairs, rng, kind):
    """`num_pairs` distinct (position, partner) pairs, partners of position p being
    `partner_starts[p] + range(partner_counts[p])`."""
    total = int(partner_counts.sum())
    if num_pairs > total:
        raise ValueError(
            f"`num_pairs` is {num_pairs}, but the labels allow only {total} distinct "
            f"{kind} pairs."
        )
    # Pair number k belongs to the first position whose running count exceeds k.
    running = np.cumsum(partner_counts)
    picks = rng.choice(total, size=num_pairs, replace=False)
    first = np.searchsorted(running, picks, side="right")
    offsets = picks - (running[first] - partner_counts[first])
    return np.stack([first, partner_starts[first] + offsets], axis=1)

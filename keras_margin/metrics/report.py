"""One-call summaries for reports and the `compare` tool: closed-set numbers from class
probabilities, open-set (verification) numbers from embeddings, angular statistics."""

import numpy as np

from keras_margin.metrics import _checks
from keras_margin.metrics import angles
from keras_margin.metrics import calibration
from keras_margin.metrics import classification
from keras_margin.metrics import pairs as pairs_module
from keras_margin.metrics import verification


def closed_set_metrics(labels, probabilities, num_bins=15):
    """Closed-set classification metrics of class probabilities.

    Args:
        labels: class ids, shape (n,) or (n, 1); at least two distinct classes.
        probabilities: (n, num_classes) rows that sum to 1 (`MarginModel.predict`).
        num_bins: confidence bins of the calibration error.

    Returns:
        A dict of floats: `accuracy`, `macro_precision`, `macro_recall`, `macro_f1`
        (over all `num_classes` columns, see `macro_precision_recall_f1`), `roc_auc`
        (one-vs-rest, macro over the classes present in `labels`) and
        `expected_calibration_error`.
    """
    # First, so that malformed inputs are reported against `labels` / `probabilities`.
    accuracy = classification.accuracy(labels, probabilities)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    macro = classification.macro_precision_recall_f1(
        labels, np.argmax(probabilities, axis=1), probabilities.shape[1]
    )
    return {
        "accuracy": accuracy,
        "macro_precision": macro.precision,
        "macro_recall": macro.recall,
        "macro_f1": macro.f1,
        "roc_auc": classification.one_vs_rest_roc_auc(labels, probabilities),
        "expected_calibration_error": calibration.expected_calibration_error(
            labels, probabilities, num_bins=num_bins
        ),
    }


def open_set_metrics(
    embeddings,
    labels,
    num_pairs=3000,
    seed=0,
    far_targets=verification.DEFAULT_FAR_TARGETS,
    num_folds=10,
    return_roc=False,
):
    """Verification metrics of embeddings on pairs drawn from identity labels.

    Draws `num_pairs` genuine and `num_pairs` impostor pairs with
    `verification_pairs(labels, num_pairs, seed)`, scores them by cosine similarity and
    evaluates the scores. Usually run on classes held out from training (open set), but
    any labelled embeddings work.

    Args:
        embeddings: (n, embedding_dim) array, e.g. `MarginModel.embed(x)`.
        labels: identity labels, shape (n,) or (n, 1).
        num_pairs: genuine pairs and, separately, impostor pairs to draw.
        seed: seed of the pair sampling.
        far_targets: FAR values for the `tar_at_far_*` keys.
        num_folds: folds of the verification accuracy.
        return_roc: also return the ROC curve, for plotting.

    Returns:
        A dict of plain numbers (ready for JSON): for each FAR target t,
        `tar_at_far_<t>` (keys `tar_at_far_1e-3`, `tar_at_far_1e-2`, `tar_at_far_1e-1`
        for the defaults; NaN, with a `FarResolutionWarning`, when there are too few
        impostor pairs for t); `eer`, `roc_auc`, `verification_accuracy`,
        `verification_accuracy_std` (floats); `num_genuine_pairs`, `num_impostor_pairs`
        (ints).

        With `return_roc=True`, a pair `(metrics, roc)` instead, where `roc` is a dict
        of float64 arrays `false_accept_rate`, `true_accept_rate` and `thresholds` (the
        full curve of `verification_roc`: FAR repeats along vertical steps).
    """
    embeddings = _checks.finite_matrix(embeddings, "embeddings")
    _checks.same_length(embeddings, "embeddings", np.asarray(labels), "labels")
    drawn = pairs_module.verification_pairs(labels, num_pairs=num_pairs, seed=seed)
    scores = pairs_module.pair_scores(embeddings, drawn.pairs)
    is_same = drawn.is_same
    targets = verification._far_targets(far_targets)
    tars = verification.tar_at_far(scores, is_same, far_targets=targets)
    k_fold = verification.k_fold_verification_accuracy(scores, is_same, num_folds=num_folds)
    result = {f"tar_at_far_{far_key(t)}": float(tar) for t, tar in zip(targets, tars)}
    result.update(
        eer=verification.equal_error_rate(scores, is_same),
        roc_auc=verification.verification_roc_auc(scores, is_same),
        verification_accuracy=k_fold.mean,
        verification_accuracy_std=k_fold.std,
        num_genuine_pairs=int(is_same.sum()),
        num_impostor_pairs=int((~is_same).sum()),
    )
    if not return_roc:
        return result
    # Kept out of the metrics dict, which callers store as JSON.
    roc = verification.verification_roc(scores, is_same)
    return result, {
        "false_accept_rate": roc.far,
        "true_accept_rate": roc.tar,
        "thresholds": roc.thresholds,
    }


def angle_metrics(embeddings, labels, class_centers):
    """Angular statistics of a trained head, in degrees.

    Returns:
        A dict of floats: `mean_angle_to_center` and `median_angle_to_center` (each
        embedding to its own class centre), `min_center_angle` and `mean_center_angle`
        (between distinct class centres).
    """
    to_center = angles.angles_to_class_centers(embeddings, labels, class_centers)
    between = angles.pairwise_center_angles(class_centers)
    distinct = between[~np.eye(between.shape[0], dtype=bool)]
    return {
        "mean_angle_to_center": float(to_center.mean()),
        "median_angle_to_center": float(np.median(to_center)),
        "min_center_angle": float(distinct.min()),
        "mean_center_angle": float(distinct.mean()),
    }


def far_key(far):
    """`1e-3` for 0.001, `2.5e-1` for 0.25: the FAR part of a `tar_at_far_*` key."""
    mantissa, exponent = f"{float(far):e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


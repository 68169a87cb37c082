"""Evaluation metrics: closed-set classification and calibration, angular statistics
of a head, and open-set verification (TAR@FAR, EER, ROC AUC, LFW k-fold accuracy).

The functions take NumPy-convertible arrays, compute in float64 and raise `ValueError`
naming the offending argument. `ExpectedCalibrationError` is a streaming Keras metric.
See docs/metrics.md for the exact definitions. `augmentation_affinity` and
`augmentation_diversity` read `tf.data` pipelines: they import TensorFlow on first use.
"""

from keras_margin.utils.lazy import lazy_attributes

from keras_margin.metrics.angles import (
    angles_to_class_centers,
    mean_center_angle,
    min_center_angle,
    pairwise_center_angles,
)
from keras_margin.metrics.calibration import ExpectedCalibrationError, expected_calibration_error
from keras_margin.metrics.class_means import class_means, nearest_class_mean_accuracy
from keras_margin.metrics.classification import (
    PrecisionRecallF1,
    accuracy,
    macro_precision_recall_f1,
    one_vs_rest_roc_auc,
)
from keras_margin.metrics.pairs import VerificationPairs, pair_scores, verification_pairs
from keras_margin.metrics.report import angle_metrics, closed_set_metrics, open_set_metrics
from keras_margin.metrics.verification import (
    FarResolutionWarning,
    KFoldAccuracy,
    RocCurve,
    equal_error_rate,
    k_fold_verification_accuracy,
    tar_at_far,
    verification_roc,
    verification_roc_auc,
)

__getattr__, __dir__ = lazy_attributes(__name__, {
    name: ("keras_margin.metrics.augmentation", name)
    for name in ("augmentation_affinity", "augmentation_diversity")
})

__all__ = [
    "ExpectedCalibrationError",
    "FarResolutionWarning",
    "KFoldAccuracy",
    "PrecisionRecallF1",
    "RocCurve",
    "VerificationPairs",
    "accuracy",
    "angle_metrics",
    "angles_to_class_centers",
    "augmentation_affinity",
    "augmentation_diversity",
    "class_means",
    "closed_set_metrics",
    "equal_error_rate",
    "expected_calibration_error",
    "k_fold_verification_accuracy",
    "macro_precision_recall_f1",
    "mean_center_angle",
    "min_center_angle",
    "nearest_class_mean_accuracy",
    "one_vs_rest_roc_auc",
    "open_set_metrics",
    "pair_scores",
    "pairwise_center_angles",
    "tar_at_far",
    "verification_pairs",
    "verification_roc",
    "verification_roc_auc",
]

"""Result rows shaped like `keras_margin.studies.runner.run`'s, without training."""

import numpy as np

from keras_margin.studies import runner


def fake_run(spec, verbose=0, accuracy=None):
    """A row for `spec` whose accuracy depends on the head, the augmentation and the seed."""
    rng = np.random.default_rng(abs(hash(spec.key)) % 2**32)
    if accuracy is None:
        accuracy = 0.8 + 0.05 * (spec.head != "softmax") + 0.01 * spec.seed
    angles = rng.uniform(10, 60, size=200)
    row = {
        "key": spec.key,
        "spec": spec.as_dict(),
        "dataset": {"name": spec.dataset, "source": "test", "num_classes": 10, "num_train": 100,
                    "num_validation": 10, "num_test": 50},
        "metrics": {"accuracy": accuracy, "macro_f1": accuracy - 0.01, "roc_auc": 0.97,
                    "expected_calibration_error": 0.05, "mean_angle_to_center": float(angles.mean()),
                    "min_center_angle": 70.0},
        "history": {"val_accuracy": list(np.linspace(0.3, accuracy, spec.steps // 10 or 1)),
                    "loss": list(np.linspace(2.0, 0.5, spec.steps // 10 or 1))},
        "angle_histogram": {"bin_edges_degrees": runner.ANGLE_BIN_EDGES.tolist(),
                            "counts": np.histogram(angles, runner.ANGLE_BIN_EDGES)[0].tolist()},
        "train_seconds": 1.0,
        "total_seconds": 1.5,
    }
    if spec.study == "open-set":
        row["open_set_metrics"] = {"tar_at_far_1e-3": 0.2, "tar_at_far_1e-2": 0.4 + 0.1 * (spec.head != "softmax"),
                                   "tar_at_far_1e-1": 0.7, "eer": 0.15, "roc_auc": 0.9,
                                   "verification_accuracy": 0.85}
        rates = runner.ROC_FALSE_ACCEPT_RATES
        row["roc"] = {"false_accept_rate": rates.tolist(), "true_accept_rate": np.sqrt(rates).tolist()}
    if spec.study == "embedding-picture":
        labels = np.repeat(np.arange(10), 5)
        angle = labels * 2 * np.pi / 10 + rng.normal(0, 0.1, labels.size)
        row["points"] = {"embeddings": np.stack([np.cos(angle), np.sin(angle)], 1).tolist(),
                         "labels": labels.tolist(),
                         "class_centers": np.stack([np.cos(np.arange(10) * 0.628),
                                                    np.sin(np.arange(10) * 0.628)], 1).tolist()}
    return row

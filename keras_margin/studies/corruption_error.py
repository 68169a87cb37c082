"""Mean corruption error (mCE) of the robustness study, relative to a baseline model.

Hendrycks & Dietterich (2019) score a model on ImageNet-C by its corruption error
CE_c = sum_s E_{s,c} / sum_s E_{s,c}^baseline for each corruption c (E: top-1 error at
severity s, summed over the five severities, the baseline AlexNet), and the mCE is the
mean of CE_c over corruptions: 1.0 is the baseline's robustness, lower is better. Here
the baseline is plain softmax without augmentation and without adversarial training,
of the same dataset, training-set size, step budget and seed: the errors are paired
by seed, so each seed gives one mCE and the report gives their mean and interval.

References:
    Hendrycks & Dietterich, "Benchmarking Neural Network Robustness to Common
    Corruptions and Perturbations", ICLR 2019.
"""

import numpy as np

from keras_margin.studies.findings import CONFIG_FIELDS
from keras_margin.studies.findings import by_config

BASELINE = {"head": "softmax", "augment": "none", "adversarial": "none"}


def corruption_errors(rows, study="robustness"):
    """`{config: {seed: mCE}}` for every config of `study` whose baseline run (see the
    module docstring) has the same seed; configs without one are left out.

    A corruption on which the baseline makes no error at any severity is skipped (its
    ratio is undefined); an mCE over no corruption is not given.
    """
    groups = by_config(rows, study)
    positions = {field: CONFIG_FIELDS.index(field) for field in BASELINE}
    errors = {}
    for config, runs in groups.items():
        baseline_config = list(config)
        for field, position in positions.items():
            baseline_config[position] = BASELINE[field]
        baseline_runs = groups.get(tuple(baseline_config), {})
        for seed, row in runs.items():
            baseline = baseline_runs.get(seed)
            if baseline is None:
                continue
            value = mean_corruption_error(row["robustness"]["corruption_accuracy"],
                                          baseline["robustness"]["corruption_accuracy"])
            if value is not None:
                errors.setdefault(config, {})[seed] = value
    return errors


def mean_corruption_error(accuracy, baseline_accuracy):
    """The mCE of one model against a baseline, from `{corruption: [accuracy at severity
    1..5]}` of each (the corruptions they share); None if none is defined."""
    ratios = []
    for name, values in accuracy.items():
        if name not in baseline_accuracy:
            continue
        reference = np.sum(1.0 - np.asarray(baseline_accuracy[name], np.float64))
        if reference > 0:
            ratios.append(np.sum(1.0 - np.asarray(values, np.float64)) / reference)
    return float(np.mean(ratios)) if ratios else None

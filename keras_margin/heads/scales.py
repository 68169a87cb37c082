"""Scales chosen from the number of classes: `scale="auto"` and AdaCos' fixed scale.

Two arguments set a lower limit on a useful scale `s` for cosine logits `s * cos(theta)`:

- AdaCos (Zhang et al. 2019) asks that a sample a quarter turn from its centre
  (`theta_y = pi/4`), with its `C - 1` non-target cosines at 0, get target probability
  1/2: `e^(s cos(pi/4)) = C - 1`, so `s = sqrt(2) ln(C - 1)`.
- NormFace (Wang et al. 2017) bounds the best target probability any embedding can reach:
  at its own centre, with the centres a regular simplex (cosine `-1 / (C - 1)` between
  any two), `p_max = 1 / (1 + (C - 1) exp(-s C / (C - 1)))`. Below the scale where that
  reaches 0.99 the cross-entropy cannot fall below 0.01 however well the model fits.

For fewer than about 65,000 classes the second limit is the larger; "auto" takes the
larger of the two. Neither accounts for a margin, which lowers the training target logit
(ArcFace's at `theta_y = 0` is `s cos(m)`): see docs/heads/README.md for the numbers.
"""

import math

# Target probability the "auto" scale must make reachable (NormFace's bound).
AUTO_TARGET_PROBABILITY = 0.99


def max_target_probability(scale, num_classes):
    """NormFace's bound: the largest softmax probability of the target class that
    unit embeddings and unit centres allow at `scale` (embedding on its centre, the
    centres a regular simplex; needs `embedding_dim >= num_classes - 1`)."""
    others = num_classes - 1
    return 1.0 / (1.0 + others * math.exp(-scale * num_classes / others))


def scale_for_probability(probability, num_classes):
    """The scale at which `max_target_probability` equals `probability`."""
    others = num_classes - 1
    return others / num_classes * math.log(others * probability / (1.0 - probability))


def adacos_scale(num_classes):
    """AdaCos' fixed scale `sqrt(2) ln(C - 1)`.

    For C = 2 that formula gives 0 (a constant logit: nothing can be learned), so two
    classes get the scale that makes a target probability of 0.99 reachable,
    `ln(99) / 2 = 2.30` (the floor of `auto_scale`).
    """
    if num_classes == 2:
        return scale_for_probability(AUTO_TARGET_PROBABILITY, 2)
    return math.sqrt(2.0) * math.log(num_classes - 1)


def auto_scale(num_classes):
    """The scale `scale="auto"` resolves to for `num_classes` classes:
    `max(sqrt(2) ln(C - 1), scale at which max_target_probability reaches 0.99)`.

    >>> round(auto_scale(10), 2), round(auto_scale(1000), 2)
    (6.11, 11.49)
    """
    return max(adacos_scale(num_classes), scale_for_probability(AUTO_TARGET_PROBABILITY, num_classes))

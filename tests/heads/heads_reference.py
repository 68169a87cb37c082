"""Independent float64 NumPy reference of every head, written from the papers' formulas.

Nothing here reuses keras_margin code: angles come from `arccos`, `cos(m theta)` from
`np.cos`, and the branches are written as the papers state them.
"""

import math

import numpy as np


def cosines(embeddings, kernel):
    """cos(theta_bj) between rows of embeddings (B, D) and columns of kernel (D, C)."""
    x = np.asarray(embeddings, np.float64)
    w = np.asarray(kernel, np.float64)
    x_norm = np.linalg.norm(x, axis=1, keepdims=True)
    w_norm = np.linalg.norm(w, axis=0, keepdims=True)
    product = x @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(x_norm * w_norm > 0, product / (x_norm * w_norm), 0.0)
    return np.clip(cos, -1.0, 1.0), x_norm, w_norm


def psi(theta, m):
    """L-Softmax paper eq. 6: (-1)^k cos(m theta) - 2k, k = floor(m theta / pi)."""
    k = np.minimum(np.floor(m * theta / math.pi), m)
    return (-1.0) ** k * np.cos(m * theta) - 2.0 * k


def annealed_lambda(iteration, base, gamma, power, minimum):
    if base == 0:
        return 0.0
    return max(minimum, base * (1.0 + gamma * iteration) ** (-power))


def arcface_target(theta, m, easy_margin=False):
    if easy_margin:
        return np.where(np.cos(theta) > 0, np.cos(theta + m), np.cos(theta))
    return np.where(theta + m <= math.pi, np.cos(theta + m), np.cos(theta) - m * math.sin(m))


def combined_target(theta, m1, m2, m3):
    theta_t = (math.pi - m2) / m1
    drop = max(m2 * math.sin(m2), 1.0 + math.cos(theta_t))
    return np.where(
        m1 * theta + m2 <= math.pi, np.cos(m1 * theta + m2) - m3, np.cos(theta) - m3 - drop
    )


def logits(name, embeddings, kernel, labels=None, **p):
    """Training logits (labels given) or inference logits (labels None) of head `name`.

    `labels` are class ids (B,) or a (B, C) label matrix; a matrix applies each class's
    margin in proportion to its label mass.
    """
    cos, x_norm, w_norm = cosines(embeddings, kernel)
    theta = np.arccos(cos)
    x = np.asarray(embeddings, np.float64)
    w = np.asarray(kernel, np.float64)
    if name == "softmax":
        base = x @ w
        return base + p.get("bias", 0.0)
    if name in ("normface", "cosface", "arcface", "combinedmargin"):
        s = p["scale"]
        base = s * cos
        margined = {
            "normface": lambda: s * cos,
            "cosface": lambda: s * (cos - p["margin"]),
            "arcface": lambda: s * arcface_target(theta, p["margin"], p.get("easy_margin", False)),
            "combinedmargin": lambda: s * combined_target(theta, p["m1"], p["m2"], p["m3"]),
        }[name]()
    elif name in ("sphereface", "largemarginsoftmax"):
        scale = x_norm if name == "sphereface" else x_norm * w_norm
        lam = p["lambda_"]
        base = scale * cos
        margined = scale * (lam * cos + psi(theta, p["margin"])) / (1.0 + lam)
    else:
        raise ValueError(name)
    if labels is None:
        return base
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == base.shape[1]:
        mass = labels.astype(np.float64)
    else:
        mass = np.eye(base.shape[1])[labels.reshape(-1)]
    return (1.0 - mass) * base + mass * margined


def angle_sweep(num_classes=3, embedding_dim=6, degrees=None):
    """Embeddings at 0..180 degrees from their class centre, with varied norms.

    Class centres are axis-aligned with different norms, so cosines at 0 and 180
    degrees are exact in float32 and every branch (each k of psi, every fallback) is
    reached. Returns float32 `(embeddings, kernel, labels)`.
    """
    if degrees is None:
        degrees = np.arange(0, 181)
    kernel = np.zeros((embedding_dim, num_classes), np.float32)
    center_axes = [0, 2, 3, 4, 5][:num_classes]
    for j, axis in enumerate(center_axes):
        kernel[axis, j] = 0.5 + j  # norms 0.5, 1.5, 2.5, ...
    rows, labels = [], []
    for index, degree in enumerate(degrees):
        label = index % num_classes
        angle = math.radians(degree)
        norm = 0.25 + (index % 7)
        x = np.zeros(embedding_dim)
        x[center_axes[label]] = norm * math.cos(angle)
        x[1] = norm * math.sin(angle)  # axis 1 is orthogonal to every centre
        rows.append(x)
        labels.append(label)
    return np.asarray(rows, np.float32), kernel, np.asarray(labels, np.int32)


def assert_close(actual, expected, rtol=1e-5):
    actual = np.asarray(actual, np.float64)
    atol = rtol * max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- the newer family
# Each returns training logits for class ids (B,) or a (B, C) label matrix; with a
# matrix, class j's logit mixes its plain and margined value by label mass, and a
# row's "target cosine" (for per-sample statistics) is its label-weighted mean cosine.


def _label_mass(labels, num_classes):
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == num_classes:
        return labels.astype(np.float64)
    return np.eye(num_classes)[labels.reshape(-1)]


def _row_target_cosine(cos, mass):
    return (mass * cos).sum(1, keepdims=True) / mass.sum(1, keepdims=True)


def _mix(plain, margined, mass):
    return (1.0 - mass) * plain + mass * margined


def subcenter_arcface_logits(embeddings, kernel, sub_centers, labels=None, scale=64.0, margin=0.5):
    """Sub-center ArcFace: class cosine = max over the class's K sub-centre cosines."""
    cos, _, _ = cosines(embeddings, kernel)
    b = cos.shape[0]
    cos = cos.reshape(b, -1, sub_centers).max(axis=2)
    if labels is None:
        return scale * cos
    mass = _label_mass(labels, cos.shape[1])
    return _mix(scale * cos, scale * arcface_target(np.arccos(cos), margin), mass)


def adaface_statistics(norms, mean, std, t_alpha):
    """AdaFace's EMA update of the batch mean / unbiased std of the clipped norms."""
    safe = np.clip(np.asarray(norms, np.float64).reshape(-1), 0.001, 100.0)
    batch_std = safe.std(ddof=1) if safe.size > 1 else 0.0
    return t_alpha * safe.mean() + (1 - t_alpha) * mean, t_alpha * batch_std + (1 - t_alpha) * std


def adaface_logits(embeddings, kernel, labels, scale, margin, h, mean, std):
    """AdaFace (Kim et al. 2022, eq. 11-12 and the official code) with given statistics."""
    eps = 1e-3
    cos, x_norm, _ = cosines(embeddings, kernel)
    safe = np.clip(x_norm, 0.001, 100.0)
    scaler = np.clip((safe - mean) / (std + eps) * h, -1.0, 1.0)
    theta = np.arccos(np.clip(cos, -1 + eps, 1 - eps))
    theta_m = np.clip(theta - margin * scaler, eps, math.pi - eps)
    margined = np.cos(theta_m) - (margin + margin * scaler)
    return _mix(scale * cos, scale * margined, _label_mass(labels, cos.shape[1]))


def magface_margin(norms, l_a, u_a, l_m, u_m):
    a = np.clip(norms, l_a, u_a)
    return (u_m - l_m) / (u_a - l_a) * (a - l_a) + l_m


def magface_logits(embeddings, kernel, labels, scale, l_a, u_a, l_m, u_m):
    """MagFace (Meng et al. 2021): ArcFace with m(a), a = clip(||x||, l_a, u_a)."""
    cos, x_norm, _ = cosines(embeddings, kernel)
    m = magface_margin(x_norm, l_a, u_a, l_m, u_m)
    theta = np.arccos(cos)
    margined = np.where(theta + m <= math.pi, np.cos(theta + m), cos - m * np.sin(m))
    return _mix(scale * cos, scale * margined, _label_mass(labels, cos.shape[1]))


def magface_regularizer(embeddings, l_a, u_a, weight):
    """lambda_g * mean(a / u_a^2 + 1 / a)."""
    a = np.clip(np.linalg.norm(np.asarray(embeddings, np.float64), axis=1), l_a, u_a)
    return weight * np.mean(a / u_a**2 + 1.0 / a)


def curricularface_logits(embeddings, kernel, labels, scale, margin, t):
    """CurricularFace (Huang et al. 2020) with the state t before this batch.

    Returns `(logits, t_after)`: t is updated with the batch first, then used.
    """
    cos, _, _ = cosines(embeddings, kernel)
    mass = _label_mass(labels, cos.shape[1])
    target = _row_target_cosine(cos, mass)
    t = 0.01 * target.mean() + 0.99 * t
    threshold = np.cos(np.arccos(target) + margin)  # cos(theta_y + m), no fallback
    negatives = np.where(cos > threshold, cos * (t + cos), cos)
    margined = arcface_target(np.arccos(cos), margin)
    return _mix(scale * negatives, scale * margined, mass), t


def elastic_assignment(drawn, target_cosines):
    """ElasticFace+: the k-th highest target cosine gets the k-th smallest margin."""
    drawn = np.asarray(drawn, np.float64).reshape(-1)
    assigned = np.empty_like(drawn)
    assigned[np.argsort(-np.asarray(target_cosines).reshape(-1), kind="stable")] = np.sort(drawn)
    return assigned


def elasticface_logits(embeddings, kernel, labels, scale, margins, kind):
    """ElasticFace-Arc / -Cos with the given per-sample margins (B,)."""
    cos, _, _ = cosines(embeddings, kernel)
    m = np.asarray(margins, np.float64).reshape(-1, 1)
    if kind == "arc":
        theta = np.arccos(cos)
        margined = np.where(theta + m <= math.pi, np.cos(theta + m), cos - m * np.sin(m))
    else:
        margined = cos - m
    return _mix(scale * cos, scale * margined, _label_mass(labels, cos.shape[1]))


def ldam_margins(class_counts, max_margin):
    """Cao et al. 2019, eq. 13: m_j = C / n_j^(1/4), C chosen so max_j m_j = max_margin."""
    raw = 1.0 / np.asarray(class_counts, np.float64) ** 0.25
    return raw * max_margin / raw.max()


def ldam_logits(embeddings, kernel, labels, scale, class_counts, max_margin):
    cos, _, _ = cosines(embeddings, kernel)
    margined = cos - ldam_margins(class_counts, max_margin)[None, :]
    return _mix(scale * cos, scale * margined, _label_mass(labels, cos.shape[1]))

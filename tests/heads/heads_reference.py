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

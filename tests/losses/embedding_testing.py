"""Shared checks of the losses on embeddings: batches that reach every branch, PML's
value and gradient (float64 torch), finite differences, mixed precision, config,
`model.fit`, and loop-based NumPy references of the distances and miners."""

import keras
import numpy as np
import tensorflow as tf
import torch
from pytorch_metric_learning.utils import loss_and_miner_utils as lmu


def batches():
    """`{name: (embeddings float64, labels)}` that reach every branch of the losses."""
    rng = np.random.default_rng(7)
    random = rng.normal(size=(10, 4))
    one_hot = np.eye(4)[[0, 0, 1, 1, 2, 2]] * rng.uniform(0.5, 3.0, (6, 1))
    with_ties = np.repeat(rng.normal(size=(4, 3)), 2, axis=0)  # every row twice
    with_zero_row = rng.normal(size=(6, 3))
    with_zero_row[2] = 0.0
    return {
        "random": (random, rng.integers(0, 3, 10)),
        "no_positives": (rng.normal(size=(6, 4)), np.arange(6)),
        "all_same_label": (rng.normal(size=(6, 4)), np.zeros(6, int)),
        "one_sample": (rng.normal(size=(1, 4)), np.array([3])),
        "separated_classes": (one_hot, np.array([0, 0, 1, 1, 2, 2])),
        "ties": (with_ties, np.array([0, 0, 1, 1, 0, 0, 2, 2])),
        "ties_across_labels": (with_ties, np.array([0, 1, 1, 0, 2, 2, 0, 1])),
        "single_anchor_with_positive": (rng.normal(size=(5, 3)), np.array([0, 0, 1, 2, 3])),
        "zero_embedding": (with_zero_row, np.array([0, 1, 0, 1, 2, 2])),
    }


# Batches where an anchor's hardest positive or negative is tied: PML and this
# package may pick different ones, so the batch-hard gradients differ (not the value).
TIED_DISTANCES = ("ties", "ties_across_labels", "zero_embedding")


def normalize(embeddings):
    """PML's normalisation: rows divided by max(||x||, 1e-12)."""
    norms = np.linalg.norm(embeddings, axis=1, keepdims=True)
    return embeddings / np.maximum(norms, 1e-12)


def distance_matrix(embeddings):
    """Euclidean distances between normalised rows, by loops."""
    x = normalize(embeddings)
    n = len(x)
    return np.array([[np.sqrt(np.sum((x[i] - x[j]) ** 2)) for j in range(n)] for i in range(n)])


def all_triplets(labels):
    n = len(labels)
    return [
        (a, p, q) for a in range(n) for p in range(n) for q in range(n)
        if a != p and labels[a] == labels[p] and labels[a] != labels[q]
    ]


def reference_triplets(embeddings, labels, miner, margin=None):
    """The triplets a miner keeps, by loops: None and "batch_all" all valid triplets,
    "semi_hard" FaceNet's window, "batch_hard" the farthest positive and nearest
    negative of each anchor (first index on ties)."""
    d = distance_matrix(embeddings)
    triplets = all_triplets(labels)
    if miner in (None, "batch_all"):
        return triplets
    if miner == "semi_hard":
        return [(a, p, q) for a, p, q in triplets if 0 < d[a, q] - d[a, p] <= margin]
    kept = []
    for a in range(len(labels)):
        positives = [p for p in range(len(labels)) if p != a and labels[p] == labels[a]]
        negatives = [q for q in range(len(labels)) if labels[q] != labels[a]]
        if positives and negatives:
            hardest_p = max(positives, key=lambda p: (d[a, p], -p))
            hardest_n = min(negatives, key=lambda q: (d[a, q], q))
            kept.append((a, hardest_p, hardest_n))
    return kept


def average_non_zero(values):
    values = np.asarray(values, np.float64)
    kept = values[values > 0]
    return float(kept.mean()) if len(kept) else 0.0


def pml_value_and_gradient(pml_loss, embeddings, labels, miner=None):
    """PML's loss and its gradient in float64; `miner` is a PML miner, the string
    "batch_all" (all triplets as the indices) or None."""
    x = torch.tensor(embeddings, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(labels)
    if miner == "batch_all":
        indices = lmu.get_all_triplets_indices(y)
    elif miner is not None:
        indices = miner(x, y)
    else:
        indices = None
    value = pml_loss(x, y, indices)
    if value.requires_grad:
        value.backward()
    gradient = x.grad.numpy() if x.grad is not None else np.zeros_like(embeddings)
    return float(value.detach()), gradient


def value_and_gradient(loss, embeddings, labels):
    """The Keras loss's value and gradient (TF backend) in the input's dtype."""
    x = tf.constant(embeddings)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = loss(labels, x)
    return value.numpy(), tape.gradient(value, x).numpy()


def check_finite_and_close(loss, embeddings, labels, expected, rtol):
    """float32 value and gradient finite, the value close to a float64 `expected`
    (for parameters that push the exponentials towards overflow)."""
    value, gradient = value_and_gradient(loss, embeddings.astype("float32"), labels)
    assert np.isfinite(value) and np.all(np.isfinite(gradient))
    np.testing.assert_allclose(value, expected, rtol=rtol)


def as_float64(loss):
    return type(loss).from_config({**loss.get_config(), "dtype": "float64"})


def check_matches_pml(loss, pml_loss, embeddings, labels, pml_miner=None, compare_gradient=True):
    """float32 value within ~1e-6 relative of PML's float64; float64 value (and
    gradient) equal to PML's to rounding. Returns the float32 value."""
    expected, expected_gradient = pml_value_and_gradient(pml_loss, embeddings, labels, pml_miner)
    value32 = float(loss(labels, embeddings.astype("float32")))
    np.testing.assert_allclose(value32, expected, rtol=2e-6, atol=2e-7)
    value64, gradient64 = value_and_gradient(as_float64(loss), embeddings, labels)
    np.testing.assert_allclose(value64, expected, rtol=1e-12, atol=1e-13)
    if compare_gradient:
        np.testing.assert_allclose(gradient64, expected_gradient, rtol=1e-9, atol=1e-11)
    return value32


def small_batch():
    """A small random batch, 2 samples of each of 3 classes, for finite differences."""
    return np.random.default_rng(11).normal(size=(6, 3)), np.array([0, 1, 2, 0, 1, 2])


def check_finite_differences(loss, embeddings, labels, step=1e-6):
    """The float64 gradient against central differences of the float64 loss."""
    loss = as_float64(loss)
    _, gradient = value_and_gradient(loss, embeddings, labels)
    numeric = np.zeros_like(embeddings)
    for index in np.ndindex(*embeddings.shape):
        plus, minus = embeddings.copy(), embeddings.copy()
        plus[index] += step
        minus[index] -= step
        numeric[index] = (float(loss(labels, plus)) - float(loss(labels, minus))) / (2 * step)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-5, atol=1e-7)
    return gradient


def check_finite_under_mixed_precision(loss, labels):
    """float16 embeddings with tiny and huge norms give a finite float32 loss and a
    finite gradient; so do float32 rows near the float32 limit or at 0. (A float16
    zero row gives a finite loss, but its gradient is ~1/1e-12 as PML's and only
    float32 can hold that.)"""
    rng = np.random.default_rng(3)
    base = rng.normal(size=(len(labels), 4))
    for scale in (1e-3, 1.0, 6e4):
        x = np.clip(base * scale, -65000, 65000).astype("float16")
        value, gradient = value_and_gradient(loss, x, labels)
        assert np.isfinite(value) and value.dtype == np.float32, (scale, value)
        assert np.all(np.isfinite(gradient)), scale
        x[0] = 0.0
        assert np.isfinite(float(loss(labels, x))), scale
    for scale in (1e-30, 1.0, 1e30, 3e38):
        x = (base * scale / 4).astype("float32")
        x[0] = 0.0
        value, gradient = value_and_gradient(loss, x, labels)
        assert np.isfinite(value), scale
        assert np.all(np.isfinite(gradient)), scale


def check_config_round_trip(loss, embeddings, labels):
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()
    x = embeddings.astype("float32")
    assert float(restored(labels, x)) == float(loss(labels, x))


def check_fit_decreases(loss, steps=5, jit_compile=False):
    """A Dense model that outputs embeddings trains with `model.fit` (a traced graph;
    XLA-compiled with `jit_compile`): the loss after a few steps is lower than at the
    start."""
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 6)
    centres = rng.normal(size=(4, 8))
    inputs = (centres[labels] + 0.8 * rng.normal(size=(24, 8))).astype("float32")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(6)])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=loss, jit_compile=jit_compile)
    history = model.fit(inputs, labels, batch_size=24, epochs=steps, shuffle=False, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0], losses

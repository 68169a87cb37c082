import math

import keras
import numpy as np
import pytest

import heads_reference as ref
import keras_margin as km
from head_testing import assert_gradients_match, head_with_kernel, random_problem


def _sweep_with_sub_centers():
    """The 0..180 degree sweep; each class gets a second sub-centre tilted off its axis.

    Past 90 degrees the tilted one is the nearer, and at 180 degrees it is still more
    than pi - 0.5 away, so both the max and ArcFace's fallback are exercised.
    """
    embeddings, kernel, labels = ref.angle_sweep()
    tilted = kernel.copy()
    tilted[5] = 0.3 * np.linalg.norm(kernel, axis=0)
    stacked = np.stack([kernel, tilted], axis=2).reshape(kernel.shape[0], -1)
    return embeddings, stacked.astype(np.float32), labels


def test_matches_reference_on_the_sweep():
    embeddings, kernel, labels = _sweep_with_sub_centers()
    head = head_with_kernel(km.heads.SubCenterArcFace(3, sub_centers=2), kernel)
    logits = head(embeddings, labels=labels, training=True)
    ref.assert_close(logits, ref.subcenter_arcface_logits(embeddings, kernel, 2, labels))
    ref.assert_close(head(embeddings), ref.subcenter_arcface_logits(embeddings, kernel, 2))
    cos, _, _ = ref.cosines(embeddings, kernel)
    target = cos.reshape(len(labels), 3, 2)[np.arange(len(labels)), labels]
    assert (target[:, 1] > target[:, 0]).any() and (target[:, 0] > target[:, 1]).any()
    assert (np.arccos(target.max(1)) > math.pi - 0.5).any()  # the fallback branch


def test_matches_reference_with_soft_labels_and_three_sub_centers():
    embeddings, kernel, _ = random_problem(batch=8, embedding_dim=5, num_classes=9, seed=2)
    soft = np.random.default_rng(2).dirichlet(np.ones(3), size=8).astype(np.float32)
    head = head_with_kernel(km.heads.SubCenterArcFace(3, scale=16.0, margin=0.3, sub_centers=3), kernel)
    ref.assert_close(
        head(embeddings, labels=soft, training=True),
        ref.subcenter_arcface_logits(embeddings, kernel, 3, soft, scale=16.0, margin=0.3),
    )


def test_one_sub_center_is_arcface():
    embeddings, kernel, labels = random_problem(batch=8)
    sub = head_with_kernel(km.heads.SubCenterArcFace(3, sub_centers=1), kernel)
    arc = head_with_kernel(km.heads.ArcFace(3), kernel)
    np.testing.assert_allclose(sub(embeddings, labels=labels, training=True),
                               arc(embeddings, labels=labels, training=True), rtol=1e-6)


def test_gradients_match_finite_differences():
    embeddings, kernel, _ = random_problem(batch=5, embedding_dim=4, num_classes=6, seed=3)
    labels = np.array([0, 1, 2, 2, 0], np.int32)
    assert_gradients_match(
        lambda **kw: km.heads.SubCenterArcFace(3, scale=8.0, sub_centers=2, **kw), embeddings, kernel, labels
    )


def _clustered_problem():
    """Class c's samples sit near sub-centre (c + 1) % 3, except two planted outliers."""
    rng = np.random.default_rng(0)
    num_classes, k, dim = 3, 3, 9
    kernel = np.eye(dim, dtype=np.float32) * rng.uniform(0.5, 2.0, dim).astype(np.float32)  # 9 orthogonal centres
    labels = np.repeat(np.arange(num_classes), 6).astype(np.int32)
    dominant = (labels + 1) % k
    directions = kernel[:, labels * k + dominant].T
    embeddings = directions / np.linalg.norm(directions, axis=1, keepdims=True) * 3.0
    embeddings = embeddings + rng.normal(scale=0.2, size=embeddings.shape)
    outliers = np.array([4, 11])
    # outlier 4 (class 0) sits on class 2's first centre: 90 degrees from all of class 0's
    embeddings[4] = kernel[:, 6] / np.linalg.norm(kernel[:, 6]) * 3.0
    # outlier 11 (class 1) at ~80 degrees from its dominant centre, nearest to sub-centre 0
    embeddings[11] = 3.0 * (math.cos(math.radians(80)) * np.eye(dim)[5] + math.sin(math.radians(80)) * np.eye(dim)[3])
    return embeddings.astype(np.float32), kernel, labels, dominant, outliers


def test_dominant_centers_and_outliers_from_data():
    embeddings, kernel, labels, dominant, outliers = _clustered_problem()
    head = head_with_kernel(km.heads.SubCenterArcFace(3, sub_centers=3), kernel)
    centers = np.asarray(head.dominant_centers(embeddings, labels))
    expected = kernel[:, np.arange(3) * 3 + np.array([1, 2, 0])].T
    np.testing.assert_allclose(centers, expected / np.linalg.norm(expected, axis=1, keepdims=True), atol=1e-6)
    mask = np.asarray(head.find_outliers(embeddings, labels, threshold_degrees=75.0))
    assert mask.dtype == bool and mask.shape == (18,)
    np.testing.assert_array_equal(np.flatnonzero(mask), outliers)
    # the reference: angle to the class's dominant centre above the threshold
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    angles = np.degrees(np.arccos(np.clip((unit * centers[labels]).sum(1), -1, 1)))
    np.testing.assert_array_equal(mask, angles > 75.0)
    assert not np.asarray(head.find_outliers(embeddings, labels, threshold_degrees=95.0)).any()


def test_training_counts_pick_the_dominant_centers_and_are_saved(tmp_path):
    embeddings, kernel, labels, _, _ = _clustered_problem()
    head = head_with_kernel(km.heads.SubCenterArcFace(3, sub_centers=3), kernel)
    before = np.asarray(head.dominant_centers())  # no counts yet: sub-centre 0
    np.testing.assert_allclose(before, (kernel[:, [0, 3, 6]] / np.linalg.norm(kernel[:, [0, 3, 6]], axis=0)).T)
    head(embeddings, labels=labels, training=True)
    head(embeddings, labels=np.eye(3, dtype=np.float32)[labels], training=True)  # label matrix counts too
    counts = np.asarray(head.assignment_counts)
    assert counts.sum() == 36
    np.testing.assert_array_equal(np.argmax(counts, 1), [1, 2, 0])
    head(embeddings, labels=labels, training=False)
    head(embeddings)
    np.testing.assert_array_equal(np.asarray(head.assignment_counts), counts)  # frozen at inference
    np.testing.assert_allclose(head.class_centers, head.dominant_centers(embeddings, labels), atol=1e-6)

    inputs = keras.Input((9,))
    model = keras.Model(inputs, head(inputs))
    path = tmp_path / "subcenter.keras"
    model.save(path)
    restored = keras.saving.load_model(path).layers[-1]
    assert isinstance(restored, km.heads.SubCenterArcFace)
    np.testing.assert_array_equal(np.asarray(restored.assignment_counts), counts)
    np.testing.assert_allclose(restored(embeddings), head(embeddings), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"sub_centers": 0}, "sub_centers"), ({"sub_centers": 2.5}, "sub_centers"),
     ({"margin": 2.0}, "margin"), ({"scale": 0.0}, "scale")],
)
def test_invalid_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.heads.SubCenterArcFace(10, **kwargs)


def test_outlier_threshold_is_checked():
    embeddings, kernel, labels, _, _ = _clustered_problem()
    head = head_with_kernel(km.heads.SubCenterArcFace(3), kernel)
    with pytest.raises(ValueError, match="`threshold_degrees`"):
        head.find_outliers(embeddings, labels, threshold_degrees=200.0)


def test_config_round_trip():
    head = km.heads.SubCenterArcFace(7, scale=32.0, margin=0.3, sub_centers=4, name="sub")
    clone = km.heads.SubCenterArcFace.from_config(head.get_config())
    assert clone.get_config() == head.get_config()
    assert clone.sub_centers == 4

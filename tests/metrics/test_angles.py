import math

import numpy as np
import pytest

import keras_margin as km


def _unit(degrees):
    return np.array([math.cos(math.radians(degrees)), math.sin(math.radians(degrees))])


def test_angles_to_class_centers_on_hand_built_vectors():
    centers = np.stack([_unit(0), _unit(90)])
    embeddings = np.stack([_unit(90), _unit(60), 5.0 * _unit(60), _unit(0), -_unit(90), _unit(135)])
    labels = [0, 0, 0, 0, 1, 1]
    angles = km.metrics.angles_to_class_centers(embeddings, labels, centers)
    np.testing.assert_allclose(angles, [90, 60, 60, 0, 180, 45], atol=1e-12)


def test_tiny_angles_keep_their_precision():
    embeddings = np.array([[1.0, 1e-9]])
    # arccos would say exactly 0 here: the dot product of the unit vectors rounds to 1.
    unit = embeddings[0] / np.linalg.norm(embeddings[0])
    assert np.arccos(min(unit @ [1.0, 0.0], 1.0)) == 0.0
    angle = km.metrics.angles_to_class_centers(embeddings, [0], np.array([[1.0, 0.0]]))
    np.testing.assert_allclose(angle, [math.degrees(1e-9)], rtol=1e-6)


def test_zero_embedding_is_orthogonal_to_every_center():
    angles = km.metrics.angles_to_class_centers(np.zeros((1, 3)), [1], np.eye(3))
    np.testing.assert_allclose(angles, [90.0])


def test_center_angles_on_hand_built_centres():
    centers = np.stack([_unit(0), 3.0 * _unit(60), _unit(150)])  # pairs: 60, 150, 90 degrees
    np.testing.assert_allclose(
        km.metrics.pairwise_center_angles(centers),
        [[0, 60, 150], [60, 0, 90], [150, 90, 0]],
        atol=1e-9,
    )
    assert km.metrics.min_center_angle(centers) == pytest.approx(60)
    assert km.metrics.mean_center_angle(centers) == pytest.approx(100)


def test_orthonormal_centres_are_ninety_degrees_apart():
    assert km.metrics.min_center_angle(np.eye(4)) == pytest.approx(90)
    assert km.metrics.mean_center_angle(np.eye(4)) == pytest.approx(90)


def test_duplicate_centres_give_zero_not_nan():
    # 0.6^2 + 0.8^2 rounds above 1 in floating point; the clip keeps arccos defined.
    centers = np.array([[0.6, 0.8], [0.6, 0.8], [0.8, -0.6]])
    assert km.metrics.min_center_angle(centers) == 0.0
    assert np.all(np.isfinite(km.metrics.pairwise_center_angles(centers)))


def test_angles_of_a_head_class_centers_tensor():
    head = km.heads.ArcFace(5)
    head.build((None, 8))
    kernel = np.asarray(head.kernel, dtype=np.float64)
    columns = kernel / np.linalg.norm(kernel, axis=0)
    expected = np.degrees(np.arccos(np.clip(columns.T @ columns, -1, 1)))
    expected = expected[~np.eye(5, dtype=bool)]
    assert km.metrics.min_center_angle(head.class_centers) == pytest.approx(expected.min(), abs=1e-4)
    embeddings = np.random.default_rng(0).normal(size=(4, 8))
    angles = km.metrics.angles_to_class_centers(embeddings, [0, 1, 2, 4], head.class_centers)
    unit = embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)
    by_cosine = np.degrees(np.arccos(np.sum(unit * columns.T[[0, 1, 2, 4]], axis=1)))
    np.testing.assert_allclose(angles, by_cosine, atol=1e-4)


@pytest.mark.parametrize(
    "embeddings, labels, centers, name",
    [
        (np.ones((2, 3)), [0, 1], np.ones((2, 4)), "class_centers"),
        (np.ones((2, 3)), [0, 2], np.ones((2, 3)), "labels"),
        (np.ones((2, 3)), [0], np.ones((2, 3)), "labels"),
        (np.array([[np.nan, 1, 1]]), [0], np.ones((2, 3)), "embeddings"),
        (np.ones(3), [0], np.ones((2, 3)), "embeddings"),
        (np.ones((1, 3)), [0], np.array([[np.inf, 0, 0]]), "class_centers"),
    ],
)
def test_angles_to_class_centers_invalid_inputs(embeddings, labels, centers, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.metrics.angles_to_class_centers(embeddings, labels, centers)


@pytest.mark.parametrize("centers", [np.ones((1, 3)), np.ones(3), np.array([[1.0, np.nan], [0, 1]])])
def test_center_angles_invalid_inputs(centers):
    for function in (km.metrics.min_center_angle, km.metrics.mean_center_angle):
        with pytest.raises(ValueError, match="`class_centers`"):
            function(centers)

import keras
import numpy as np
import pytest

import keras_margin as km


def _model_with_known_centers():
    """Identity backbone; class 0 and 1 with dominant sub-centres along x and y."""
    backbone = keras.Sequential([keras.Input((2,)), keras.layers.Identity()])
    head = km.heads.SubCenterArcFace(2, sub_centers=2)
    model = km.MarginModel(backbone, head)
    model.build((None, 2))
    # Columns: class 0 -> (x, -x), class 1 -> (y, -y).
    head.kernel.assign(np.array([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0]], "float32"))
    return model


def test_drop_and_relabel_outliers():
    model = _model_with_known_centers()
    images = np.array([[1.0, 0.1], [1.0, -0.2], [0.9, 0.1], [0.1, 1.0], [0.0, 1.0], [1.0, 0.05]], "float32")
    labels = np.array([0, 0, 0, 1, 1, 1])  # the last one lies along x: labelled 1 by mistake
    dropped = km.data.clean_with_sub_centers(model, images, labels, threshold_degrees=60)
    np.testing.assert_array_equal(dropped.outliers, [False] * 5 + [True])
    np.testing.assert_array_equal(dropped.labels, labels[:5])
    np.testing.assert_array_equal(dropped.images, images[:5])
    relabelled = km.data.clean_with_sub_centers(model, images, labels, threshold_degrees=60, action="relabel")
    np.testing.assert_array_equal(relabelled.labels, [0, 0, 0, 1, 1, 0])
    assert len(relabelled.images) == 6


def test_a_head_without_sub_centres_or_a_bad_action_is_refused():
    backbone = keras.Sequential([keras.Input((2,)), keras.layers.Identity()])
    model = km.MarginModel(backbone, km.heads.ArcFace(2))
    with pytest.raises(ValueError, match="SubCenterArcFace"):
        km.data.clean_with_sub_centers(model, np.zeros((2, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match="`action`"):
        km.data.clean_with_sub_centers(_model_with_known_centers(), np.zeros((2, 2)), np.array([0, 1]),
                                       action="keep")

"""`GridMask`: a periodic grid of dropped squares, per image."""

import numpy as np
import pytest

from keras_margin.augment.image import GridMask


def test_dropped_fraction_is_about_ratio_squared():
    images = np.full((64, 48, 48, 3), 200, "uint8")
    out = np.asarray(GridMask(ratio=0.5, seed=0)(images))
    dropped = (out == 0).all(axis=-1).mean(axis=(1, 2))
    # Whole units do not tile the image exactly: allow slack per image, tight overall.
    assert abs(dropped.mean() - 0.25) < 0.05
    assert dropped.std() > 0.01  # per-image units and offsets
    assert set(np.unique(out)) == {0, 200}  # channels dropped together


def test_unrotated_grid_is_axis_aligned_and_periodic():
    images = np.ones((8, 40, 40, 1), "float32")
    out = np.asarray(GridMask(ratio=0.5, unit_size=(0.25, 0.25), rotate=False, seed=1)(images))
    for mask in out[..., 0] == 0:
        rows = mask.any(axis=1)
        cols = mask.any(axis=0)
        # Dropped squares = dropped rows x dropped columns, period 10 pixels.
        np.testing.assert_array_equal(mask, rows[:, None] & cols[None, :])
        np.testing.assert_array_equal(rows[:30], rows[10:40])
        assert rows[:10].sum() == 5


def test_fill_value_and_inference():
    images = np.full((2, 16, 16, 1), 0.5, "float32")
    layer = GridMask(fill_value=-1.0, seed=0)
    assert set(np.unique(np.asarray(layer(images)))) == {-1.0, 0.5}
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)
    assert GridMask.from_config(layer.get_config()).get_config() == layer.get_config()


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"ratio": 0.0}, "ratio"),
        ({"ratio": 1.0}, "ratio"),
        ({"unit_size": (0.0, 0.5)}, "unit_size"),
        ({"unit_size": (0.5, 1.5)}, "unit_size"),
        ({"rotate": 1}, "rotate"),
        ({"fill_value": float("inf")}, "fill_value"),
    ],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        GridMask(**kwargs)

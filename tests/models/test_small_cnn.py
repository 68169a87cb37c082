import numpy as np
import pytest

import keras_margin as km


@pytest.mark.parametrize("input_shape", [(28, 28, 1), (32, 32, 3), (8, 8, 1)])
def test_output_shape_and_pixel_scaling(input_shape):
    backbone = km.models.small_cnn(embedding_dim=16, input_shape=input_shape, width=4)
    assert backbone.output_shape == (None, 16)
    out = backbone(np.full((2, *input_shape), 255.0, "float32"), training=False)
    assert np.isfinite(np.asarray(out)).all()


@pytest.mark.parametrize("kwargs, name", [({"embedding_dim": 0}, "embedding_dim"), ({"width": 1.5}, "width"),
                                          ({"input_shape": (28, 28)}, "input_shape")])
def test_invalid_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.models.small_cnn(**kwargs)

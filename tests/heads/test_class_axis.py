"""`MarginHead.class_axis`: the kernel axis that runs over the classes' centres."""

import pytest

import keras_margin as km

CLASSES, DIM = 6, 4


@pytest.mark.parametrize("name", km.heads.names())
def test_class_axis_indexes_every_centre(name):
    head_class = km.heads.get(name)
    rates = [None] + ([0.5] if issubclass(head_class, km.heads.CosineMarginHead) else [])
    for rate in rates:
        kwargs = {} if rate is None else {"sample_rate": rate, "seed": 0}
        if rate is not None and head_class is km.heads.AdaCos:
            kwargs["dynamic"] = False  # the dynamic scale needs every class
        head = km.heads.create(name, CLASSES, [3] * CLASSES, **kwargs)
        head.build((None, DIM))
        # full heads keep (D, C*K) columns; sampling heads (C*K, D) rows
        assert head.class_axis == (1 if rate is None else 0)
        assert head.kernel.shape[head.class_axis] == CLASSES * head.centers_per_class
        assert head.kernel.shape[1 - head.class_axis] == DIM

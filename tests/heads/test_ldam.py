import keras
import numpy as np
import pytest

import heads_reference as ref
import keras_margin as km
from head_testing import assert_gradients_match, head_with_kernel, random_problem

COUNTS = [400, 60, 5]


def test_margins_follow_the_quartic_root_rule():
    head = km.heads.LDAM(COUNTS, max_margin=0.5)
    np.testing.assert_allclose(head.class_margins, ref.ldam_margins(COUNTS, 0.5), rtol=1e-12)
    assert max(head.class_margins) == pytest.approx(0.5)
    assert head.num_classes == 3
    # the rarest class gets the largest margin: n^(-1/4) ratio
    assert head.class_margins[0] / head.class_margins[2] == pytest.approx((5 / 400) ** 0.25)


@pytest.mark.parametrize("scale, max_margin", [(30.0, 0.5), (10.0, 1.2)])
def test_matches_reference(scale, max_margin):
    embeddings, kernel, labels = ref.angle_sweep()
    head = head_with_kernel(km.heads.LDAM(COUNTS, scale=scale, max_margin=max_margin), kernel)
    ref.assert_close(head(embeddings, labels=labels, training=True),
                     ref.ldam_logits(embeddings, kernel, labels, scale, COUNTS, max_margin))
    ref.assert_close(head(embeddings), scale * ref.cosines(embeddings, kernel)[0])
    assert set(labels) == {0, 1, 2}  # every class's margin is used


def test_soft_labels_get_each_classes_margin_by_label_mass():
    embeddings, kernel, _ = random_problem(batch=16, embedding_dim=6, seed=1)
    soft = np.random.default_rng(1).dirichlet(np.ones(3) * 0.5, size=16).astype(np.float32)
    head = head_with_kernel(km.heads.LDAM(COUNTS), kernel)
    ref.assert_close(head(embeddings, labels=soft, training=True),
                     ref.ldam_logits(embeddings, kernel, soft, 30.0, COUNTS, 0.5))


def test_gradients_match_finite_differences():
    embeddings, kernel, labels = random_problem(seed=5)
    assert_gradients_match(lambda **kw: km.heads.LDAM(COUNTS, scale=8.0, **kw), embeddings, kernel, labels)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"class_counts": [10]}, "class_counts"), ({"class_counts": [10, 0]}, "class_counts"),
     ({"class_counts": [10, 2.5]}, "class_counts"), ({"class_counts": 10}, "class_counts"),
     ({"class_counts": ["a", "b"]}, "class_counts"), ({"max_margin": 2.0}, "max_margin"),
     ({"max_margin": -0.1}, "max_margin"), ({"scale": 0.0}, "scale")],
)
def test_invalid_arguments_name_the_argument(kwargs, name):
    kwargs = {"class_counts": COUNTS, **kwargs}
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.heads.LDAM(**kwargs)


def test_config_and_keras_file_round_trip(tmp_path):
    head = km.heads.LDAM(np.array(COUNTS), scale=20.0, max_margin=0.4, name="ldam")
    config = head.get_config()
    assert "num_classes" not in config and config["class_counts"] == COUNTS
    clone = km.heads.LDAM.from_config(config)
    assert clone.get_config() == config and clone.class_margins == head.class_margins
    inputs = keras.Input((6,))
    model = keras.Model(inputs, head(inputs))
    model.save(tmp_path / "ldam.keras")
    restored = keras.saving.load_model(tmp_path / "ldam.keras").layers[-1]
    embeddings, _, labels = random_problem(batch=6, embedding_dim=6)
    np.testing.assert_allclose(restored(embeddings, labels=labels, training=True),
                               head(embeddings, labels=labels, training=True), rtol=1e-6)

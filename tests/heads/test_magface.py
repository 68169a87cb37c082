import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import heads_reference as ref
import keras_margin as km
from head_testing import assert_gradients_match, head_with_kernel, random_problem

DEFAULTS = dict(l_a=10.0, u_a=110.0, l_m=0.45, u_m=0.8)


def _angles_and_magnitudes():
    """Targets at 0..180 degrees with magnitudes below l_a, inside and above u_a.

    At 170-180 degrees theta + m(a) > pi for every margin in [0.45, 0.8]: the fallback.
    """
    kernel = np.zeros((4, 3), np.float32)
    kernel[0, 0], kernel[2, 1], kernel[3, 2] = 1.0, 2.0, 0.5
    rows, labels = [], []
    for i, degree in enumerate([0, 20, 60, 90, 135, 150, 170, 180]):
        # powers of two: exact float32 unit vectors, so theta = 0 gives sin(theta) = 0
        for j, norm in enumerate([2.0, 8.0, 32.0, 64.0, 128.0, 512.0]):
            label = (i + j) % 3
            x = np.zeros(4)
            x[[0, 2, 3][label]] = norm * math.cos(math.radians(degree))
            x[1] = norm * math.sin(math.radians(degree))
            rows.append(x)
            labels.append(label)
    return np.asarray(rows, np.float32), kernel, np.asarray(labels, np.int32)


def test_matches_reference_and_adds_the_regularizer():
    embeddings, kernel, labels = _angles_and_magnitudes()
    head = head_with_kernel(km.heads.MagFace(3), kernel)
    logits = head(embeddings, labels=labels, training=True)
    ref.assert_close(logits, ref.magface_logits(embeddings, kernel, labels, 64.0, **DEFAULTS))
    assert len(head.losses) == 1
    assert float(head.losses[0]) == pytest.approx(ref.magface_regularizer(embeddings, 10.0, 110.0, 35.0), rel=1e-5)
    norms = np.linalg.norm(embeddings, axis=1)
    margins = ref.magface_margin(norms, **DEFAULTS)
    theta = np.degrees(np.arccos(ref.cosines(embeddings, kernel)[0][np.arange(len(labels)), labels]))
    assert (norms < 10).any() and (norms > 110).any()
    assert (np.radians(theta) + margins > math.pi).any()  # the fallback
    np.testing.assert_allclose(ref.magface_margin(np.array([10.0, 60.0, 110.0]), **DEFAULTS), [0.45, 0.625, 0.8])


def test_soft_labels_match_reference():
    embeddings, kernel, _ = random_problem(batch=8, embedding_dim=5, seed=3)
    embeddings = embeddings * np.linspace(1, 60, 8)[:, None].astype(np.float32)
    soft = np.random.default_rng(3).dirichlet(np.ones(3), size=8).astype(np.float32)
    kwargs = dict(lower_magnitude=5.0, upper_magnitude=50.0, lower_margin=0.2, upper_margin=0.6)
    head = head_with_kernel(km.heads.MagFace(3, scale=16.0, regularizer_weight=2.0, **kwargs), kernel)
    ref.assert_close(
        head(embeddings, labels=soft, training=True),
        ref.magface_logits(embeddings, kernel, soft, 16.0, l_a=5.0, u_a=50.0, l_m=0.2, u_m=0.6),
    )
    assert float(head.losses[0]) == pytest.approx(ref.magface_regularizer(embeddings, 5.0, 50.0, 2.0), rel=1e-5)


def test_no_regularizer_or_margin_at_inference():
    embeddings, kernel, labels = random_problem(batch=6)
    head = head_with_kernel(km.heads.MagFace(3), kernel)
    for logits in (head(embeddings), head(embeddings, labels=labels, training=False)):
        assert head.losses == []
        np.testing.assert_allclose(logits, 64.0 * ref.cosines(embeddings, kernel)[0], rtol=1e-5, atol=1e-4)


def test_gradients_flow_through_the_magnitude():
    # Finite differences include the margin's and the regulariser's dependence on ||x||.
    embeddings, kernel, labels = random_problem(batch=5, seed=4)
    embeddings = embeddings * np.array([[3.0], [8.0], [1.0], [12.0], [6.0]], np.float32)
    factory = lambda **kw: km.heads.MagFace(  # noqa: E731
        3, scale=8.0, lower_magnitude=1.0, upper_magnitude=20.0, regularizer_weight=3.0, **kw
    )
    assert_gradients_match(factory, embeddings, kernel, labels, with_losses=True)


def test_the_regularizer_reaches_margin_model_training():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(32, 6)).astype("float32") * 5
    labels = rng.integers(0, 3, 32).astype("int32")
    backbone = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    head = km.heads.MagFace(3, scale=16.0, lower_magnitude=1.0, upper_magnitude=50.0, regularizer_weight=1000.0)
    model = km.MarginModel(backbone, head)
    model.compile(optimizer=keras.optimizers.SGD(0.0))  # weights stay put: a pure measurement
    history = model.fit(features, labels, batch_size=32, epochs=1, verbose=0)
    embeddings = np.asarray(backbone(features))
    logits = head(embeddings, labels=labels, training=True)
    cross_entropy = float(km.losses.CrossEntropy()(labels, logits))
    regularizer = ref.magface_regularizer(embeddings, 1.0, 50.0, 1000.0)
    assert regularizer > 2 * cross_entropy  # large enough that missing it would show
    assert history.history["loss"][0] == pytest.approx(cross_entropy + regularizer, rel=1e-4)


def test_xla_step_matches_the_graph_step_with_the_regularizer():
    embeddings, kernel, labels = random_problem(batch=8)
    results = []
    for jit in (False, True):
        head = head_with_kernel(km.heads.MagFace(3, lower_magnitude=0.5, upper_magnitude=8.0), kernel)

        @tf.function(jit_compile=jit)
        def step(x, y):
            logits = head(x, labels=y, training=True)
            return logits, tf.add_n(head.losses)

        results.append([np.asarray(t) for t in step(tf.constant(embeddings), tf.constant(labels))])
    for graph, xla in zip(*results):
        np.testing.assert_allclose(xla, graph, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"lower_magnitude": 0.0}, "lower_magnitude"),
     ({"upper_magnitude": 10.0}, "upper_magnitude"),
     ({"lower_margin": -0.1}, "lower_margin"),
     ({"upper_margin": 0.4}, "upper_margin"),
     ({"upper_margin": 2.0}, "upper_margin"),
     ({"regularizer_weight": -1.0}, "regularizer_weight"),
     ({"scale": 0.0}, "scale")],
)
def test_invalid_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.heads.MagFace(10, **kwargs)


def test_config_round_trip():
    head = km.heads.MagFace(7, scale=32.0, lower_magnitude=5, upper_magnitude=50, lower_margin=0.3,
                            upper_margin=0.5, regularizer_weight=10.0, name="mag")
    clone = km.heads.MagFace.from_config(head.get_config())
    assert clone.get_config() == head.get_config()

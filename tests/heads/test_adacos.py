"""AdaCos against a float64 NumPy reference of both scale rules, written from the paper."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from head_testing import assert_gradients_match, head_with_kernel, random_problem


# ------------------------------------------------------------------ the reference
def ref_cosines(embeddings, kernel):
    x = np.asarray(embeddings, np.float64)
    w = np.asarray(kernel, np.float64)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)) @ (w / np.linalg.norm(w, axis=0))


def ref_fixed_scale(num_classes):
    """sqrt(2) ln(C - 1); for C = 2 (where that is 0) the documented ln(99) / 2."""
    return math.log(99.0) / 2.0 if num_classes == 2 else math.sqrt(2.0) * math.log(num_classes - 1)


def ref_next_scale(cos, labels, previous):
    """Zhang et al. 2019, eq. 15-16, float64, with the paper's plain exp and np.median.

    `labels` are class ids or a (B, C) label matrix (non-targets weighted by 1 - y).
    Rows with a non-finite cosine are left out; an unusable result keeps `previous`.
    """
    cos = np.asarray(cos, np.float64)
    y = np.asarray(labels)
    y = np.eye(cos.shape[1])[y] if y.ndim == 1 else y.astype(np.float64)
    keep = np.isfinite(cos).all(axis=1)
    cos, y = cos[keep], y[keep]
    if len(cos) == 0:
        return previous
    b_avg = np.mean(np.sum((1.0 - y) * np.exp(previous * cos), axis=1))
    target_theta = np.arccos(np.clip(np.sum(y * cos, axis=1) / np.sum(y, axis=1), -1.0, 1.0))
    scale = np.log(b_avg) / np.cos(min(math.pi / 4, np.median(target_theta)))
    return scale if np.isfinite(scale) and scale > 0 else previous


def _problem(batch, num_classes=5, dim=6, seed=0, fitted=False, kernel=None):
    """Random embeddings; `fitted` puts each near its class centre (theta_med < pi/4)."""
    rng = np.random.default_rng(seed)
    if kernel is None:
        kernel = rng.normal(size=(dim, num_classes)).astype(np.float32)
    labels = rng.integers(0, num_classes, size=batch).astype(np.int32)
    embeddings = rng.normal(size=(batch, dim))
    if fitted:
        embeddings = 0.3 * embeddings + (kernel / np.linalg.norm(kernel, axis=0)).T[labels] * 3.0
    return embeddings.astype(np.float32), kernel, labels


# ------------------------------------------------------------------ the two rules
@pytest.mark.parametrize("num_classes", [2, 3, 10, 1000])
def test_fixed_scale_is_the_papers(num_classes):
    head = km.heads.AdaCos(num_classes, dynamic=False)
    assert head.scale == pytest.approx(ref_fixed_scale(num_classes), rel=1e-12)
    dynamic = km.heads.AdaCos(num_classes)
    assert dynamic.scale == pytest.approx(ref_fixed_scale(num_classes), rel=1e-6)  # its start


def test_fixed_scale_logits_in_training_and_inference():
    embeddings, kernel, labels = _problem(9, num_classes=10)
    head = head_with_kernel(km.heads.AdaCos(10, dynamic=False), kernel)
    expected = ref_fixed_scale(10) * ref_cosines(embeddings, kernel)
    np.testing.assert_allclose(head(embeddings, labels=labels, training=True), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(head(embeddings), expected, rtol=1e-5, atol=1e-5)


def test_dynamic_scale_follows_the_reference_over_several_steps():
    # odd and even batches (both median forms), random (theta_med > pi/4: the pi/4 cap)
    # and fitted ones (theta_med < pi/4), class ids and a soft label matrix
    num_classes, dim = 7, 6
    _, kernel, _ = _problem(1, num_classes, dim)
    head = head_with_kernel(km.heads.AdaCos(num_classes), kernel)
    scale = ref_fixed_scale(num_classes)
    rng = np.random.default_rng(5)
    for step, (batch, fitted, soft) in enumerate(
        [(9, False, False), (8, True, False), (6, False, True), (11, True, False), (4, True, True)]
    ):
        embeddings, _, labels = _problem(batch, num_classes, seed=step + 1, fitted=fitted, kernel=kernel)
        if soft:
            labels = (0.8 * np.eye(num_classes)[labels]
                      + 0.2 * rng.dirichlet(np.ones(num_classes), size=batch)).astype(np.float32)
        cos = ref_cosines(embeddings, kernel)
        new_scale = ref_next_scale(cos, labels, scale)
        assert new_scale != scale
        logits = head(embeddings, labels=labels, training=True)
        assert head.scale == pytest.approx(new_scale, rel=1e-5), step
        np.testing.assert_allclose(logits, new_scale * cos, rtol=1e-5, atol=1e-5)
        scale = new_scale


def test_both_sides_of_the_quarter_turn_cap_are_reached():
    for fitted, below in ((False, False), (True, True)):
        embeddings, kernel, labels = _problem(10, fitted=fitted)
        cos = ref_cosines(embeddings, kernel)
        assert (np.median(np.arccos(cos[np.arange(10), labels])) < math.pi / 4) == below
        head = head_with_kernel(km.heads.AdaCos(5), kernel)
        head(embeddings, labels=labels, training=True)
        assert head.scale == pytest.approx(ref_next_scale(cos, labels, ref_fixed_scale(5)), rel=1e-5)


def test_only_training_calls_with_labels_move_the_scale():
    embeddings, kernel, labels = _problem(8)
    head = head_with_kernel(km.heads.AdaCos(5), kernel)
    start = head.scale
    cos = ref_cosines(embeddings, kernel)
    np.testing.assert_allclose(head(embeddings), start * cos, rtol=1e-5, atol=1e-5)
    head(embeddings, labels=labels, training=False)
    head(embeddings, training=True)
    assert head.scale == start
    head(embeddings, labels=labels, training=True)
    assert head.scale != start
    # inference uses the current scale
    np.testing.assert_allclose(head(embeddings), head.scale * cos, rtol=1e-5, atol=1e-5)


def test_large_scales_do_not_overflow():
    # exp(500 cos) overflows float32 (and float64 past 709): the log-sum-exp does not
    embeddings, kernel, labels = _problem(8, fitted=True)
    head = head_with_kernel(km.heads.AdaCos(5), kernel)
    head.scale_variable.assign(500.0)
    logits = head(embeddings, labels=labels, training=True)
    expected = ref_next_scale(ref_cosines(embeddings, kernel), labels, 500.0)
    assert head.scale == pytest.approx(expected, rel=1e-5)
    assert np.isfinite(np.asarray(logits)).all()


def test_a_nan_row_does_not_poison_the_scale():
    embeddings, kernel, labels = _problem(9)
    embeddings[3, 2] = np.nan
    head = head_with_kernel(km.heads.AdaCos(5), kernel)
    logits = np.asarray(head(embeddings, labels=labels, training=True))
    cos = ref_cosines(np.delete(embeddings, 3, axis=0), kernel)
    expected = ref_next_scale(cos, np.delete(labels, 3), ref_fixed_scale(5))
    assert head.scale == pytest.approx(expected, rel=1e-5)
    assert np.isfinite(np.delete(logits, 3, axis=0)).all()
    # a batch with no usable row keeps the scale
    start = head.scale
    head(np.full_like(embeddings, np.nan), labels=labels, training=True)
    assert head.scale == start


def test_two_classes_keep_a_useful_scale():
    # C = 2: the fixed scale is ln(99)/2, not 0; once the classes separate (antipodal
    # centres) B_avg < 1 would give a negative scale, and the scale is kept instead
    kernel = np.array([[1.0, -1.0], [0.0, 0.0]], np.float32)
    embeddings = np.array([[1.0, 0.2], [-1.0, 0.1], [2.0, -0.3], [-1.5, 0.4]], np.float32)
    labels = np.array([0, 1, 0, 1], np.int32)
    head = head_with_kernel(km.heads.AdaCos(2), kernel)
    assert head.scale == pytest.approx(math.log(99) / 2, rel=1e-6)
    cos = ref_cosines(embeddings, kernel)
    assert np.log(np.mean(np.exp(head.scale * cos[np.arange(4), 1 - labels]))) < 0
    head(embeddings, labels=labels, training=True)
    assert head.scale == pytest.approx(math.log(99) / 2, rel=1e-6)


def test_few_classes_settle_where_the_median_sample_is_at_one_half():
    # docs/heads/adacos.md: C = 10, samples on their centres, centres a regular simplex:
    # B = 9 exp(-s/9), theta_med = 0, so s -> (C - 1)/C ln(C - 1) = 1.98
    num_classes = 10
    simplex = np.eye(num_classes) - 1.0 / num_classes
    kernel = (simplex / np.linalg.norm(simplex, axis=1, keepdims=True)).T.astype(np.float32)
    labels = np.arange(num_classes, dtype=np.int32)
    head = head_with_kernel(km.heads.AdaCos(num_classes), kernel)
    for _ in range(30):
        head(kernel.T * 2.0, labels=labels, training=True)
    assert head.scale == pytest.approx(0.9 * math.log(9), rel=1e-3)


def test_out_of_range_ids_raise_and_poison_under_xla():
    embeddings, kernel, labels = _problem(6)
    labels[1] = 9
    head = head_with_kernel(km.heads.AdaCos(5), kernel)
    with pytest.raises(ValueError, match=r"\[0, 5\)"):
        head(embeddings, labels=labels, training=True)
    step = tf.function(lambda x, y: head(x, labels=y, training=True), jit_compile=True)
    logits = np.asarray(step(embeddings, labels))
    assert np.isnan(logits[1]).all() and np.isfinite(np.delete(logits, 1, axis=0)).all()
    keep = np.arange(6) != 1
    expected = ref_next_scale(ref_cosines(embeddings[keep], kernel), labels[keep], ref_fixed_scale(5))
    assert head.scale == pytest.approx(expected, rel=1e-5)


def test_graph_and_xla_steps_match_eager():
    embeddings, kernel, labels = _problem(8)
    scales = []
    for mode in ("eager", "graph", "xla"):
        head = head_with_kernel(km.heads.AdaCos(5), kernel)
        call = lambda x, y: head(x, labels=y, training=True)  # noqa: E731
        if mode != "eager":
            call = tf.function(call, jit_compile=mode == "xla")
        for _ in range(3):
            logits = call(embeddings, labels)
        scales.append((head.scale, np.asarray(logits)))
    for scale, logits in scales[1:]:
        assert scale == pytest.approx(scales[0][0], rel=1e-5)
        np.testing.assert_allclose(logits, scales[0][1], rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------- gradients
def test_gradients_of_the_fixed_scale_match_finite_differences():
    embeddings, kernel, labels = random_problem(batch=4, embedding_dim=3, num_classes=4)
    assert_gradients_match(lambda **kw: km.heads.AdaCos(4, dynamic=False, **kw), embeddings, kernel, labels)


def test_the_dynamic_scale_carries_no_gradient():
    # The training call's gradient is that of s_t * cos with s_t held fixed: the finite
    # differences of the inference logits at the scale the call set.
    embeddings, kernel, labels = random_problem(batch=5, embedding_dim=3, num_classes=4)
    head = head_with_kernel(km.heads.AdaCos(4, dtype="float64"), kernel.astype(np.float64))
    weights = np.random.default_rng(0).normal(size=(5, 4))
    x = tf.Variable(embeddings.astype(np.float64))
    with tf.GradientTape() as tape:
        value = tf.reduce_sum(head(x, labels=labels, training=True) * weights)
    analytic = tape.gradient(value, x).numpy()
    assert head.scale != pytest.approx(ref_fixed_scale(4))

    def objective(values):
        return float(tf.reduce_sum(head(values) * weights))

    numeric = np.zeros_like(analytic)
    x0 = embeddings.astype(np.float64)
    for index in np.ndindex(x0.shape):
        plus, minus = x0.copy(), x0.copy()
        plus[index] += 1e-6
        minus[index] -= 1e-6
        numeric[index] = (objective(plus) - objective(minus)) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------- precision and saving
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_has_no_nan(policy):
    embeddings, kernel, labels = _problem(8, fitted=True)
    embeddings[0] = 0.0
    embeddings[1] *= 1e4
    keras.config.set_dtype_policy(policy)
    try:
        head = head_with_kernel(km.heads.AdaCos(5), kernel)
        assert head.compute_dtype == "float32"
        x = tf.Variable(keras.ops.cast(embeddings, policy.split("_")[1]))
        with tf.GradientTape() as tape:
            logits = head(x, labels=labels, training=True)
            loss = km.losses.CrossEntropy()(labels, logits)
        gradients = tape.gradient(loss, [x, head.kernel])
    finally:
        keras.config.set_dtype_policy("float32")
    assert logits.dtype == tf.float32 and np.isfinite(float(loss)) and np.isfinite(head.scale)
    for gradient in gradients:
        assert np.isfinite(np.asarray(keras.ops.cast(gradient, "float32"))).all()


def test_config_round_trip_and_the_scale_is_saved_with_the_weights(tmp_path):
    head = km.heads.AdaCos(5, name="adacos")
    config = head.get_config()
    assert config["dynamic"] is True and "scale" not in config
    assert type(head).from_config(config).get_config() == config
    fixed = km.heads.AdaCos(5, dynamic=False, sample_rate=0.5, seed=1)
    assert km.heads.AdaCos.from_config(fixed.get_config()).get_config() == fixed.get_config()

    inputs = keras.Input((6,))
    model = keras.Model(inputs, head(inputs))
    head.scale_variable.assign(4.25)
    path = str(tmp_path / "adacos.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    restored_head = restored.layers[-1]
    assert isinstance(restored_head, km.heads.AdaCos) and restored_head.scale == 4.25
    x = np.random.default_rng(0).normal(size=(3, 6)).astype(np.float32)
    np.testing.assert_allclose(restored(x), model(x), rtol=1e-6)


@pytest.mark.parametrize("kwargs, name", [
    ({"dynamic": 1}, "dynamic"), ({"scale": 30.0}, "scale"), ({"sample_rate": 0.5}, "sample_rate"),
])
def test_bad_arguments_raise_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.heads.AdaCos(5, **kwargs)
    with pytest.raises(ValueError, match="`num_classes`"):
        km.heads.AdaCos(1)


def test_registry():
    assert km.heads.get("adacos") is km.heads.AdaCos
    assert isinstance(km.heads.create("AdaCos", 4), km.heads.AdaCos)


def test_trains_in_margin_model():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 16).astype("int32")
    features = (np.eye(3)[labels] * 4 + rng.normal(scale=0.5, size=(48, 3))).astype("float32")
    backbone = keras.Sequential([keras.Input((3,)), keras.layers.Dense(6)])
    head = km.heads.AdaCos(3)
    start = head.scale
    model = km.MarginModel(backbone, head)
    model.compile(optimizer=keras.optimizers.Adam(0.05), metrics=["accuracy"])
    history = model.fit(features, labels, batch_size=16, epochs=4, verbose=0)
    assert np.isfinite(history.history["loss"]).all() and head.scale != start
    scale = head.scale
    assert model.evaluate(features, labels, verbose=0)[1] > 0.9
    assert head.scale == scale  # evaluation does not move it

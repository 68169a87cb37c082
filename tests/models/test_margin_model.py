import copy
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km


def tiny_backbone(embedding_dim=8, input_shape=(8, 8, 1), with_random_layers=False):
    inputs = keras.Input(input_shape)
    x = keras.layers.Rescaling(1.0 / 255)(inputs)
    if with_random_layers:
        x = keras.layers.RandomFlip("horizontal")(x)
    x = keras.layers.Flatten()(x)
    if with_random_layers:
        x = keras.layers.Dropout(0.5)(x)
    outputs = keras.layers.Dense(embedding_dim)(x)
    return keras.Model(inputs, outputs)


def tiny_data(n=64, num_classes=4, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, n).astype("int32")
    images = rng.uniform(0, 255, (n, 8, 8, 1)).astype("float32")
    images[np.arange(n), labels, :, 0] += 200  # a learnable signal: the bright row
    return np.clip(images, 0, 255), labels


def test_labels_reach_the_head_during_fit_only():
    images, labels = tiny_data()
    model = km.MarginModel(tiny_backbone(), km.heads.LargeMarginSoftmax(4))
    model.compile(optimizer="sgd")
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(16)
    model.fit(dataset, epochs=2, verbose=0)
    assert int(model.head.iteration.numpy()) == 8  # one margin step per training batch
    model.evaluate(dataset, verbose=0)
    model.predict(images, verbose=0)
    assert int(model.head.iteration.numpy()) == 8


def test_fit_on_arrays_learns():
    images, labels = tiny_data(n=256)
    model = km.MarginModel(tiny_backbone(), km.heads.CosFace(4, scale=16.0, margin=0.2))
    model.compile(optimizer=keras.optimizers.Adam(1e-2), metrics=["accuracy"])
    history = model.fit(images, labels, epochs=15, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.evaluate(images, labels, verbose=0)[1] > 0.9


def test_metrics_use_the_no_margin_logits():
    images, labels = tiny_data()
    model = km.MarginModel(tiny_backbone(), km.heads.ArcFace(4, scale=16.0, margin=1.5))
    model.compile(optimizer=keras.optimizers.SGD(0.0), metrics=["accuracy"])  # weights stay put
    expected = np.mean(np.argmax(model(images), -1) == labels)
    margin_logits = model.head(model.backbone(images), labels=labels, training=True)
    with_margin = np.mean(np.argmax(margin_logits, -1) == labels)
    assert with_margin < expected  # a margin of 1.5 rad changes argmax on this data
    history = model.fit(images, labels, batch_size=64, epochs=1, verbose=0)
    assert history.history["accuracy"][0] == pytest.approx(expected)


def test_soft_labels_train():
    images, labels = tiny_data()
    soft = 0.8 * np.eye(4, dtype="float32")[labels] + 0.05
    model = km.MarginModel(tiny_backbone(), km.heads.ArcFace(4, scale=16.0))
    model.compile(metrics=["accuracy"])
    history = model.fit(images, soft, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_sample_weights_pass_through():
    images, labels = tiny_data()
    model = km.MarginModel(tiny_backbone(), km.heads.CosFace(4))
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    weighted = model.fit(images, labels, sample_weight=np.zeros(64), batch_size=64, verbose=0)
    assert weighted.history["loss"][0] == pytest.approx(0.0)


def test_out_of_range_labels_fail_loudly():
    images, labels = tiny_data()
    labels[3] = 4
    model = km.MarginModel(tiny_backbone(), km.heads.ArcFace(4))
    model.compile()
    with pytest.raises(Exception, match=r"\[0, 4\)"):
        model.fit(images, labels, batch_size=16, verbose=0)


def test_predict_returns_probabilities_and_embed_unit_vectors():
    images, _ = tiny_data()
    model = km.MarginModel(tiny_backbone(), km.heads.SphereFace(4))
    probabilities = model.predict(images, verbose=0)
    np.testing.assert_allclose(probabilities.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(probabilities, keras.ops.softmax(model(images)), rtol=1e-5, atol=1e-6)
    embeddings = model.embed(images)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=-1), 1.0, rtol=1e-5)
    raw = np.asarray(model.backbone(images))
    np.testing.assert_allclose(embeddings, raw / np.linalg.norm(raw, axis=-1, keepdims=True), rtol=1e-5)


def test_keras_file_round_trip_in_a_fresh_process(tmp_path):
    images, labels = tiny_data()
    model = km.MarginModel(tiny_backbone(with_random_layers=True), km.heads.LargeMarginSoftmax(4))
    model.compile(metrics=["accuracy"])
    model.fit(images, labels, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    np.save(tmp_path / "images.npy", images)
    np.save(tmp_path / "expected.npy", model.predict(images, verbose=0))
    script = textwrap.dedent(f"""
        import numpy as np, keras
        import keras_margin  # registers the layers; nothing else imported by hand
        model = keras.saving.load_model({str(path)!r}, safe_mode=True)
        out = model.predict(np.load({str(tmp_path / 'images.npy')!r}), verbose=0)
        np.testing.assert_array_equal(out, np.load({str(tmp_path / 'expected.npy')!r}))
        assert int(model.head.iteration.numpy()) == 4, model.head.iteration
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("make", [
    lambda: km.MarginModel(tiny_backbone(), km.heads.CosFace(4)),
    lambda: km.MarginModel(tiny_backbone(), heads={"softmax": km.heads.Softmax(4),
                                                   "cosface": km.heads.CosFace(4)},
                           loss_weights={"softmax": 1.0, "cosface": 0.5}),
    lambda: km.MarginModel(tiny_backbone(), km.heads.CosFace(4),
                           adversarial=km.robustness.AdversarialTraining("fgsm-rs", epsilon=8.0)),
    lambda: km.models.EmbeddingModel(tiny_backbone()),
], ids=["one_head", "joint_heads", "adversarial", "embedding_model"])
def test_from_config_leaves_the_config_untouched(make):
    # Keras empties a functional model's nested config while deserialising it: a
    # shallow copy let that reach the caller's dict, and a second call failed.
    model = make()
    config = model.get_config()
    expected = copy.deepcopy(config)
    first = type(model).from_config(config)
    assert config == expected
    second = type(model).from_config(config)
    assert first.get_config() == second.get_config() == expected


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
def test_mixed_precision_training_is_finite(policy):
    keras.config.set_dtype_policy(policy)
    images, labels = tiny_data()
    model = km.MarginModel(tiny_backbone(), km.heads.ArcFace(4))
    model.compile(metrics=["accuracy"])
    history = model.fit(images, labels, epochs=2, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert model(images).dtype == "float32"


def test_constructor_checks():
    with pytest.raises(ValueError, match="`head`"):
        km.MarginModel(tiny_backbone(), keras.layers.Dense(4))
    with pytest.raises(ValueError, match="`backbone`"):
        km.MarginModel(lambda x: x, km.heads.ArcFace(4))


def test_fit_on_a_dataset_does_not_warn_about_shuffle():
    import warnings

    images, labels = tiny_data()
    model = km.MarginModel(tiny_backbone(), km.heads.CosFace(4))
    model.compile()
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(32)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(dataset, epochs=1, verbose=0)
    assert not [w for w in caught if "shuffle" in str(w.message)]

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from test_margin_model import tiny_backbone, tiny_data


def pk_train(images, labels, seed=0):
    return km.data.pk_batches(images, labels, classes_per_batch=4, samples_per_class=4, seed=seed)


def trained(loss, epochs=1, learning_rate=1e-2, n=64):
    images, labels = tiny_data(n=n)
    model = km.models.EmbeddingModel(tiny_backbone())
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss)
    history = model.fit(pk_train(images, labels), epochs=epochs, verbose=0)
    return model, history.history["loss"], images, labels


def unit_rows_float64(values):
    values = np.asarray(values, np.float64)
    return values / np.maximum(np.linalg.norm(values, axis=-1, keepdims=True), 1e-12)


@pytest.mark.parametrize("loss", [
    km.losses.TripletMarginLoss(margin=0.2, miner="batch_hard"),
    km.losses.SupConLoss(),
], ids=["triplet_batch_hard", "supcon"])
def test_fit_on_pk_batches_separates_a_toy_problem(loss):
    model, losses, images, labels = trained(loss, epochs=8)
    assert losses[-1] < 0.6 * losses[0]
    assert np.isfinite(model.evaluate(pk_train(images, labels, seed=1), verbose=0))
    before = km.models.EmbeddingModel(tiny_backbone())  # fresh random weights
    assert model.evaluate_open_set(images, labels, far_targets=(0.1,))["rank_1_accuracy"] > 0.9
    assert before.evaluate_open_set(images, labels, far_targets=(0.1,))["rank_1_accuracy"] < 0.9


def test_call_is_the_backbone_and_predict_is_l2_normalised():
    model, _, images, _ = trained(km.losses.TripletMarginLoss(miner="batch_hard"))
    raw = np.asarray(model(images))
    np.testing.assert_allclose(raw, model.backbone(images), rtol=1e-6)
    assert not np.allclose(np.linalg.norm(raw, axis=-1), 1.0, atol=1e-3)
    predicted = model.predict(images, verbose=0)
    assert predicted.dtype == np.float32
    np.testing.assert_allclose(predicted, unit_rows_float64(raw), rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(model.embed(images), predicted)


def test_a_zero_embedding_stays_zero():
    backbone = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, kernel_initializer="ones",
                                                                        use_bias=False)])
    model = km.models.EmbeddingModel(backbone)
    predicted = model.predict(np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], "float32"), verbose=0)
    np.testing.assert_allclose(predicted, [[0.0, 0.0], [0.5 ** 0.5, 0.5 ** 0.5]], rtol=1e-6)


def test_export_serves_the_embedding_of_predict(tmp_path):
    model, _, images, _ = trained(km.losses.SupConLoss())
    path = str(tmp_path / "serving")
    model.export(path, verbose=False, thresholds={"1e-2": 0.5})
    loaded = tf.saved_model.load(path)
    serve = loaded.signatures["serving_default"]
    assert list(serve.structured_input_signature[1]) == ["inputs"]
    outputs = serve(inputs=tf.constant(images))
    assert set(outputs) == {"embedding"}  # the key MarginModel's export serves it under
    np.testing.assert_allclose(outputs["embedding"], model.predict(images, verbose=0), rtol=1e-5, atol=1e-6)
    # The verification endpoints of MarginModel's export work on embeddings alone.
    verified = loaded.signatures["verify"](inputs_a=tf.constant(images[:4]), inputs_b=tf.constant(images[4:8]))
    expected = np.sum(model.predict(images[:4], verbose=0) * model.predict(images[4:8], verbose=0), -1)
    np.testing.assert_allclose(verified["score"], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(verified["same_at_far_1e-2"], expected >= 0.5)
    # A non-finite row answers NaN, the others are served as usual.
    broken = images[:3].copy()
    broken[1, 0, 0, 0] = np.nan
    served = serve(inputs=tf.constant(broken))["embedding"].numpy()
    assert np.isnan(served[1]).all() and np.isfinite(served[[0, 2]]).all()


def test_get_config_round_trip_and_keras_file(tmp_path):
    model, _, images, _ = trained(km.losses.TripletMarginLoss(miner="batch_hard"))
    config = model.get_config()
    clone = km.models.EmbeddingModel.from_config(config)
    assert clone.get_config() == config
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(images, verbose=0), model.predict(images, verbose=0), rtol=1e-6)
    path = str(tmp_path / "model.keras")
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. Keras' "compile() was not called as part of model loading"
        loaded = keras.saving.load_model(path)
    assert isinstance(loaded, km.models.EmbeddingModel)
    assert loaded.loss.get_config() == model.loss.get_config()
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), rtol=1e-6)


def test_bad_arguments_raise_naming_the_argument():
    with pytest.raises(ValueError, match="`backbone`"):
        km.models.EmbeddingModel(lambda x: x)
    model = km.models.EmbeddingModel(tiny_backbone())
    for loss in (None, "mse", keras.losses.MeanSquaredError(), km.losses.CrossEntropy()):
        with pytest.raises(ValueError, match="`loss`"):
            model.compile(loss=loss)
    model.compile(loss=km.losses.ContrastiveLoss())
    images, labels = tiny_data(n=16)
    with pytest.raises(ValueError, match="`class_weight`"):
        model.fit(images, labels, class_weight={0: 1.0, 1: 2.0, 2: 1.0, 3: 1.0}, verbose=0)
    with pytest.raises(ValueError, match="labels"):
        model.fit(tf.data.Dataset.from_tensor_slices(images).batch(8), verbose=0)
    with pytest.raises(ValueError, match="`num_pairs`"):
        model.evaluate_open_set(images, labels, num_pairs=0)
    with pytest.raises(ValueError, match="`format`"):
        model.export("unused", format="onnx")


@pytest.mark.parametrize("loss", [
    km.losses.TripletMarginLoss(margin=0.2, miner="batch_hard"),
    km.losses.SupConLoss(),
    km.losses.MultiSimilarityLoss(),
], ids=["triplet_batch_hard", "supcon", "multi_similarity"])
def test_mixed_float16_training_is_finite(loss):
    keras.config.set_dtype_policy("mixed_float16")
    model, losses, images, _ = trained(loss, epochs=2)
    assert model(images).dtype == "float16"
    assert np.isfinite(losses).all()
    predicted = model.predict(images, verbose=0)
    assert predicted.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(predicted, axis=-1), 1.0, rtol=1e-5)


def test_evaluate_open_set_is_the_project_metrics_on_the_embeddings():
    model, _, images, labels = trained(km.losses.SupConLoss())
    metrics = model.evaluate_open_set(images, labels, num_pairs=50, seed=3, far_targets=(0.1,))
    reference = unit_rows_float64(model(images))  # float64, from the raw backbone output
    expected = km.metrics.open_set_metrics(reference, labels, num_pairs=50, seed=3, far_targets=(0.1,))
    expected.update(km.retrieval.identification_metrics(reference, labels))
    assert metrics.keys() == expected.keys()
    for key, value in expected.items():
        assert metrics[key] == pytest.approx(value, abs=1e-6), key
    # A dataset of (inputs, labels) batches gives the same numbers.
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(24)
    from_dataset = model.evaluate_open_set(dataset, num_pairs=50, seed=3, far_targets=(0.1,))
    assert from_dataset == pytest.approx(metrics)


def test_evaluate_open_set_uses_every_pair_when_there_are_fewer_than_asked():
    model = km.models.EmbeddingModel(tiny_backbone())
    images, _ = tiny_data(n=12)
    metrics = model.evaluate_open_set(images, np.arange(12) % 4, far_targets=(0.5,))
    assert metrics["num_genuine_pairs"] == 12  # 4 classes x 3 genuine pairs, of 66 pairs
    assert metrics["num_impostor_pairs"] == 12


def test_fit_on_a_dataset_does_not_warn_about_shuffle(recwarn):
    trained(km.losses.SupConLoss())
    assert not [w for w in recwarn if "shuffle" in str(w.message)]


def test_a_backbone_trained_elsewhere_exports_without_fit(tmp_path):
    from keras_margin.cli.serving import ServingModel

    model = km.models.EmbeddingModel(tiny_backbone(with_random_layers=True))
    path = str(tmp_path / "serving")
    model.export(path, verbose=False, version=3)
    images, _ = tiny_data(n=5)
    served = ServingModel(path)(images)  # what `keras-margin embed | enroll | search` read
    assert set(served) == {"embedding"}
    np.testing.assert_allclose(served["embedding"], model.predict(images, verbose=0), rtol=1e-5, atol=1e-6)


def test_the_classifier_is_the_nearest_class_mean_on_the_same_backbone():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(30, 5)).astype("float32")
    y = (np.arange(30) % 3).astype("int32")
    backbone = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4)])
    model = km.models.EmbeddingModel(backbone)
    reference = tf.data.Dataset.from_tensor_slices((x, y)).batch(7)
    classifier = model.classifier(reference, num_classes=3)
    assert isinstance(classifier, km.MarginModel) and classifier.backbone is backbone
    embeddings = np.asarray(backbone(x), np.float64)
    means = km.metrics.class_means(embeddings, y, 3)
    np.testing.assert_allclose(np.asarray(classifier.head.class_centers), means, atol=1e-6)
    queries = rng.normal(size=(12, 5)).astype("float32")
    query_embeddings = np.asarray(backbone(queries), np.float64)
    predicted = np.argmax(classifier.predict(queries, verbose=0), axis=-1)
    np.testing.assert_array_equal(predicted, np.argmax(query_embeddings @ means.T, axis=-1))
    assert np.isfinite(classifier.calibrate_temperature(reference))
    with pytest.raises(ValueError, match="num_classes"):
        model.classifier(reference, num_classes=1)
    with pytest.raises(ValueError, match="class 3 has no embedding"):
        model.classifier(reference, num_classes=4)

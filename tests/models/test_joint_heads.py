"""`MarginModel(backbone, heads={...}, loss_weights={...})`: several heads trained jointly."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from test_margin_model import tiny_backbone, tiny_data


def _joint(inference_head=None, weights=(1.0, 0.5), backbone=None):
    heads = {"softmax": km.heads.Softmax(4), "cosface": km.heads.CosFace(4, scale=16.0, margin=0.3)}
    return km.MarginModel(backbone or tiny_backbone(), heads=heads,
                          loss_weights=dict(zip(heads, weights)), inference_head=inference_head)


def _cross_entropy(logits, labels):
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(-1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    return -np.mean(log_probabilities[np.arange(len(labels)), labels])


def test_the_loss_is_the_weighted_sum_of_the_heads_losses():
    images, labels = tiny_data()
    model = _joint(weights=(1.0, 0.5))
    model.compile(optimizer=keras.optimizers.SGD(0.0), metrics=["accuracy"])  # weights stay put
    embeddings = model.backbone(images)
    softmax_logits = model.heads["softmax"](embeddings, labels=labels, training=True)
    cosface_logits = model.heads["cosface"](embeddings, labels=labels, training=True)
    expected = _cross_entropy(softmax_logits, labels) + 0.5 * _cross_entropy(cosface_logits, labels)
    history = model.fit(images, labels, batch_size=64, epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    # Metrics read the inference head (the first: softmax) without margin.
    accuracy = np.mean(np.argmax(np.asarray(softmax_logits), -1) == labels)
    assert history.history["accuracy"][0] == pytest.approx(accuracy)


def test_a_head_with_weight_zero_does_not_train_and_the_others_do():
    images, labels = tiny_data()
    model = _joint(weights=(0.0, 1.0))
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.build(images.shape)
    before = {name: np.array(head.class_centers) for name, head in model.heads.items()}
    model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.heads["softmax"].class_centers, before["softmax"])
    assert not np.allclose(model.heads["cosface"].class_centers, before["cosface"])


@pytest.mark.parametrize("inference_head", [None, "cosface"])
def test_predict_and_call_read_the_inference_head(inference_head):
    images, _ = tiny_data()
    model = _joint(inference_head=inference_head)
    name = inference_head or "softmax"
    assert model.head is model.heads[name]
    expected = model.heads[name](model.backbone(images))
    np.testing.assert_allclose(model(images), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict(images, verbose=0), keras.ops.softmax(expected),
                               rtol=1e-5, atol=1e-6)


def test_keras_file_round_trip_and_export(tmp_path):
    images, labels = tiny_data()
    model = _joint(inference_head="cosface")
    model.compile(metrics=["accuracy"])
    model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
    model.calibrate_temperature((images, labels))
    expected = model.predict(images, verbose=0)
    model.save(tmp_path / "joint.keras")
    loaded = keras.saving.load_model(tmp_path / "joint.keras")
    assert loaded.inference_head == "cosface" and set(loaded.heads) == {"softmax", "cosface"}
    assert loaded.get_config()["loss_weights"] == {"softmax": 1.0, "cosface": 0.5}
    np.testing.assert_allclose(float(loaded.temperature), float(model.temperature))
    np.testing.assert_allclose(loaded.predict(images, verbose=0), expected, rtol=1e-5, atol=1e-7)
    loaded.fit(images, labels, batch_size=16, epochs=1, verbose=0)  # the compiled state came back

    model.export(str(tmp_path / "serving"), verbose=False)
    serve = tf.saved_model.load(str(tmp_path / "serving")).signatures["serving_default"]
    outputs = serve(inputs=tf.constant(images))
    np.testing.assert_allclose(outputs["probabilities"], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outputs["embedding"], model.embed(images), rtol=1e-5, atol=1e-6)


def test_constructor_checks():
    backbone, arcface = tiny_backbone(), km.heads.ArcFace(4)
    with pytest.raises(ValueError, match="either `head` or `heads`"):
        km.MarginModel(backbone, arcface, heads={"arcface": arcface})
    with pytest.raises(ValueError, match="`heads`"):
        km.MarginModel(backbone, heads={})
    with pytest.raises(ValueError, match=r"heads\['dense'\]"):
        km.MarginModel(backbone, heads={"dense": keras.layers.Dense(4)})
    with pytest.raises(ValueError, match="unknown heads"):
        km.MarginModel(backbone, heads={"arcface": arcface}, loss_weights={"cosface": 1.0})
    with pytest.raises(ValueError, match="loss_weights"):
        km.MarginModel(backbone, heads={"arcface": arcface}, loss_weights={"arcface": -1.0})
    with pytest.raises(ValueError, match="at least one head"):
        km.MarginModel(backbone, heads={"arcface": arcface}, loss_weights={"arcface": 0.0})
    with pytest.raises(ValueError, match="`inference_head`"):
        km.MarginModel(backbone, heads={"arcface": arcface}, inference_head="softmax")
    with pytest.raises(ValueError, match="need `heads"):
        km.MarginModel(backbone, arcface, inference_head="arcface")

"""`SupCon`: SimCLR's model with SupConLoss on the labels of both views."""

import keras
import numpy as np
import pytest

import keras_margin as km
from ssl_testing import first_batch, random_images, tiny_backbone, views_of


def supcon_by_hand(projections, labels, temperature):
    """Khosla et al.'s L_out in float64: mean over anchors of -1/|P| sum_p log softmax."""
    z = np.asarray(projections, np.float64)
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    similarity = z @ z.T / temperature
    terms = []
    for i in range(len(z)):
        others = np.delete(np.arange(len(z)), i)
        log_partition = np.log(np.sum(np.exp(similarity[i, others])))
        positives = [p for p in others if labels[p] == labels[i]]
        terms.append(-np.mean([similarity[i, p] - log_partition for p in positives]))
    return float(np.mean(terms))


def test_loss_is_supcon_of_both_views_with_their_labels():
    model = km.ssl.SupCon(tiny_backbone(), projection_dim=4, temperature=0.2)
    model.compile(optimizer="adam")
    labels = np.arange(16) % 3
    views, batch_labels = first_batch(views_of(random_images(), labels=labels))
    projections = model(views, training=False)
    loss = model.compute_loss(x=views, y=batch_labels, y_pred=projections, training=False)
    both = np.concatenate([batch_labels.numpy(), batch_labels.numpy()])
    np.testing.assert_allclose(float(loss), supcon_by_hand(projections, both, 0.2), rtol=1e-5)
    np.testing.assert_allclose(
        float(loss), float(km.losses.SupConLoss(0.2, dtype="float64")(both, projections)), rtol=1e-5)


def test_fit_lowers_the_loss():
    model = km.ssl.SupCon(tiny_backbone(), projection_dim=4)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(views_of(random_images(32), labels=np.arange(32) % 4, batch_size=16),
                        epochs=10, verbose=0)
    losses = history.history["loss"]
    # Arbitrary classes of random images: the bound is log |P| ~ 2, not 0; a clear drop.
    assert all(np.isfinite(losses)) and losses[-1] < losses[0] - 0.2, losses


def test_needs_labels():
    model = km.ssl.SupCon(tiny_backbone(), projection_dim=4)
    model.compile(optimizer="adam")
    with pytest.raises(ValueError, match="labelled"):
        model.fit(views_of(random_images()), epochs=1, verbose=0)


def test_config_round_trip_keeps_the_class():
    model = km.ssl.SupCon(tiny_backbone(), projection_dim=3, temperature=0.3)
    clone = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    assert type(clone) is km.ssl.SupCon
    assert clone.get_config() == model.get_config()
    clone.compile(optimizer="adam")
    assert isinstance(clone.loss, km.losses.SupConLoss) and clone.loss.temperature == 0.3


def test_mixed_precision_gives_a_finite_loss():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = km.ssl.SupCon(tiny_backbone(), projection_dim=4)
        model.compile(optimizer="adam")
        views = views_of(random_images(), labels=np.arange(16) % 2, batch_size=16)
        history = model.fit(views, epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"][0])
    finally:
        keras.mixed_precision.set_global_policy("float32")

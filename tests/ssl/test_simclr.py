"""`SimCLR`: its loss, training, serialisation, argument checks and mixed precision."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from ssl_testing import first_batch, random_images, tiny_backbone, views_of


def nt_xent_by_hand(projections, temperature):
    """SimCLR's loss (Chen et al. 2020, eq. 1) in float64, views of example i at i and B + i."""
    z = np.asarray(projections, np.float64)
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    similarity = z @ z.T / temperature
    size = len(z) // 2
    partner = np.concatenate([np.arange(size, 2 * size), np.arange(size)])
    terms = []
    for i in range(len(z)):
        others = np.delete(similarity[i], i)
        log_partition = np.log(np.sum(np.exp(others - others.max()))) + others.max()
        terms.append(log_partition - similarity[i, partner[i]])
    return float(np.mean(terms))


def compiled_model(temperature=0.1, **kwargs):
    model = km.ssl.SimCLR(tiny_backbone(), projection_dim=4, temperature=temperature, **kwargs)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    return model


@pytest.mark.parametrize("temperature", [0.1, 0.5])
def test_loss_is_nt_xent_of_the_two_views_projections(temperature):
    model = compiled_model(temperature)
    views = first_batch(views_of(random_images()))
    for training in (False, True):
        projections = model(views, training=training)
        assert tuple(projections.shape) == (16, 4)
        loss = model.compute_loss(x=views, y=None, y_pred=projections, training=training)
        np.testing.assert_allclose(float(loss), nt_xent_by_hand(projections, temperature),
                                   rtol=1e-5)
    # ...and the library's NTXentLoss with the two views labelled by their example.
    ids = np.concatenate([np.arange(8), np.arange(8)])
    by_loss = km.losses.NTXentLoss(temperature, dtype="float64")(ids, projections)
    np.testing.assert_allclose(float(loss), float(by_loss), rtol=1e-5)
    # The projections of the views are those of the two images stacked.
    stacked = tf.concat([views["view_1"], views["view_2"]], axis=0)
    np.testing.assert_allclose(model(views, training=False), model(stacked, training=False),
                               rtol=1e-6, atol=1e-6)


def test_evaluate_reports_the_same_loss():
    model = compiled_model()
    # One fixed batch: `two_views` draws new views every time it is iterated.
    batch = first_batch(views_of(random_images(), batch_size=16))
    expected = nt_xent_by_hand(model(batch, training=False), 0.1)
    loss = model.evaluate(tf.data.Dataset.from_tensors(batch), verbose=0)
    np.testing.assert_allclose(loss, expected, rtol=1e-5)


def test_labels_are_ignored():
    model = compiled_model()
    labelled = views_of(random_images(), labels=np.zeros(16, "int32"))
    views, labels = first_batch(labelled)
    projections = model(views, training=False)
    np.testing.assert_allclose(
        float(model.compute_loss(x=views, y=labels, y_pred=projections, training=False)),
        nt_xent_by_hand(projections, 0.1), rtol=1e-5)


def test_fit_lowers_the_loss():
    model = compiled_model()
    views = views_of(random_images(32), batch_size=16)
    history = model.fit(views, epochs=12, verbose=0)
    losses = history.history["loss"]
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.8 * losses[0], losses


def test_backbone_is_kept_and_fine_tunes_with_a_margin_head():
    model = compiled_model()
    model.fit(views_of(random_images(16), batch_size=8), epochs=1, verbose=0)
    backbone = model.backbone
    before = [w.copy() for w in backbone.get_weights()]
    classifier = km.MarginModel(backbone, km.heads.ArcFace(2, scale=8.0, margin=0.2))
    classifier.compile(optimizer="adam", metrics=["accuracy"])
    history = classifier.fit(random_images(16), np.arange(16) % 2, batch_size=8, epochs=1,
                             verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert classifier.backbone is backbone
    assert any(not np.array_equal(a, b) for a, b in zip(before, backbone.get_weights()))
    assert classifier.predict(random_images(4), verbose=0).shape == (4, 2)


def test_config_round_trip_and_keras_file(tmp_path):
    model = compiled_model(temperature=0.2, hidden_dim=6, name="pretrain")
    model.fit(views_of(random_images(8)), epochs=1, verbose=0)  # the optimizer is saved too
    views = first_batch(views_of(random_images()))
    outputs = model(views, training=False)
    config = model.get_config()
    assert {config[k] for k in ("projection_dim", "hidden_dim")} == {4, 6}
    assert config["temperature"] == 0.2
    clone = km.ssl.SimCLR.from_config(config)
    assert clone.get_config() == config
    path = str(tmp_path / "simclr.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is km.ssl.SimCLR and loaded.temperature == 0.2
    np.testing.assert_allclose(loaded(views, training=False), outputs, rtol=1e-6, atol=1e-6)
    assert isinstance(loaded.loss, km.losses.NTXentLoss) and loaded.loss.temperature == 0.2


def test_hidden_dim_defaults_to_the_backbone_output_size():
    model = km.ssl.SimCLR(tiny_backbone(features=5))
    assert (model.hidden_dim, model.projection_dim, model.temperature) == (5, 128, 0.1)


@pytest.mark.parametrize("kwargs, argument", [
    (dict(projection_dim=0), "projection_dim"),
    (dict(projection_dim=2.5), "projection_dim"),
    (dict(hidden_dim=0), "hidden_dim"),
    (dict(temperature=0.0), "temperature"),
    (dict(temperature=-1.0), "temperature"),
])
def test_bad_arguments_name_themselves(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        km.ssl.SimCLR(tiny_backbone(), **kwargs)


def test_bad_backbone_and_loss():
    with pytest.raises(ValueError, match="backbone"):
        km.ssl.SimCLR("resnet")
    with pytest.raises(ValueError, match="hidden_dim"):
        km.ssl.SimCLR(keras.layers.Dense(4))  # a layer has no known output size
    with pytest.raises(ValueError, match="loss"):
        km.ssl.SimCLR(tiny_backbone()).compile(optimizer="adam", loss="mse")


def test_fit_on_plain_images_says_to_make_views():
    model = compiled_model()
    pool = tf.data.Dataset.from_tensor_slices(random_images()).batch(8)
    with pytest.raises(ValueError, match="two_views"):
        model.fit(pool, epochs=1, verbose=0)


def test_mixed_precision_gives_a_finite_loss():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = compiled_model()
        views = views_of(random_images(), batch_size=16)
        assert model(first_batch(views), training=False).dtype == "float16"
        history = model.fit(views, epochs=2, verbose=0)
        assert all(np.isfinite(history.history["loss"]))
    finally:
        keras.mixed_precision.set_global_policy("float32")

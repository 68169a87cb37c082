"""`km.models.backbone`: keras.applications and saved models as embedding backbones."""

import keras
import numpy as np
import pytest

import keras_margin as km

SMALL = (32, 32, 3)


def _images(shape, count=2, seed=0):
    return np.random.default_rng(seed).uniform(0.0, 255.0, (count, *shape)).astype("float32")


@pytest.mark.parametrize("name", ["resnet50v2", "MobileNetV3Small", "efficientnet_v2_b0"])
def test_each_architecture_gives_embeddings_of_the_asked_size(name):
    model = km.models.backbone(name, SMALL, embedding_dim=8)
    assert model.output_shape == (None, 8)
    assert model.get_layer("base").count_params() > 100_000  # the application, not a stub
    images = _images(SMALL)
    out = np.asarray(model(images, training=False))
    assert out.shape == (2, 8) and np.isfinite(out).all()
    if name == "resnet50v2":  # the family's preprocess_input, added in the model
        reference = keras.applications.resnet_v2.preprocess_input(images.astype("float64").copy())
        np.testing.assert_allclose(np.asarray(model.get_layer("preprocess")(images)), reference, atol=1e-6)


def test_mobilenet_keeps_its_own_preprocessing_and_gets_none_added():
    model = km.models.backbone("mobilenetv3small", SMALL, embedding_dim=4)
    assert any(isinstance(layer, keras.layers.Rescaling) for layer in model.get_layer("base").layers)
    assert not any(isinstance(layer, keras.layers.Rescaling) for layer in model.layers)


def test_grayscale_images_are_repeated_to_three_channels():
    gray = km.models.backbone("mobilenetv3small", (32, 32, 1), embedding_dim=4)
    rgb = km.models.backbone("mobilenetv3small", SMALL, embedding_dim=4)
    rgb.set_weights(gray.get_weights())
    images = _images((32, 32, 1))
    np.testing.assert_allclose(np.asarray(gray(images, training=False)),
                               np.asarray(rgb(np.repeat(images, 3, axis=-1), training=False)), atol=1e-5)


def test_weights_round_trip_through_a_local_file(tmp_path):
    trained = km.models.backbone("mobilenetv3small", SMALL, embedding_dim=4)
    base = trained.get_layer("base")
    rng = np.random.default_rng(1)  # "trained": weights no fresh initialisation gives
    base.set_weights([w + rng.normal(0.0, 0.05, w.shape).astype(w.dtype) for w in base.get_weights()])
    path = str(tmp_path / "base.weights.h5")
    base.save_weights(path)
    loaded = km.models.backbone("mobilenetv3small", SMALL, embedding_dim=4, weights=path)
    fresh = km.models.backbone("mobilenetv3small", SMALL, embedding_dim=4)
    for ours, theirs in zip(loaded.get_layer("base").get_weights(), base.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    images = _images(SMALL)
    features = np.asarray(base(images, training=False))
    np.testing.assert_array_equal(np.asarray(loaded.get_layer("base")(images, training=False)), features)
    assert not np.allclose(np.asarray(fresh.get_layer("base")(images, training=False)), features,
                           rtol=1e-3, atol=0.0)


def test_a_backbone_round_trips_through_keras_save(tmp_path):
    model = km.models.backbone("mobilenetv3small", (32, 32, 1), embedding_dim=4)
    path = str(tmp_path / "backbone.keras")
    model.save(path)
    images = _images((32, 32, 1))
    np.testing.assert_allclose(np.asarray(keras.saving.load_model(path)(images, training=False)),
                               np.asarray(model(images, training=False)), atol=1e-6)


def test_a_saved_keras_model_becomes_the_base(tmp_path):
    user = km.models.small_cnn(embedding_dim=6, input_shape=(8, 8, 1), width=2)
    path = str(tmp_path / "mine.keras")
    user.save(path)
    model = km.models.backbone(path, (8, 8, 1), embedding_dim=4)
    assert model.output_shape == (None, 4)
    images = _images((8, 8, 1))
    np.testing.assert_allclose(np.asarray(model.get_layer("base")(images, training=False)),
                               np.asarray(user(images, training=False)), atol=1e-6)
    assert "pool" not in [layer.name for layer in model.layers]  # vectors: nothing to pool


def test_a_saved_feature_map_model_is_pooled(tmp_path):
    inputs = keras.Input((8, 8, 3))
    user = keras.Model(inputs, keras.layers.Conv2D(5, 3)(inputs))
    path = str(tmp_path / "maps.keras")
    user.save(path)
    model = km.models.backbone(path, (8, 8, 1), embedding_dim=4)  # grey: repeated to RGB
    assert model.output_shape == (None, 4)
    assert {"pool", "grayscale_to_rgb"} <= {layer.name for layer in model.layers}


def test_a_saved_margin_model_gives_its_backbone(tmp_path):
    margin_model = km.MarginModel(km.models.small_cnn(embedding_dim=6, input_shape=(8, 8, 1), width=2),
                                  km.heads.ArcFace(3))
    margin_model(np.zeros((1, 8, 8, 1), "float32"))
    path = str(tmp_path / "margin.keras")
    margin_model.save(path)
    model = km.models.backbone(path, (8, 8, 1), embedding_dim=4)
    assert model.get_layer("base").output_shape == (None, 6)


@pytest.mark.parametrize(
    "kwargs, argument, detail",
    [
        ({"name": "resnet9000"}, "name", "mobilenetv3small"),  # lists the known ones
        ({"name": 3}, "name", ""),
        ({"name": "/no/such/model.keras"}, "name", "no such"),
        ({"input_shape": (16, 16, 3)}, "input_shape", "at least 32"),
        ({"input_shape": (32, 32, 2)}, "input_shape", "1 or 3 channels"),
        ({"input_shape": (32, 32)}, "input_shape", ""),
        ({"input_shape": (32.5, 32, 3)}, "input_shape", ""),
        ({"embedding_dim": 0}, "embedding_dim", ""),
        ({"weights": "imagenet"}, "weights", "download"),
        ({"weights": "/no/such/file.weights.h5"}, "weights", "does not exist"),
        ({"weights": 7}, "weights", ""),
        ({"batch_norm_momentum": 1.5}, "batch_norm_momentum", ""),
    ],
)
def test_bad_arguments_raise_naming_the_argument(kwargs, argument, detail):
    arguments = {"name": "mobilenetv3small", "input_shape": SMALL, "embedding_dim": 4, **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`") as error:
        km.models.backbone(**arguments)
    assert detail in str(error.value)


def test_weights_of_another_architecture_are_refused(tmp_path):
    path = str(tmp_path / "mobilenet.weights.h5")
    km.models.backbone("mobilenetv3small", SMALL, embedding_dim=4).get_layer("base").save_weights(path)
    with pytest.raises(ValueError, match="`weights` file .* could not be loaded into efficientnetv2b0"):
        km.models.backbone("efficientnetv2b0", SMALL, embedding_dim=4, weights=path)


def test_saved_model_arguments_are_checked(tmp_path):
    path = str(tmp_path / "mine.keras")
    km.models.small_cnn(embedding_dim=6, input_shape=(8, 8, 1), width=2).save(path)
    with pytest.raises(ValueError, match="`weights` must be None"):
        km.models.backbone(path, (8, 8, 1), embedding_dim=4, weights=path)
    with pytest.raises(ValueError, match="`input_shape`"):
        km.models.backbone(path, (9, 8, 1), embedding_dim=4)

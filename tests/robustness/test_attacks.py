"""FGSM and PGD: closed forms on linear models, the epsilon-ball, and trained models."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from keras_margin.robustness import fgsm, pgd


def _linear(weights, bias):
    model = keras.Sequential(
        [keras.Input((weights.shape[0],)), keras.layers.Dense(weights.shape[1])]
    )
    model.layers[-1].set_weights([weights.astype("float32"), bias.astype("float32")])
    return model


@pytest.fixture(scope="module")
def binary():
    rng = np.random.default_rng(0)
    # Small weights: logit gaps of a few units, so the softmax does not saturate.
    weights = 0.02 * rng.normal(size=(6, 2))
    images = rng.uniform(60, 190, (8, 6)).astype("float32")
    labels = rng.integers(0, 2, 8)
    return _linear(weights, np.array([0.3, -0.2])), weights, images, labels


@pytest.mark.parametrize("loss", ("cross_entropy", "margin"))
def test_fgsm_is_the_closed_form_worst_case_of_a_linear_model(binary, loss):
    model, weights, images, labels = binary
    epsilon = 7.0
    direction = np.sign(weights[:, 1 - labels] - weights[:, labels]).T  # w_other - w_target
    adversarial = fgsm(model, images, labels, epsilon, loss=loss).numpy()
    np.testing.assert_allclose(adversarial, images + epsilon * direction, atol=1e-4)


@pytest.mark.parametrize("loss", ("cross_entropy", "margin"))
def test_l2_pgd_moves_a_linear_model_along_the_normalised_weight_difference(binary, loss):
    model, weights, images, labels = binary
    epsilon = 9.0
    difference = (weights[:, 1 - labels] - weights[:, labels]).T
    unit = difference / np.linalg.norm(difference, axis=1, keepdims=True)
    adversarial = pgd(model, images, labels, epsilon, steps=3, step_size=epsilon, norm="l2",
                      random_start=False, loss=loss).numpy()
    np.testing.assert_allclose(adversarial, images + epsilon * unit, atol=1e-3)


def test_margin_loss_moves_where_saturated_cross_entropy_has_no_gradient(binary):
    model, weights, images, labels = binary
    # Logits 1000x larger (a large-scale head): the gap is hundreds, the softmax of
    # the true class is exactly 1 in float32 and the cross-entropy gradient exactly 0.
    saturated = _linear(1000.0 * weights, np.zeros(2))
    correct = np.argmax(saturated(images), axis=-1)
    masked = fgsm(saturated, images, correct, 7.0).numpy()
    np.testing.assert_array_equal(masked, images)
    direction = np.sign(weights[:, 1 - correct] - weights[:, correct]).T
    np.testing.assert_allclose(fgsm(saturated, images, correct, 7.0, loss="margin").numpy(),
                               images + 7.0 * direction, atol=1e-4)


@pytest.mark.parametrize("norm", ("linf", "l2"))
@pytest.mark.parametrize("loss", ("cross_entropy", "margin"))
def test_iterates_stay_in_the_ball_and_the_value_range(norm, loss):
    rng = np.random.default_rng(1)
    model = _linear(rng.normal(size=(6, 3)), np.zeros(3))
    images = rng.choice([0.0, 3.0, 128.0, 252.0, 255.0], (16, 6)).astype("float32")
    labels = rng.integers(0, 3, 16)
    epsilon = 10.0
    adversarial = pgd(model, images, labels, epsilon, steps=4, norm=norm, loss=loss, seed=3).numpy()
    assert adversarial.min() >= 0.0 and adversarial.max() <= 255.0
    delta = adversarial - images
    size = np.abs(delta).max(axis=1) if norm == "linf" else np.linalg.norm(delta, axis=1)
    assert np.all(size <= epsilon * (1 + 1e-5))
    assert np.all(size > 0)  # it moved
    again = pgd(model, images, labels, epsilon, steps=4, norm=norm, loss=loss, seed=3).numpy()
    np.testing.assert_array_equal(adversarial, again)  # deterministic for a seed


@pytest.fixture(scope="module")
def digits():
    keras.utils.set_random_seed(0)
    train, _, test = km.data.load("digits", samples_per_class=60, batch_size=64, seed=0)
    images, labels = map(np.concatenate, zip(*[(x.numpy(), y.numpy()) for x, y in test.take(3)]))
    return train, images[:128], labels[:128]


def _fit(model, train):
    model.fit(train.repeat(), steps_per_epoch=60, epochs=1, verbose=0, shuffle=False)
    return model


@pytest.fixture(scope="module")
def cnn(digits):
    train, _, _ = digits
    backbone = km.models.small_cnn(embedding_dim=16, input_shape=(8, 8, 1), width=8)
    model = keras.Sequential([backbone, keras.layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(0.003),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return _fit(model, train)


@pytest.fixture(scope="module")
def arcface(digits):
    train, _, _ = digits
    backbone = km.models.small_cnn(embedding_dim=16, input_shape=(8, 8, 1), width=8)
    model = km.MarginModel(backbone, km.heads.ArcFace(num_classes=10, scale=64.0, margin=0.5))
    model.compile(optimizer=keras.optimizers.Adam(0.003))
    return _fit(model, train)


def _accuracy(model, images, labels):
    return float(np.mean(np.argmax(model(images, training=False), axis=-1) == labels))


@pytest.mark.parametrize("loss", ("cross_entropy", "margin"))
def test_accuracy_falls_monotonically_in_epsilon_to_about_zero(cnn, digits, loss):
    _, images, labels = digits
    clean = _accuracy(cnn, images, labels)
    assert clean > 0.6  # a trained model, else the test says nothing
    accuracies = [
        _accuracy(cnn, pgd(cnn, images, labels, epsilon, steps=10, loss=loss, seed=0), labels)
        for epsilon in (4.0, 16.0, 48.0, 128.0)
    ]
    assert all(b <= a for a, b in zip([clean, *accuracies], accuracies)), (clean, accuracies)
    assert accuracies[-1] <= 0.05, accuracies


def test_epsilon_zero_changes_no_prediction(cnn, digits):
    _, images, labels = digits
    predictions = np.argmax(cnn(images, training=False), axis=-1)
    for norm in ("linf", "l2"):
        adversarial = pgd(cnn, images, labels, 0.0, steps=3, norm=norm, seed=1)
        np.testing.assert_array_equal(adversarial.numpy(), images)
        np.testing.assert_array_equal(np.argmax(cnn(adversarial, training=False), axis=-1),
                                      predictions)
    np.testing.assert_array_equal(fgsm(cnn, images, labels, 0.0).numpy(), images)


def test_margin_model_with_arcface_is_attacked_on_inference_logits(arcface, digits):
    _, images, labels = digits
    clean = _accuracy(arcface, images, labels)
    assert clean > 0.6
    # MarginModel(x) are the head's inference logits: s * cos, no margin.
    embeddings = arcface.backbone(images, training=False)
    np.testing.assert_allclose(arcface(images, training=False),
                               arcface.head(embeddings, training=False), atol=1e-4)
    accuracies = {
        loss: _accuracy(arcface, pgd(arcface, images, labels, 128.0, steps=10, loss=loss), labels)
        for loss in ("cross_entropy", "margin")
    }
    # The scale-free margin loss reaches ~0 whatever the cross-entropy's gradients do.
    assert accuracies["margin"] <= 0.05, accuracies
    small = _accuracy(arcface, pgd(arcface, images, labels, 8.0, steps=10, loss="margin"), labels)
    assert accuracies["margin"] <= small <= clean


@pytest.mark.parametrize("kwargs, argument", [
    ({"epsilon": -1.0}, "epsilon"),
    ({"steps": 0}, "steps"),
    ({"step_size": -0.1}, "step_size"),
    ({"norm": "l1"}, "norm"),
    ({"loss": "hinge"}, "loss"),
    ({"value_range": (1.0, 0.0)}, "value_range"),
])
def test_invalid_arguments_raise(binary, kwargs, argument):
    model, _, images, labels = binary
    arguments = {"epsilon": 1.0, **kwargs}
    with pytest.raises(ValueError, match=argument):
        pgd(model, images, labels, **arguments)


def test_one_hot_or_mismatched_labels_raise(binary):
    model, _, images, labels = binary
    with pytest.raises(ValueError, match="labels"):
        pgd(model, images, np.eye(2)[labels], 1.0)
    with pytest.raises(ValueError, match="labels"):
        fgsm(model, images, labels[:3], 1.0)


def test_the_compiled_attack_does_not_keep_its_model_alive():
    import gc
    import weakref

    model = _linear(np.eye(4, 3), np.zeros(3))
    pgd(model, np.full((2, 4), 9.0, "float32"), np.array([0, 1]), 1.0, steps=1)
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None

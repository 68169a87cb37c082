"""`fit_margin_model`: the training recipe shared by the CLI and the studies."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 6)).astype("float32")
    y = rng.integers(0, 8, size=32).astype("int32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(8)


@pytest.mark.parametrize(
    "sample_rate, optimizer_class",
    [(None, keras.optimizers.Adam), (0.5, km.optimizers.LazyAdam)],
)
def test_a_sampling_head_trains_with_lazy_adam(sample_rate, optimizer_class):
    backbone = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    head = km.heads.CosFace(8, sample_rate=sample_rate, seed=0)
    model, history = km.models.fit_margin_model(backbone, head, _data(), None, epochs=1)
    assert type(model.optimizer) is optimizer_class
    assert np.isfinite(history.history["loss"][-1])


@pytest.mark.parametrize("heads", ["one", "joint"])
def test_the_train_step_is_traced_once_and_trains_as_keras_would(monkeypatch, heads):
    def make(seed=0):
        keras.utils.set_random_seed(seed)
        backbone = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
        if heads == "one":
            return backbone, km.heads.ArcFace(8, scale=8.0)
        return backbone, {"softmax": km.heads.Softmax(8), "arcface": km.heads.ArcFace(8, scale=8.0)}

    traced = []
    train_step = km.MarginModel.train_step
    monkeypatch.setattr(km.MarginModel, "train_step",
                        lambda self, *args: traced.append(1) or train_step(self, *args))
    _, history = km.models.fit_margin_model(*make(), _data(), _data(), epochs=2)
    assert len(traced) == 1

    # The same training built by `fit` itself: the metrics' warm-up example left no trace.
    monkeypatch.setattr(km.models.recipe, "_build_before_fit", lambda model, spec: None)
    _, unbuilt = km.models.fit_margin_model(*make(), _data(), _data(), epochs=2)
    assert len(traced) == 3  # what the pre-build saves: TensorFlow traces twice
    for name, values in unbuilt.history.items():
        np.testing.assert_allclose(history.history[name], values, rtol=1e-6, err_msg=name)


def test_early_stopping_reports_the_steps_used():
    backbone = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    # A learning rate of 0: validation accuracy never rises after the first check.
    model, history = km.models.fit_margin_model(
        backbone, km.heads.CosFace(8), _data(), _data(), epochs=20, steps_per_epoch=3,
        learning_rate=0.0, patience=2)
    assert history.training_steps == {"max_steps": 60, "steps_used": 9, "best_step": 3,
                                      "stopped_early": True}
    assert len(history.history["val_accuracy"]) == 3


def test_the_plateau_schedule_lowers_the_rate_and_a_joint_model_trains():
    backbone = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    heads = {"softmax": km.heads.Softmax(8), "arcface": km.heads.ArcFace(8, scale=8.0)}
    model, history = km.models.fit_margin_model(
        backbone, heads, _data(), _data(), epochs=4, steps_per_epoch=2, learning_rate=1e-9,
        patience=4, learning_rate_schedule="plateau")  # too small a rate to move the accuracy
    assert model.inference_head == "softmax" and np.isfinite(history.history["loss"]).all()
    rates = history.history["learning_rate"]
    assert rates[-1] == pytest.approx(rates[0] / 4)
    assert history.training_steps["steps_used"] == 8 and not history.training_steps["stopped_early"]


def test_bad_recipe_arguments_raise_before_training():
    backbone = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    with pytest.raises(ValueError, match="learning_rate_schedule"):
        km.models.fit_margin_model(backbone, km.heads.CosFace(8), _data(), _data(),
                                   learning_rate_schedule="step")
    with pytest.raises(ValueError, match="validation"):
        km.models.fit_margin_model(backbone, km.heads.CosFace(8), _data(), None, patience=2)
    with pytest.raises(ValueError, match="patience"):
        km.models.fit_margin_model(backbone, km.heads.CosFace(8), _data(), _data(), patience=0)


def _pk_data(shift=3.0):
    # Four well-separated classes in 6-D, 8 examples each, in P x K batches.
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(4), 8).astype("int32")
    x = (np.eye(6)[labels] * shift + rng.normal(scale=0.3, size=(32, 6))).astype("float32")
    batches = km.data.pk_batches(x, labels, classes_per_batch=4, samples_per_class=2, seed=0)
    return batches, tf.data.Dataset.from_tensor_slices((x, labels)).batch(8)


def test_an_embedding_loss_trains_and_stops_on_the_class_mean_accuracy():
    batches, plain = _pk_data()
    backbone = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    model, history = km.models.fit_embedding_model(
        backbone, km.losses.TripletMarginLoss(margin=0.2, miner="batch_hard"), batches, plain, plain,
        num_classes=4, epochs=20, steps_per_epoch=2, learning_rate=0.0, patience=2)
    # A rate of 0: the first check is the best, and two more end the run.
    assert history.training_steps == {"max_steps": 40, "steps_used": 6, "best_step": 2,
                                      "stopped_early": True}
    accuracies = history.history["val_accuracy"]
    assert len(accuracies) == 3 and len(set(accuracies)) == 1
    embeddings = np.concatenate([np.asarray(backbone(x)) for x, _ in plain])
    labels = np.concatenate([np.asarray(y) for _, y in plain])
    assert accuracies[0] == km.metrics.nearest_class_mean_accuracy(embeddings, labels, embeddings,
                                                                   labels, 4)
    assert isinstance(model, km.models.EmbeddingModel) and model.backbone is backbone

    # It learns: from a start that mixes the classes up, the accuracy rises.
    backbone = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    _, learned = km.models.fit_embedding_model(
        backbone, km.losses.SupConLoss(), batches, plain, plain, 4, epochs=8, steps_per_epoch=4,
        learning_rate=0.05, patience=8)
    assert learned.history["val_accuracy"][-1] == 1.0
    with pytest.raises(ValueError, match="validation"):
        km.models.fit_embedding_model(backbone, km.losses.SupConLoss(), batches, None, plain, 4,
                                      patience=2)

"""`BestValidation`: early stopping on validation accuracy, ties broken by validation loss."""

import keras
import numpy as np
import pytest

import keras_margin as km


def _model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _set(model, value):
    model.set_weights([np.full_like(w, value) for w in model.get_weights()])


def test_patience_counts_rises_of_the_monitor_and_the_best_weights_come_back():
    model, stopper = _model(), km.callbacks.BestValidation(patience=2)
    stopper.set_model(model)
    stopper.on_train_begin()
    epochs = [(0.5, 1.0), (0.5, 0.4), (0.45, 0.1)]  # (val_accuracy, val_loss)
    for epoch, (accuracy, loss) in enumerate(epochs):
        _set(model, epoch)
        stopper.on_epoch_end(epoch, {"val_accuracy": accuracy, "val_loss": loss})
    # Epoch 1 ties epoch 0 on accuracy with a lower loss: it is the best, but it is not a
    # rise, so with epoch 2 that makes two validations without one.
    assert stopper.best_epoch == 1 and stopper.stopped_early and model.stop_training
    assert stopper.epochs_run == 3
    stopper.on_train_end()
    assert all(np.all(w == 1) for w in model.get_weights())


def test_min_delta_and_no_patience():
    model, stopper = _model(), km.callbacks.BestValidation(patience=None, min_delta=0.1)
    stopper.set_model(model)
    stopper.on_train_begin()
    for epoch, accuracy in enumerate([0.5, 0.55, 0.58, float("nan")]):
        _set(model, epoch)
        stopper.on_epoch_end(epoch, {"val_accuracy": accuracy, "val_loss": 1.0})
    assert stopper.best_epoch == 2 and not stopper.stopped_early  # NaN never wins
    stopper.on_train_end()
    assert all(np.all(w == 2) for w in model.get_weights())


def test_a_missing_monitor_and_bad_arguments_raise():
    stopper = km.callbacks.BestValidation(patience=1)
    stopper.set_model(_model())
    stopper.on_train_begin()
    with pytest.raises(ValueError, match="val_acc"):
        stopper.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.0, "val_acc": 0.5})
    stopper.on_epoch_end(1, {"loss": 1.0})  # an epoch without validation (validation_freq)
    with pytest.warns(UserWarning, match="validation_data"):
        stopper.on_train_end()
    with pytest.raises(ValueError, match="patience"):
        km.callbacks.BestValidation(patience=0)
    with pytest.raises(ValueError, match="min_delta"):
        km.callbacks.BestValidation(min_delta=-1)

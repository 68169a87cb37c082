"""The project's reference training recipe, shared by the CLI and the studies."""

import keras
import numpy as np

from keras_margin.callbacks.best_validation import BestValidation
from keras_margin.models.margin_model import MarginModel
from keras_margin.models.small_cnn import small_cnn
from keras_margin.optimizers.lazy_adam import LazyAdam
from keras_margin.utils import validation as validation_lib


SCHEDULES = ("cosine", "plateau")


def fit_margin_model(
    backbone,
    head,
    train,
    validation,
    epochs=15,
    learning_rate=2e-3,
    steps_per_epoch=None,
    loss="auto",
    verbose=0,
    callbacks=None,
    patience=None,
    learning_rate_schedule="cosine",
    loss_weights=None,
    adversarial=None,
):
    """Trains `MarginModel(backbone, head)` with Adam, for a budget of epochs or until
    validation accuracy stops rising.

    A head that samples class centres (`sample_rate`) trains with `LazyAdam`, which
    updates only the sampled rows; Keras' `Adam` would rewrite all (C, D) centres and
    both moments every step and lose most of what sampling saves.

    Learning rate (`learning_rate_schedule`):

    - `"cosine"` (default): decays from `learning_rate` to 0 over all `epochs`, the
      maximum budget even when training stops early: with a constant rate the batch-norm
      running statistics trail the still-moving weights, and validation accuracy jumps
      between epochs on small data.
    - `"plateau"`: constant, divided by 4 each time validation accuracy has not risen
      for `max(1, patience // 2)` epochs (needs `validation` and `patience`).

    Early stopping (`patience`): the same rule for every head. Validation accuracy is
    checked after every epoch (`steps_per_epoch` steps), training stops after
    `patience` epochs without a rise, and the model ends with the weights of the best
    check (ties: the lower validation loss); see `keras_margin.callbacks.BestValidation`.
    Accuracy, not `val_loss`, is monitored: a margin head's `val_loss` is the cross
    entropy of its no-margin logits `s cos(theta)`, which depends on the scale `s` and
    keeps falling while the accuracy is flat, so heads of different scales would stop
    by different rules. `history.training_steps` gives `max_steps`, `steps_used`,
    `best_step` and `stopped_early` (a `None` best step without early stopping).

    Args:
        backbone: a Keras model from inputs to embeddings.
        head: a `keras_margin.heads` layer, or a dict of name -> head trained jointly
            (the first one classifies; see `MarginModel`).
        train: `tf.data.Dataset` of `(inputs, labels)` batches, finite.
        validation: dataset for `validation_data`, or None.
        epochs: training epochs; with `patience`, the most epochs.
        learning_rate: initial Adam learning rate.
        steps_per_epoch: optimizer steps per epoch. None means one pass over `train`;
            a number makes `train` repeat, so that an epoch is a fixed budget of steps
            (and validation runs every `steps_per_epoch` steps) whatever the data size.
        loss: the training loss; `"auto"` is `keras_margin.losses.CrossEntropy()`.
        verbose: Keras progress (0 silent, 1 bar, 2 a line per epoch).
        callbacks: optional Keras callbacks.
        patience: epochs without a rise of validation accuracy before stopping, an
            integer >= 1; None trains all `epochs` and keeps the last weights.
        learning_rate_schedule: one of `SCHEDULES`.
        loss_weights: with a dict of heads, their loss weights (default 1.0 each).
        adversarial: adversarial training: None (plain), a
            `keras_margin.robustness.AdversarialTraining`, a dict of its arguments, or
            a spec string such as `"pgd:epsilon=32"` or `"fgsm-rs:epsilon=8"`. Each
            batch (after augmentation) is replaced by adversarial examples of the
            current model; validation stays clean.

    Returns:
        `(model, history)`: the trained `MarginModel` and the `History` of `fit`.
    """
    if learning_rate_schedule not in SCHEDULES:
        raise ValueError(f"`learning_rate_schedule` must be one of {', '.join(SCHEDULES)}; "
                         f"received {learning_rate_schedule!r}.")
    if patience is not None:
        patience = validation_lib.integer_at_least(patience, 1, "patience")
    if (patience is not None or learning_rate_schedule == "plateau") and validation is None:
        raise ValueError("Early stopping and the plateau schedule need `validation` data.")
    if learning_rate_schedule == "plateau" and patience is None:
        raise ValueError("`learning_rate_schedule='plateau'` needs `patience`.")
    if adversarial is not None:
        # Imported here: `keras_margin.robustness` sits above `models`.
        from keras_margin.robustness import adversarial_training

        adversarial = adversarial_training.get(adversarial)
    if isinstance(head, dict):
        model = MarginModel(backbone, heads=head, loss_weights=loss_weights, adversarial=adversarial)
    else:
        model = MarginModel(backbone, head, loss_weights=loss_weights, adversarial=adversarial)
    if steps_per_epoch is not None:
        train = train.repeat()
    epoch_steps = steps_per_epoch or max(int(train.cardinality()), 1)
    callbacks = list(callbacks or [])
    if learning_rate_schedule == "cosine":
        rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=epochs * epoch_steps)
    else:
        rate = learning_rate
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            monitor="val_accuracy", mode="max", factor=0.25, patience=max(1, patience // 2),
            min_lr=learning_rate / 1000))
    best = None
    if patience is not None:
        best = BestValidation(monitor="val_accuracy", patience=patience)
        callbacks.append(best)
    sampling = any(getattr(one, "sample_rate", None)
                   for one in (head.values() if isinstance(head, dict) else [head]))
    optimizer_class = LazyAdam if sampling else keras.optimizers.Adam
    model.compile(optimizer=optimizer_class(rate), loss=loss, metrics=["accuracy"])
    _build_before_fit(model, train.element_spec)
    # shuffle=False: the pipelines of keras_margin.data reshuffle every epoch themselves.
    history = model.fit(train, validation_data=validation, epochs=epochs, verbose=verbose,
                        steps_per_epoch=steps_per_epoch, shuffle=False, callbacks=callbacks)
    epochs_run = len(history.epoch)
    history.training_steps = {
        "max_steps": epochs * epoch_steps,
        "steps_used": epochs_run * epoch_steps,
        "best_step": None if best is None or best.best_epoch is None else (best.best_epoch + 1) * epoch_steps,
        "stopped_early": bool(best is not None and best.stopped_early),
    }
    return model, history


def fit_small_cnn(train, validation, head, input_shape, embedding_dim=64, **fit_arguments):
    """`fit_margin_model` with a fresh `small_cnn(embedding_dim, input_shape)` backbone.

    Args:
        train, validation, head: as in `fit_margin_model`.
        input_shape: `(height, width, channels)` of the images.
        embedding_dim: size of the embedding the head receives.
        **fit_arguments: the other arguments of `fit_margin_model` (`epochs`,
            `learning_rate`, `steps_per_epoch`, `patience`, ...).

    Returns:
        `(model, history)`.

    Example:

    >>> import keras_margin as km
    >>> train, val, test, info = km.data.load("digits", samples_per_class=20, with_info=True)
    >>> model, history = km.models.fit_small_cnn(
    ...     train, val, km.heads.ArcFace(info.num_classes, scale=16.0), info.input_shape, epochs=2)
    """
    backbone = small_cnn(embedding_dim=embedding_dim, input_shape=input_shape)
    return fit_margin_model(backbone, head, train, validation, **fit_arguments)


def _build_before_fit(model, element_spec):
    """Creates the weights, the optimizer's slots and the compiled metrics' totals before
    `fit`: on TensorFlow, variables first created inside `fit`'s first trace make it trace
    the train step twice, about a third of a short run's CPU. The weights drawn and the
    training are the same either way. Nested inputs are left to `fit`."""
    inputs, labels = element_spec[0], element_spec[1]
    if not all(getattr(getattr(spec, "shape", None), "rank", None) is not None
               for spec in (inputs, labels)):
        return
    model.build(tuple(inputs.shape))
    model.optimizer.build(model.trainable_variables)
    # One example (zeros, or empty texts) through the compiled metrics creates their
    # variables; the totals it adds are reset at once.
    x = _one_blank_example(inputs)
    y = _one_blank_example(labels)
    model.compute_metrics(x, y, model(x, training=False))
    model.reset_metrics()


def _one_blank_example(spec):
    shape = (1, *spec.shape[1:])
    if spec.dtype.is_floating or spec.dtype.is_integer or spec.dtype.is_bool:
        return np.zeros(shape, spec.dtype.as_numpy_dtype)
    return np.full(shape, b"", dtype=object)  # strings, for text_cnn


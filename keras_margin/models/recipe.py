"""The project's reference training recipe, shared by the CLI and the studies."""

import keras
import numpy as np

from keras_margin.callbacks.best_validation import BestValidation
from keras_margin.callbacks.class_mean_validation import ClassMeanValidation
from keras_margin.models.embedding_model import EmbeddingModel
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
    patience = _check_recipe(learning_rate_schedule, patience, validation)
    if adversarial is not None:
        # Imported here: `keras_margin.robustness` sits above `models`.
        from keras_margin.robustness import adversarial_training

        adversarial = adversarial_training.get(adversarial)
    if isinstance(head, dict):
        model = MarginModel(backbone, heads=head, loss_weights=loss_weights, adversarial=adversarial)
    else:
        model = MarginModel(backbone, head, loss_weights=loss_weights, adversarial=adversarial)
    sampling = any(getattr(one, "sample_rate", None)
                   for one in (head.values() if isinstance(head, dict) else [head]))
    optimizer_class = LazyAdam if sampling else keras.optimizers.Adam
    return _fit(model, optimizer_class, dict(loss=loss, metrics=["accuracy"]), train, validation,
                epochs, learning_rate, steps_per_epoch, verbose, callbacks, patience,
                learning_rate_schedule)


def fit_embedding_model(
    backbone,
    loss,
    train,
    validation,
    reference,
    num_classes,
    epochs=15,
    learning_rate=2e-3,
    steps_per_epoch=None,
    verbose=0,
    callbacks=None,
    patience=None,
    learning_rate_schedule="cosine",
):
    """Trains `EmbeddingModel(backbone)` with a loss on embeddings, by the rules of
    `fit_margin_model`: Adam, the same learning-rate schedules, the same early stopping.

    A model of embeddings has no classifier, so its validation accuracy is that of the
    nearest class mean (`keras_margin.callbacks.ClassMeanValidation`): the class means
    of `reference`'s embeddings classify `validation`'s, after every epoch. Early
    stopping and the plateau schedule watch that accuracy, as they watch a margin
    head's; among equal accuracies the earlier epoch is kept (there is no validation
    loss to break ties: the losses on embeddings need P x K batches).

    Args:
        backbone: a Keras model from inputs to embeddings.
        loss: a loss on embeddings of `keras_margin.losses` (`TripletMarginLoss`, ...).
        train: `tf.data.Dataset` of `(inputs, labels)` P x K batches
            (`keras_margin.data.pk_batches`), finite.
        validation: dataset of `(inputs, labels)` batches, or None (then no early
            stopping and no plateau schedule).
        reference: dataset of `(inputs, labels)` batches whose embeddings give the
            class means, usually the training split without augmentation.
        num_classes: number of classes.
        epochs, learning_rate, steps_per_epoch, verbose, callbacks, patience,
        learning_rate_schedule: as in `fit_margin_model`.

    Returns:
        `(model, history)`: the trained `EmbeddingModel` (`model.classifier(reference,
        num_classes)` classifies) and the `History` of `fit`, with `training_steps`.

    Example:

    >>> import keras_margin as km
    >>> split = km.data.load_training_split("digits", samples_per_class=10)
    >>> train, val, test, info = km.data.load("digits", samples_per_class=10, with_info=True)
    >>> batches = km.data.pk_batches(split.images, split.labels, classes_per_batch=10,
    ...                              samples_per_class=4, seed=0)
    >>> model, history = km.models.fit_embedding_model(
    ...     km.models.small_cnn(embedding_dim=16, input_shape=info.input_shape),
    ...     km.losses.TripletMarginLoss(margin=0.1, miner="batch_hard"), batches, val, train,
    ...     info.num_classes, epochs=2, patience=5)
    >>> classifier = model.classifier(train, info.num_classes)
    """
    patience = _check_recipe(learning_rate_schedule, patience, validation)
    callbacks = list(callbacks or [])
    if validation is not None:
        # First: the callbacks after it read the accuracy it writes.
        callbacks.insert(0, ClassMeanValidation(reference, validation, num_classes))
    return _fit(EmbeddingModel(backbone), keras.optimizers.Adam, dict(loss=loss), train, None,
                epochs, learning_rate, steps_per_epoch, verbose, callbacks, patience,
                learning_rate_schedule, tie_breaker=None)


def _check_recipe(learning_rate_schedule, patience, validation):
    """The checks of the arguments every recipe shares; returns `patience`, checked."""
    if learning_rate_schedule not in SCHEDULES:
        raise ValueError(f"`learning_rate_schedule` must be one of {', '.join(SCHEDULES)}; "
                         f"received {learning_rate_schedule!r}.")
    if patience is not None:
        patience = validation_lib.integer_at_least(patience, 1, "patience")
    if (patience is not None or learning_rate_schedule == "plateau") and validation is None:
        raise ValueError("Early stopping and the plateau schedule need `validation` data.")
    if learning_rate_schedule == "plateau" and patience is None:
        raise ValueError("`learning_rate_schedule='plateau'` needs `patience`.")
    return patience


def _fit(model, optimizer_class, compile_arguments, train, validation, epochs, learning_rate,
         steps_per_epoch, verbose, callbacks, patience, learning_rate_schedule,
         tie_breaker="val_loss"):
    """Compiles and fits `model` by the recipe's schedule and early-stopping rule;
    `validation` goes to `fit` (None when a callback validates). Returns `(model,
    history)` with `history.training_steps`."""
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
        best = BestValidation(monitor="val_accuracy", patience=patience, tie_breaker=tie_breaker)
        callbacks.append(best)
    model.compile(optimizer=optimizer_class(rate), **compile_arguments)
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


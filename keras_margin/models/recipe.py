"""The project's reference training recipe, shared by the CLI and the studies."""

import keras

from keras_margin.models.margin_model import MarginModel
from keras_margin.models.small_cnn import small_cnn
from keras_margin.optimizers.lazy_adam import LazyAdam


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
):
    """Trains `MarginModel(backbone, head)` with Adam whose rate decays along a cosine.

    A head that samples class centres (`sample_rate`) trains with `LazyAdam`, which
    updates only the sampled rows; Keras' `Adam` would rewrite all (C, D) centres and
    both moments every step and lose most of what sampling saves.

    The learning rate decays from `learning_rate` to 0 over all `epochs`: with a
    constant rate the batch-norm running statistics trail the still-moving weights, and
    validation accuracy jumps between epochs on small data.

    Args:
        backbone: a Keras model from inputs to embeddings.
        head: a `keras_margin.heads` layer.
        train: `tf.data.Dataset` of `(inputs, labels)` batches, finite.
        validation: dataset for `validation_data`, or None.
        epochs: training epochs.
        learning_rate: initial Adam learning rate.
        steps_per_epoch: optimizer steps per epoch. None means one pass over `train`;
            a number makes `train` repeat, so that an epoch is a fixed budget of steps
            (and validation runs every `steps_per_epoch` steps) whatever the data size.
        loss: the training loss; `"auto"` is `keras_margin.losses.CrossEntropy()`.
        verbose: Keras progress (0 silent, 1 bar, 2 a line per epoch).
        callbacks: optional Keras callbacks.

    Returns:
        `(model, history)`: the trained `MarginModel` and the `History` of `fit`.
    """
    model = MarginModel(backbone, head)
    if steps_per_epoch is not None:
        train = train.repeat()
    steps = epochs * (steps_per_epoch or max(int(train.cardinality()), 1))
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
    optimizer_class = LazyAdam if getattr(head, "sample_rate", None) else keras.optimizers.Adam
    model.compile(optimizer=optimizer_class(schedule), loss=loss, metrics=["accuracy"])
    # shuffle=False: the pipelines of keras_margin.data reshuffle every epoch themselves.
    history = model.fit(train, validation_data=validation, epochs=epochs, verbose=verbose,
                        steps_per_epoch=steps_per_epoch, shuffle=False, callbacks=callbacks)
    return model, history


def fit_small_cnn(train, validation, head, input_shape, embedding_dim=64, **fit_arguments):
    """`fit_margin_model` with a fresh `small_cnn(embedding_dim, input_shape)` backbone.

    Args:
        train, validation, head: as in `fit_margin_model`.
        input_shape: `(height, width, channels)` of the images.
        embedding_dim: size of the embedding the head receives.
        **fit_arguments: `epochs`, `learning_rate`, `steps_per_epoch`, `loss`,
            `verbose`, `callbacks` of `fit_margin_model`.

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

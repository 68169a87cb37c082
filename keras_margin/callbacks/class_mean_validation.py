"""`ClassMeanValidation`: validation accuracy for a model that outputs embeddings."""

import keras
import numpy as np

from keras_margin.metrics.class_means import nearest_class_mean_accuracy


class ClassMeanValidation(keras.callbacks.Callback):
    """Writes `val_accuracy` for a model trained with a loss on embeddings.

    Such a model (`keras_margin.models.EmbeddingModel` with a triplet, contrastive, ...
    loss) has no classifier, so Keras has no validation accuracy to report, and its
    validation loss on ordinary batches means little (few positive pairs). After each
    epoch this callback embeds `reference` and `validation` with the model (inference
    mode), classifies the validation embeddings by the nearest class mean of the
    reference ones (`keras_margin.metrics.nearest_class_mean_accuracy`) and puts the
    accuracy in the epoch's logs as `val_accuracy`. Callbacks after it in the list, such
    as `BestValidation(monitor="val_accuracy", tie_breaker=None)` or
    `ReduceLROnPlateau`, then read it as they would a classifier's.

    Args:
        reference: a `tf.data.Dataset` (or iterable) of `(inputs, labels)` batches whose
            embeddings give the class means, usually the training split without
            augmentation.
        validation: batches of `(inputs, labels)` to classify.
        num_classes: number of classes; `reference` must hold every one.

    Example:

    >>> import keras_margin as km
    >>> train, val, test, info = km.data.load("digits", samples_per_class=10, with_info=True)
    >>> check = km.callbacks.ClassMeanValidation(train, val, info.num_classes)
    >>> stopper = km.callbacks.BestValidation(patience=3, tie_breaker=None)
    >>> # embedding_model.fit(pk_batches, epochs=50, callbacks=[check, stopper])
    """

    def __init__(self, reference, validation, num_classes):
        super().__init__()
        self.reference = reference
        self.validation = validation
        self.num_classes = int(num_classes)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        reference, reference_labels = self._embed(self.reference)
        embeddings, labels = self._embed(self.validation)
        logs["val_accuracy"] = nearest_class_mean_accuracy(
            reference, reference_labels, embeddings, labels, self.num_classes)

    def _embed(self, batches):
        # Direct calls: `predict` would trace a function of its own for every model.
        embeddings, labels = [], []
        for inputs, batch_labels in batches:
            embeddings.append(np.asarray(keras.ops.convert_to_numpy(self.model(inputs, training=False)),
                                         np.float64))
            labels.append(np.asarray(batch_labels).reshape(-1))
        return np.concatenate(embeddings), np.concatenate(labels)

"""`AugmentationCheck`: log affinity and diversity every epoch, to spot over-augmentation."""

import keras

from keras_margin.metrics.augmentation import augmentation_affinity
from keras_margin.metrics.augmentation import augmentation_diversity
from keras_margin.utils import validation


class AugmentationCheck(keras.callbacks.Callback):
    """Adds `affinity` and `diversity` to the epoch logs (and so to `History`).

    - `affinity`: accuracy on `validation_data` augmented / on it clean.
    - `diversity`: loss on `train_sample` augmented / on it clean, with the current
      model (the one-model proxy of `keras_margin.metrics.augmentation_diversity`).

    Signs of over-augmentation: affinity falling well below 1 (augmented images no
    longer look like the classes) while the clean validation accuracy stops
    improving; diversity far above 1 with a training loss that does not come down.
    Both run in inference mode and update no state; each costs a pass over its data
    per measured epoch, so give small sets and, if needed, `every` > 1.

    Args:
        augment: the training augmentation, `(images, labels) -> (images, labels)`.
        validation_data: batched `(images, labels)` dataset for affinity, or None.
        train_sample: batched clean training batches for diversity, or None.
        every: measure every `every` epochs (default 1).

    Example:

    >>> import keras_margin as km
    >>> train, val, test = km.data.load("digits", samples_per_class=20)
    >>> check = km.callbacks.AugmentationCheck(
    ...     km.augment.image.policy("standard"), validation_data=val, train_sample=train.take(2))
    >>> # history = model.fit(train.map(augment), callbacks=[check]); history.history["affinity"]

    References:
        - Gontijo-Lopes, Smullin, Cubuk, Dyer. "Tradeoffs in Data Augmentation: An
          Empirical Study", ICLR 2021. https://openreview.net/forum?id=ZcKPWuhG6wy
    """

    def __init__(self, augment, validation_data=None, train_sample=None, every=1):
        super().__init__()
        if not callable(augment):
            raise ValueError(f"`augment` must be callable; received {augment!r}.")
        if validation_data is None and train_sample is None:
            raise ValueError("Give `validation_data` (affinity), `train_sample` (diversity) or both.")
        self.augment = augment
        self.validation_data = validation_data
        self.train_sample = train_sample
        self.every = validation.integer_at_least(every, 1, "every")

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or (epoch + 1) % self.every:
            return
        if self.validation_data is not None:
            logs["affinity"] = augmentation_affinity(self.model, self.validation_data, self.augment)
        if self.train_sample is not None:
            logs["diversity"] = augmentation_diversity(self.model, self.train_sample, self.augment)

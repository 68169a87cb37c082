"""`DeferredReweighting`: LDAM's DRW schedule, class-balanced loss weights after epoch E."""

import keras
import numpy as np

from keras_margin.data.imbalance import class_weights
from keras_margin.utils import validation


class DeferredReweighting(keras.callbacks.Callback):
    """Switches the per-class loss weights to class-balanced ones at `start_epoch`.

    Before `start_epoch` every class weighs 1: the model first learns features from
    the imbalanced data as it is. From `start_epoch` on (0-based, as Keras counts
    epochs) class j weighs by the inverse of its effective number of samples,

        w_j = (1 - beta) / (1 - beta ** n_j),  normalised so that sum_j w_j = C,

    which is the deferred re-weighting (DRW) that the LDAM paper pairs with its margin.

    The weights live in `class_weights`, a non-trainable `keras.Variable` that this
    callback writes at the start of every epoch and that the loss reads at every
    step: pass it to `keras_margin.losses.CrossEntropy(class_weights=...)`. The data
    flows one way (callback -> variable -> loss); the compiled train step stays
    compiled on TensorFlow, where the step reads the variable. Backends that fold
    captured values into the compiled step (JAX) get the step rebuilt once, when the
    weights change.

    Args:
        class_counts: training samples per class, a sequence of at least 2 positive
            integers.
        start_epoch: the first epoch with class-balanced weights, an integer >= 0
            (default 160, the paper's CIFAR schedule of 200 epochs).
        beta: the effective-number hyper-parameter, in [0, 1) (default 0.9999; 0
            gives equal weights).

    Example:

    >>> import keras_margin as km
    >>> counts = [500, 100, 20, 4]
    >>> drw = km.callbacks.DeferredReweighting(counts, start_epoch=2)
    >>> loss = km.losses.CrossEntropy(class_weights=drw.class_weights)
    >>> head = km.heads.LDAM(counts)
    >>> # model = km.MarginModel(backbone, head); model.compile(loss=loss)
    >>> # model.fit(train, epochs=4, callbacks=[drw])
    >>> [round(float(w), 3) for w in drw.weights_for_epoch(2)]
    [0.026, 0.129, 0.641, 3.204]

    References:
        - Cao, Wei, Gaidon, Arechiga, Ma. "Learning Imbalanced Datasets with
          Label-Distribution-Aware Margin Loss", NeurIPS 2019, section 3.2.
          https://arxiv.org/abs/1906.07413
        - Cui, Jia, Lin, Song, Belongie. "Class-Balanced Loss Based on Effective Number
          of Samples", CVPR 2019. https://arxiv.org/abs/1901.05555
    """

    def __init__(self, class_counts, start_epoch=160, beta=0.9999):
        super().__init__()
        self.class_counts = validation.class_counts(class_counts, "class_counts")
        self.start_epoch = validation.integer_at_least(start_epoch, 0, "start_epoch")
        self.beta = validation.number_in_range(beta, "beta", 0.0, 1.0, high_open=True)
        self.class_weights = keras.Variable(
            np.ones(len(self.class_counts), "float32"),
            trainable=False,
            dtype="float32",
            name="deferred_class_weights",
        )

    def weights_for_epoch(self, epoch):
        """The (num_classes,) float32 weights used during `epoch` (0-based)."""
        if epoch < self.start_epoch:
            return np.ones(len(self.class_counts), "float32")
        return class_weights(self.class_counts, kind="effective_number", beta=self.beta)

    def on_epoch_begin(self, epoch, logs=None):
        weights = self.weights_for_epoch(epoch)
        if np.array_equal(weights, np.asarray(self.class_weights)):
            return
        self.class_weights.assign(weights)
        if keras.backend.backend() != "tensorflow" and getattr(self.model, "train_function", None):
            self.model.make_train_function(force=True)

"""`SupCon`: supervised contrastive pre-training, SimCLR with the labels' positives."""

import keras
from keras import ops

from keras_margin.losses.supcon import SupConLoss
from keras_margin.ssl.simclr import SimCLR


@keras.saving.register_keras_serializable(package="keras_margin")
class SupCon(SimCLR):
    """Supervised contrastive learning: `SimCLR` whose positives are the same class.

    Everything is `SimCLR`'s (backbone, Dense-ReLU-Dense projection head, two views per
    example from `keras_margin.ssl.two_views`, `model.backbone` kept for downstream
    use) except the loss: `keras_margin.losses.SupConLoss(temperature)` on the 2B
    projections, each view labelled with its example's class, so every view of the
    same class in the batch is a positive (Khosla et al.'s `L_out`). It therefore
    trains on labelled batches, `two_views(train, augment, seed)` with `train`
    yielding `(images, labels)`; batches of several examples per class
    (`keras_margin.data.pk_batches`) give more positives.

    Args:
        backbone, projection_dim, hidden_dim, temperature, **kwargs: as `SimCLR`
            (temperature 0.1 is also Khosla et al.'s).

    Example:

    >>> import numpy as np, tensorflow as tf, keras_margin as km
    >>> images = np.random.default_rng(0).uniform(0, 255, (16, 8, 8, 1)).astype("float32")
    >>> labels = np.arange(16) % 4
    >>> train = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)
    >>> views = km.ssl.two_views(train, km.augment.image.policy("light"), seed=0)
    >>> backbone = km.models.small_cnn(embedding_dim=16, input_shape=(8, 8, 1), width=4)
    >>> model = km.ssl.SupCon(backbone, projection_dim=8)
    >>> model.compile(optimizer="adam")
    >>> history = model.fit(views, epochs=1, verbose=0)
    >>> sorted(history.history)
    ['loss']

    References:
        - Khosla, Teterwak, Sarna, Tian, Isola, Maschinot, Liu, Krishnan. "Supervised
          Contrastive Learning", NeurIPS 2020. https://arxiv.org/abs/2004.11362
        - Chen, Kornblith, Norouzi, Hinton. "A Simple Framework for Contrastive
          Learning of Visual Representations", ICML 2020.
          https://arxiv.org/abs/2002.05709
    """

    loss_class = SupConLoss

    def view_labels(self, projections, labels=None):
        if labels is None:
            raise ValueError(
                "SupCon trains on labelled batches: map a dataset of (inputs, labels) with "
                "`keras_margin.ssl.two_views`. For unlabelled data use SimCLR."
            )
        labels = ops.reshape(labels, (-1,))
        return ops.concatenate([labels, labels], axis=0)

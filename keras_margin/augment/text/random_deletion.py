"""`RandomDeletion`: drop each word with probability p (EDA's random deletion)."""

import keras
import tensorflow as tf

from keras_margin.augment.text import _ops
from keras_margin.augment.text.base import TextAugmentation
from keras_margin.augment.text.base import check_fraction


@keras.saving.register_keras_serializable(package="keras_margin")
class RandomDeletion(TextAugmentation):
    """Deletes each word of each text independently with probability `p`.

    A text never loses all its words: when every word was drawn for deletion, one
    random word stays (as in Wei & Zou's implementation); a one-word text is kept.
    See `TextAugmentation` for input shapes, seeds and `training=False`.

    Args:
        p: the deletion probability per word, in [0, 1] (Wei & Zou's p_rd).
        seed: an integer >= 0 or None; seeds the layer's generator, used when no
            per-call `seed` tensor is given.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for `p` outside [0, 1] or a bad `seed`.

    Example:

    >>> import tensorflow as tf
    >>> from keras_margin.augment.text import RandomDeletion
    >>> out = RandomDeletion(p=1.0)(tf.constant(["only one word survives"]))
    >>> len(out.numpy()[0].split())
    1

    References:
        Wei & Zou, "EDA: Easy Data Augmentation Techniques for Boosting Performance
        on Text Classification Tasks", EMNLP-IJCNLP 2019, arXiv:1901.11196.
    """

    def __init__(self, p=0.1, seed=None, **kwargs):
        self.p = check_fraction(p, "p")
        super().__init__(seed=seed, **kwargs)

    def augment_words(self, tokens, seeds, texts):
        probability = tf.fill(tf.shape(tokens.row_lengths()), self.p)
        return _ops.delete(tokens, probability, seeds)

    def get_config(self):
        config = super().get_config()
        config["p"] = self.p
        return config

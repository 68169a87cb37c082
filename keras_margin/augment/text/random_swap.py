"""`RandomSwap`: swap two random words, n times (EDA's random swap)."""

import keras

from keras_margin.augment.text import _ops
from keras_margin.augment.text.base import TextAugmentation
from keras_margin.augment.text.base import check_fraction


@keras.saving.register_keras_serializable(package="keras_margin")
class RandomSwap(TextAugmentation):
    """Swaps two different random words of each text, `n = max(1, int(alpha * words))`
    times in sequence.

    The multiset of words never changes, only their order. Texts of one word come
    back unchanged (words re-joined by single spaces, as for every augmented text).
    See `TextAugmentation` for input shapes, seeds and `training=False`.

    Args:
        alpha: the fraction of words swapped, in [0, 1] (Wei & Zou's α_rs).
        seed: an integer >= 0 or None; seeds the layer's generator, used when no
            per-call `seed` tensor is given.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for `alpha` outside [0, 1] or a bad `seed`.

    Example:

    >>> import tensorflow as tf
    >>> from keras_margin.augment.text import RandomSwap
    >>> layer = RandomSwap(alpha=0.2)
    >>> out = layer(tf.constant(["the quick brown fox jumps"]), seed=tf.constant([1, 2]))
    >>> sorted(out.numpy()[0].split()) == sorted(b"the quick brown fox jumps".split())
    True

    References:
        Wei & Zou, "EDA: Easy Data Augmentation Techniques for Boosting Performance
        on Text Classification Tasks", EMNLP-IJCNLP 2019, arXiv:1901.11196.
    """

    def __init__(self, alpha=0.1, seed=None, **kwargs):
        self.alpha = check_fraction(alpha, "alpha")
        super().__init__(seed=seed, **kwargs)

    def augment_words(self, tokens, seeds, texts):
        return _ops.swap(tokens, _ops.amounts(self.alpha, tokens.row_lengths()), seeds)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config

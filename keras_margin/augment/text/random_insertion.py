"""`RandomInsertion`: insert synonyms of random words at random places (EDA's RI)."""

import keras

from keras_margin.augment.text import _ops
from keras_margin.augment.text.base import SynonymEdit


@keras.saving.register_keras_serializable(package="keras_margin")
class RandomInsertion(SynonymEdit):
    """Inserts `n = max(1, int(alpha * words))` synonyms into each text.

    Each insertion takes a random candidate word of the text (one with synonyms that
    is not a stop word; drawn with replacement), a random synonym of it, and a random
    position (before, between or after the original words). A text without
    candidates is unchanged. All `n` positions are drawn among the original words'
    gaps, where Wei & Zou insert one word after another into the growing text; the
    distribution of the result differs only in where several insertions land
    relative to each other. See `TextAugmentation` for input shapes, seeds and
    `training=False`.

    Args:
        synonyms: the synonym source, as in `SynonymReplacement`.
        alpha: the fraction of words inserted, in [0, 1] (Wei & Zou's α_ri).
        stop_words: `"english"` (default), None, or a list of words never used as
            the source of an insertion.
        seed: an integer >= 0 or None; seeds the layer's generator, used when no
            per-call `seed` tensor is given.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for `alpha` outside [0, 1], a bad
            `stop_words`, `synonyms` or `seed`.
        FileNotFoundError: when WordNet is requested but not installed.

    Example:

    >>> import tensorflow as tf
    >>> from keras_margin.augment.text import RandomInsertion
    >>> layer = RandomInsertion({"film": ["movie"]}, alpha=0.3)
    >>> sorted(layer(tf.constant(["a good film"])).numpy()[0].split())
    [b'a', b'film', b'good', b'movie']

    References:
        Wei & Zou, "EDA: Easy Data Augmentation Techniques for Boosting Performance
        on Text Classification Tasks", EMNLP-IJCNLP 2019, arXiv:1901.11196.
    """

    edit = staticmethod(_ops.insert)

"""`SynonymReplacement`: replace n random non-stop words by a synonym (EDA's SR)."""

import keras

from keras_margin.augment.text import _ops
from keras_margin.augment.text.base import SynonymEdit


@keras.saving.register_keras_serializable(package="keras_margin")
class SynonymReplacement(SynonymEdit):
    """Replaces `n = max(1, int(alpha * words))` random words of each text by a random
    synonym from the table.

    Only words that have synonyms and are not stop words are candidates (looked up
    lower-cased, without surrounding ASCII punctuation, which stays around the
    replacement). Every chosen position gets its own random synonym; Wei & Zou's
    implementation instead replaces every occurrence of a chosen word by the same
    synonym. A text with fewer candidates than `n` has all of them replaced.
    See `TextAugmentation` for input shapes, seeds and `training=False`.

    Args:
        synonyms: the synonym source: None or `"wordnet"` (WordNet 3.0 from the
            Debian package `wordnet-base`), a dict `{word: [synonyms]}`, a TSV file
            (`word<TAB>synonym<TAB>...`), a WordNet folder, or a `SynonymTable`.
        alpha: the fraction of words replaced, in [0, 1] (Wei & Zou's α_sr).
        stop_words: `"english"` (default, `stop_words.ENGLISH`), None, or a list of
            words that are never replaced.
        seed: an integer >= 0 or None; seeds the layer's generator, used when no
            per-call `seed` tensor is given.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for `alpha` outside [0, 1], a bad
            `stop_words`, `synonyms` or `seed`.
        FileNotFoundError: when WordNet is requested but not installed (a
            `keras_margin.data.DatasetNotFoundError`; one line naming the package).

    Example:

    >>> import tensorflow as tf
    >>> from keras_margin.augment.text import SynonymReplacement
    >>> layer = SynonymReplacement({"film": ["movie"]}, alpha=0.5)
    >>> layer(tf.constant(["a good film."])).numpy()[0]
    b'a good movie.'

    References:
        Wei & Zou, "EDA: Easy Data Augmentation Techniques for Boosting Performance
        on Text Classification Tasks", EMNLP-IJCNLP 2019, arXiv:1901.11196.
    """

    edit = staticmethod(_ops.replace)

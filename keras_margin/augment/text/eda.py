"""`EDA`: one of synonym replacement, insertion, swap and deletion per text."""

import keras
import tensorflow as tf

from keras_margin.augment.text import _ops
from keras_margin.augment.text import _random
from keras_margin.augment.text.base import SynonymAugmentation
from keras_margin.augment.text.base import check_fraction

# Operation ids, in the order Wei & Zou list them.
_SR, _RI, _RS, _RD = 0, 1, 2, 3


@keras.saving.register_keras_serializable(package="keras_margin")
class EDA(SynonymAugmentation):
    """Easy Data Augmentation: each text gets one of four operations, drawn uniformly.

    The operations (n = max(1, int(α · words)) for a text of `words` words):

    - synonym replacement (SR): n random non-stop words get a random synonym;
    - random insertion (RI): n synonyms of random non-stop words are inserted at
      random positions;
    - random swap (RS): two random words are swapped, n times;
    - random deletion (RD): every word is deleted with probability `p_rd` (at
      least one word stays).

    An operation whose parameter is 0 is never drawn; the others are equally likely,
    as in Wei & Zou, who generate `num_aug / 4` sentences per operation. With
    `alpha_sr = alpha_ri = 0` no synonym table is needed (and `synonyms` is ignored).
    Wei & Zou's `num_aug` (augmented copies per original sentence) belongs to the
    pipeline, not the layer: `seeded_map(dataset, eda, seed, num_aug=16)` turns each
    batch into the originals plus 16 augmented copies of each.

    The whole batch is augmented with vectorised `tf.strings` / ragged ops (the texts
    are grouped by the operation they drew, each operation runs once over its group),
    so it belongs after `batch()` in a `tf.data` pipeline. See
    `TextAugmentation` for input shapes, seeds, UTF-8 handling and `training=False`;
    `SynonymReplacement` and `RandomInsertion` for how the words are looked up.

    Args:
        synonyms: the synonym source (see `SynonymReplacement`); default WordNet 3.0.
        alpha_sr: fraction of words replaced by SR, in [0, 1].
        alpha_ri: fraction of words inserted by RI, in [0, 1].
        alpha_rs: fraction of words swapped by RS, in [0, 1].
        p_rd: deletion probability of RD, in [0, 1].
        stop_words: `"english"` (default), None, or a list of words that SR never
            replaces and RI never takes synonyms of.
        seed: an integer >= 0 or None; seeds the layer's generator, used when no
            per-call `seed` tensor is given.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a parameter outside [0, 1], all four
            zero, a bad `stop_words`, `synonyms` or `seed`.
        FileNotFoundError: when WordNet is requested (`synonyms=None` with `alpha_sr`
            or `alpha_ri` > 0) but not installed; the one-line message names the
            Debian package `wordnet-base` and the `synonyms=` alternatives.

    Example:

    >>> import tensorflow as tf
    >>> from keras_margin.augment.text import EDA, seeded_map
    >>> eda = EDA(synonyms={"good": ["fine", "nice"]}, alpha_sr=0.05, alpha_ri=0.05,
    ...           alpha_rs=0.05, p_rd=0.05)
    >>> texts = tf.data.Dataset.from_tensor_slices(["a good film", "not my taste"])
    >>> augmented = seeded_map(texts.batch(2), eda, seed=0)
    >>> [tuple(batch.shape) for batch in augmented]
    [(2,)]

    References:
        Wei & Zou, "EDA: Easy Data Augmentation Techniques for Boosting Performance
        on Text Classification Tasks", EMNLP-IJCNLP 2019, arXiv:1901.11196.
    """

    def __init__(
        self,
        synonyms=None,
        alpha_sr=0.1,
        alpha_ri=0.1,
        alpha_rs=0.1,
        p_rd=0.1,
        stop_words="english",
        seed=None,
        **kwargs,
    ):
        self.alpha_sr = check_fraction(alpha_sr, "alpha_sr")
        self.alpha_ri = check_fraction(alpha_ri, "alpha_ri")
        self.alpha_rs = check_fraction(alpha_rs, "alpha_rs")
        self.p_rd = check_fraction(p_rd, "p_rd")
        parameters = (self.alpha_sr, self.alpha_ri, self.alpha_rs, self.p_rd)
        self.operations = tuple(op for op, value in enumerate(parameters) if value > 0)
        if not self.operations:
            raise ValueError(
                "At least one of `alpha_sr`, `alpha_ri`, `alpha_rs`, `p_rd` must be > 0; "
                "received all 0."
            )
        super().__init__(
            synonyms=synonyms,
            stop_words=stop_words,
            seed=seed,
            uses_synonyms=self.alpha_sr > 0 or self.alpha_ri > 0,
            **kwargs,
        )

    def augment_texts(self, texts, seeds):
        draw = _random.index_below(
            _random.uniform(seeds, _random.STREAM_OPERATION, 0),
            tf.constant(len(self.operations), tf.int64),
        )
        operation = tf.gather(tf.constant(self.operations, tf.int64), draw)
        # Each operation runs on its own rows only (about a quarter of the batch), so
        # the batch costs one pass of work, not four. The rows are grouped as strings
        # and split per group: gathering rows of a ragged tensor of words costs more,
        # inside tf.data, than the operations themselves.
        row_groups, outputs = [], []
        for op in self.operations:
            rows = tf.where(operation == op)[:, 0]
            group_texts = tf.gather(texts, rows)
            group_seeds = tf.gather(seeds, rows)
            words = _ops.split_words(group_texts)
            lengths = words.row_lengths()
            if op == _RD:
                probability = tf.fill(tf.shape(lengths), self.p_rd)
                words = _ops.delete(words, probability, group_seeds)
            elif op == _RS:
                words = _ops.swap(words, _ops.amounts(self.alpha_rs, lengths), group_seeds)
            else:
                line_numbers, eligible = self.candidates(group_texts, words)
                operate = _ops.replace if op == _SR else _ops.insert
                alpha = self.alpha_sr if op == _SR else self.alpha_ri
                words = operate(
                    words, _ops.amounts(alpha, lengths), group_seeds, self._lookup,
                    line_numbers, eligible,
                )
            row_groups.append(rows)
            outputs.append(_ops.join_words(words))
        order = tf.math.invert_permutation(tf.concat(row_groups, axis=0))
        return tf.gather(tf.concat(outputs, axis=0), order)

    def get_config(self):
        config = super().get_config()
        config.update(
            alpha_sr=self.alpha_sr,
            alpha_ri=self.alpha_ri,
            alpha_rs=self.alpha_rs,
            p_rd=self.p_rd,
        )
        return config

"""`TextAugmentation`: the base layer of the EDA family (input handling and seeds).

It is an `AugmentationLayer`, like the image and audio layers: the same training-flag
handling and the same randomness rule (stateless draws from a per-call seed, which
`keras_margin.augment.seeded_map` supplies per dataset element).
"""

import os

import tensorflow as tf

from keras_margin.augment.augmentation_layer import AugmentationLayer
from keras_margin.augment.text import _ops
from keras_margin.augment.text import _random
from keras_margin.augment.text import stop_words as stop_word_lists
from keras_margin.augment.text.synonyms import SynonymTable
from keras_margin.augment.text.synonyms import lookup_form
from keras_margin.utils import validation


class TextAugmentation(AugmentationLayer):
    """Base class: turns any string input into words, augments them, joins them back.

    Subclasses implement `augment_words(tokens, seeds)` on a ragged (N, None) batch of
    words with per-row uint32 seeds (N, 2). This class handles:

    - input of any shape: a scalar string, a batch `(batch,)`, any dense string tensor
      (each element is one text) or a `tf.RaggedTensor` of strings;
    - `training=False`: the input comes back unchanged (same object); called directly
      the layer augments, inside a model it follows the model (`AugmentationLayer`);
    - UTF-8: words are split at ASCII whitespace only and the operations move, drop
      or replace whole words, so no multi-byte character is ever cut and valid UTF-8
      in gives valid UTF-8 out (synonyms come from the table, checked when it is
      built). Bytes that are not valid UTF-8 are never created, only carried along
      inside their word. Augmented texts have their words joined by single spaces; a
      text without words (empty or blank) comes back unchanged.
    - seeds: `layer(texts, seed=s)` with `s` an integer tensor of shape (2,) makes the
      output a pure function of `(texts, s, layer.seed)` (the package's rule, see
      `AugmentationLayer`; each text's draws come from the layer seed and the text's
      position), whatever `tf.data` parallelism runs it. An (N, 2) `s` gives each of
      the N texts its own seed, used as it is, so a text's output does not depend on
      the rest of the batch. Without `seed`, each call draws one from the layer's
      generator (reproducible only when calls run one after another).
      `seeded_map` feeds per-element seeds from a dataset.

    Requires the TensorFlow backend's ops (`tf.strings`, `tf.lookup`), like Keras'
    `TextVectorization`; it runs inside `tf.data` whatever the Keras backend is.
    """

    def __init__(self, seed=None, **kwargs):
        kwargs.setdefault("trainable", False)
        super().__init__(seed=seed, **kwargs)
        self.built = True

    def call(self, inputs, training=None, seed=None):
        if training and seed is not None:
            seed = tf.convert_to_tensor(seed)
            if seed.shape.rank == 2:
                # One seed per text, taken as it is.
                return self.augment(inputs, seed)
        return super().call(inputs, training=training, seed=seed)

    def augment(self, inputs, seed):
        if isinstance(inputs, tf.RaggedTensor):
            return inputs.with_flat_values(self._augment_texts(inputs.flat_values, seed))
        inputs = tf.convert_to_tensor(inputs)
        if inputs.dtype != tf.string:
            raise ValueError(
                f"{type(self).__name__} expects tf.string input; received {inputs.dtype.name}."
            )
        flat = tf.reshape(inputs, [-1])
        outputs = tf.reshape(self._augment_texts(flat, seed), tf.shape(inputs))
        outputs.set_shape(inputs.shape)
        return outputs

    def _augment_texts(self, texts, seed):
        seeds = _random.row_seeds(seed, tf.size(texts, out_type=tf.int64))
        augmented = self.augment_texts(texts, seeds)
        # A text without words comes back as it was, not as "".
        has_words = tf.strings.length(tf.strings.strip(texts)) > 0
        return tf.where(has_words, augmented, texts)

    def augment_texts(self, texts, seeds):
        """Augments (N,) texts with per-row seeds (N, 2) uint32; by default splits
        them into words, calls `augment_words` and joins the words again."""
        tokens = _ops.split_words(texts)
        return _ops.join_words(self.augment_words(tokens, seeds, texts))

    def augment_words(self, tokens, seeds, texts):
        """Augments ragged (N, None) words with per-row seeds (N, 2) uint32; `texts`
        (N,) are the texts the words were split from."""
        raise NotImplementedError


class SynonymAugmentation(TextAugmentation):
    """Base of the layers that read a synonym table and a stop-word list.

    The table is built when the layer is built from its `synonyms` argument (see
    `SynonymTable.resolve`); `get_config` stores the path of its canonical TSV file,
    and `.keras` archives carry the file itself (`save_assets` / `load_assets`), so a
    saved layer loads on a machine without WordNet.
    """

    def __init__(self, synonyms=None, stop_words="english", seed=None, uses_synonyms=True, **kwargs):
        self._deferred = kwargs.pop("_deferred_synonyms", False)
        super().__init__(seed=seed, **kwargs)
        self.stop_words = _stop_words(stop_words)
        self.synonym_table = None
        self._stop_table = None
        if self.stop_words:
            keys = sorted({lookup_form(word) for word in self.stop_words})
            self._stop_table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(
                    tf.constant(keys), tf.ones([len(keys)], tf.int64)
                ),
                default_value=0,
            )
        self._lookup = None
        if uses_synonyms and not self._deferred:
            self._set_table(SynonymTable.resolve(synonyms))

    def _set_table(self, table):
        self.synonym_table = table
        # Attributes, so that Keras / tf.saved_model track the tables (and the file
        # behind them becomes an asset of an export).
        self._line_numbers, self._lines = table.lookup_tables()
        self._lookup = _ops.SynonymLookup(self._line_numbers, self._lines, self._stop_table)

    def candidates(self, texts, tokens):
        """Line numbers and eligibility of every word (see `_ops.SynonymLookup`)."""
        if self._lookup is None:
            raise ValueError(
                f"{type(self).__name__} has no synonym table: its saved TSV file was not "
                "found; load it from a .keras archive or pass `synonyms=`."
            )
        return self._lookup.candidates(texts, tokens)

    def get_config(self):
        config = super().get_config()
        config["synonyms"] = None if self.synonym_table is None else self.synonym_table.path
        config["stop_words"] = list(self.stop_words)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        path = config.get("synonyms")
        if isinstance(path, str) and not os.path.isfile(path):
            # Another machine: the table arrives with `load_assets`.
            config["_deferred_synonyms"] = True
        return cls(**config)

    def save_assets(self, dir_path):
        if self.synonym_table is not None:
            with open(self.synonym_table.path, "rb") as source:
                content = source.read()
            with open(f"{dir_path}/synonyms.tsv", "wb") as target:
                target.write(content)

    def load_assets(self, dir_path):
        path = os.path.join(dir_path, "synonyms.tsv")
        if os.path.isfile(path):
            # Copied to the cache folder: the archive's temporary folder is deleted
            # after loading, and an export of the layer needs the file.
            self._set_table(SynonymTable.from_tsv(path))
            self._deferred = False


class SynonymEdit(SynonymAugmentation):
    """Base of `SynonymReplacement` and `RandomInsertion`: `n = max(1, int(alpha *
    words))` edits per text, each made from a candidate word's synonyms.

    Subclasses set `edit` to the batch operation (`_ops.replace` or `_ops.insert`),
    called as `edit(tokens, counts, seeds, lookup, line_numbers, eligible)`.
    """

    edit = None

    def __init__(self, synonyms=None, alpha=0.1, stop_words="english", seed=None, **kwargs):
        self.alpha = check_fraction(alpha, "alpha")
        super().__init__(synonyms=synonyms, stop_words=stop_words, seed=seed, **kwargs)

    def augment_words(self, tokens, seeds, texts):
        line_numbers, eligible = self.candidates(texts, tokens)
        counts = _ops.amounts(self.alpha, tokens.row_lengths())
        return self.edit(tokens, counts, seeds, self._lookup, line_numbers, eligible)

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


def check_fraction(value, name):
    """A number in [0, 1], returned as float; the error names `name`."""
    return validation.number_in_range(value, name, low=0.0, high=1.0)


def _stop_words(value):
    if value is None:
        return ()
    if isinstance(value, str):
        if value.lower() == "english":
            return stop_word_lists.ENGLISH
        raise ValueError(
            "`stop_words` must be 'english', None or a list of words; "
            f"received {value!r}."
        )
    try:
        words = tuple(value)
    except TypeError:
        raise ValueError(
            f"`stop_words` must be 'english', None or a list of words; received {value!r}."
        ) from None
    if not all(isinstance(word, str) for word in words):
        raise ValueError(f"`stop_words` must hold strings only; received {value!r}.")
    return tuple(sorted(set(words)))


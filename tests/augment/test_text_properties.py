"""Property tests on random Unicode text: valid UTF-8 out, never a crash."""

import re

import hypothesis
import tensorflow as tf
from hypothesis import strategies as st

from keras_margin.augment import text

SYNONYMS = {"a": ["α", "ä ö"], "日本": ["にほん"], "x": ["y z"]}
LAYERS = [
    text.RandomSwap(alpha=0.5),
    text.RandomDeletion(p=0.5),
    text.SynonymReplacement(SYNONYMS, alpha=0.5, stop_words=None),
    text.RandomInsertion(SYNONYMS, alpha=0.5, stop_words=None),
    text.EDA(SYNONYMS, alpha_sr=0.5, alpha_ri=0.5, alpha_rs=0.5, p_rd=0.5),
]
# Letters from many scripts, emoji, combining marks and every kind of whitespace,
# with the words of the table mixed in so the synonym operations fire.
pieces = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
    st.sampled_from(["a", "日本", "x", " ", "\t", "\n", "\u00a0", "\u3000", "\x0b", ",", "é"]),
)
texts = st.lists(st.lists(pieces, max_size=12).map("".join), min_size=1, max_size=6)


# Traced once per layer: eager op-by-op execution would make the test slow.
FUNCTIONS = [
    tf.function(
        lambda texts, seed, layer=layer: layer(texts, seed=seed),
        input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([2], tf.int64)],
    )
    for layer in LAYERS
]


@hypothesis.settings(max_examples=40, deadline=None, derandomize=True)
@hypothesis.given(texts=texts, seed=st.integers(0, 2**31 - 1))
def test_valid_utf8_in_valid_utf8_out_and_words_preserved(texts, seed):
    batch = tf.constant([t.encode("utf-8") for t in texts])
    for layer, function in zip(LAYERS, FUNCTIONS):
        outputs = function(batch, tf.constant([seed, 1], tf.int64)).numpy()
        assert len(outputs) == len(texts)
        for original, output in zip(texts, outputs):
            decoded = output.decode("utf-8")  # raises on invalid UTF-8
            if not words(original):
                assert decoded == original  # no words: unchanged
            elif isinstance(layer, text.RandomSwap):
                assert sorted(words(decoded)) == sorted(words(original))
            elif isinstance(layer, text.RandomDeletion):
                assert 1 <= len(words(decoded)) <= len(words(original))


def words(value):
    # The layers split at ASCII whitespace only; U+00A0 and U+3000 stay inside words.
    return [word for word in re.split(r"[ \t\n\r\x0b\x0c]+", value) if word]

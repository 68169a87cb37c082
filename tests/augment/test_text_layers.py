"""The EDA-family layers on real sentences: invariants, shapes, config, errors."""

import collections
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from keras_margin.augment import text

# Real sentences: Amazon food reviews of modeldata and Debian fortunes, verbatim.
SENTENCES = [
    "These are the best tasting gummy fruits I have ever eaten.",
    "this stuff is  not stuffing  its  not good at all  save your money",
    "The sours came all stuck together so that you had to peel away the wrapper.",
    "A fool and his money are soon parted.",
    "Never eat more than you can lift.",
    "Good coffee, good price, fast delivery -- would buy again!",
    "Computers are useless.  They can only give you answers.",
    "Life is what happens to you while you're busy making other plans.",
]
SYNONYMS = {
    "good": ["fine", "nice"],
    "money": ["cash"],
    "coffee": ["java"],
    "fast": ["quick", "speedy"],
    "eat": ["consume"],
    "fool": ["idiot"],
    "price": ["cost"],
    "answers": ["replies"],
    "the": ["ze"],  # a stop word: must never be replaced
}
SEED = tf.constant([7, 11])


def words(value):
    return value.decode("utf-8").split()


def run(layer, texts=SENTENCES, seed=SEED):
    return [v for v in layer(tf.constant(texts), seed=seed).numpy()]


def test_swap_keeps_the_multiset_of_words_and_changes_the_order():
    outputs = run(text.RandomSwap(alpha=0.3))
    changed = 0
    for sentence, output in zip(SENTENCES, outputs):
        assert collections.Counter(words(output)) == collections.Counter(sentence.split())
        changed += words(output) != sentence.split()
    assert changed == len(SENTENCES)  # every sentence has >= 2 different words


def test_deletion_keeps_an_ordered_subsequence_with_at_least_one_word():
    for p in (0.3, 1.0):
        for sentence, output in zip(SENTENCES, run(text.RandomDeletion(p=p))):
            kept = iter(sentence.split())
            assert all(word in kept for word in words(output))  # order kept
            assert len(words(output)) >= 1
    assert [len(words(o)) for o in run(text.RandomDeletion(p=1.0))] == [1] * len(SENTENCES)
    assert run(text.RandomDeletion(p=0.0)) == [" ".join(s.split()).encode() for s in SENTENCES]


def test_replacement_uses_only_table_synonyms_and_never_stop_words():
    layer = text.SynonymReplacement(SYNONYMS, alpha=1.0)
    replaced = 0
    for sentence, output in zip(SENTENCES, run(layer)):
        before, after = sentence.split(), words(output)
        assert len(before) == len(after)
        for old, new in zip(before, after):
            if old == new:
                continue
            replaced += 1
            core = old.strip(".,!-'")
            assert core.lower() in SYNONYMS and core.lower() != "the"
            assert new.replace(core, "", 1) == old.replace(core, "", 1) or any(
                new.startswith(s) or s in new for s in SYNONYMS[core.lower()]
            )
            assert new.strip(".,!-'") in SYNONYMS[core.lower()]
    assert replaced >= 8
    assert all(b"ze" not in output.split() for output in run(layer))


def test_replacement_keeps_punctuation_around_the_word():
    layer = text.SynonymReplacement({"coffee": ["java"], "price": ["cost"]}, alpha=1.0)
    assert run(layer, ["Good coffee, good price!"]) == [b"Good java, good cost!"]


def test_custom_stop_words_are_never_replaced():
    layer = text.SynonymReplacement(SYNONYMS, alpha=1.0, stop_words=["good", "money"])
    for output in run(layer):
        assert b"fine" not in output and b"nice" not in output and b"cash" not in output


def test_insertion_adds_only_synonyms_of_words_of_the_sentence():
    layer = text.RandomInsertion(SYNONYMS, alpha=0.5)
    for sentence, output in zip(SENTENCES, run(layer)):
        original = sentence.split()
        candidates = {w.strip(".,!-'").lower() for w in original} & set(SYNONYMS) - {"the"}
        allowed = {s for c in candidates for s in SYNONYMS[c]}
        counter = collections.Counter(words(output))
        counter.subtract(original)
        inserted = [w for w, n in counter.items() for _ in range(n) if n > 0]
        assert all(n >= 0 for n in counter.values())
        assert set(inserted) <= allowed
        expected = max(1, int(0.5 * len(original))) if candidates else 0
        assert len(inserted) == expected
        rest = iter(words(output))
        assert all(word in rest for word in original)  # originals keep their order


def test_eda_draws_each_enabled_operation_and_only_those():
    texts = SENTENCES * 25
    seeds = tf.stack([tf.range(200), tf.range(200) * 3], axis=1)
    eda = text.EDA(synonyms=SYNONYMS, alpha_sr=0.2, alpha_ri=0.0, alpha_rs=0.2, p_rd=0.3)
    outputs = eda(tf.constant(texts), seed=seeds).numpy()
    kinds = collections.Counter()
    for sentence, output in zip(texts, outputs):
        before, after = sentence.split(), words(output)
        if len(after) < len(before):
            kinds["delete"] += 1
        elif collections.Counter(after) == collections.Counter(before) and after != before:
            kinds["swap"] += 1
        elif len(after) == len(before) and after != before:
            kinds["replace"] += 1
        assert len(after) <= len(before)  # no insertion: alpha_ri=0
    assert kinds["swap"] > 30 and kinds["replace"] > 30 and kinds["delete"] > 30


def test_shapes_scalar_batch_matrix_ragged_and_empty():
    swap = text.RandomSwap(alpha=0.5)
    scalar = swap(tf.constant("one two three"), seed=SEED)
    assert scalar.shape == () and sorted(words(scalar.numpy())) == ["one", "three", "two"]
    matrix = swap(tf.constant([["a b", "c d"], ["e f", "g h"]]), seed=SEED)
    assert matrix.shape == (2, 2)
    ragged = swap(tf.ragged.constant([["a b c", "d e"], ["f g h i"]]), seed=SEED)
    assert isinstance(ragged, tf.RaggedTensor)
    assert ragged.row_lengths().numpy().tolist() == [2, 1]
    edge = swap(tf.constant(["", "   ", "word", " two  words "]), seed=SEED).numpy()
    assert edge[0] == b"" and edge[1] == b"   " and edge[2] == b"word"
    assert sorted(words(edge[3])) == ["two", "words"]
    assert swap(tf.constant([], tf.string), seed=SEED).shape == (0,)


def test_training_false_passes_text_through_unchanged():
    texts = tf.constant(["  keep   this\tspacing  "])
    for layer in (text.RandomSwap(0.5), text.RandomDeletion(0.5), text.EDA(SYNONYMS)):
        assert layer(texts, training=False) is texts
        assert layer(texts, training=True).numpy()[0] != texts.numpy()[0]


def test_layer_inside_a_model_before_text_vectorization():
    vectorize = keras.layers.TextVectorization(max_tokens=50, output_sequence_length=12)
    vectorize.adapt(SENTENCES)
    inputs = keras.Input(shape=(), dtype="string")
    augmented = text.EDA(SYNONYMS, seed=0)(inputs)
    model = keras.Model(inputs, vectorize(augmented))
    batch = tf.constant(SENTENCES)
    assert np.array_equal(model(batch, training=False), vectorize(batch))
    assert not np.array_equal(model(batch, training=True), vectorize(batch))


def test_get_config_and_keras_file_round_trip(tmp_path):
    layers_ = [
        text.EDA(SYNONYMS, alpha_sr=0.2, alpha_ri=0.1, alpha_rs=0.3, p_rd=0.2, seed=3),
        text.SynonymReplacement(SYNONYMS, alpha=0.4, stop_words=["good"]),
        text.RandomInsertion(SYNONYMS, alpha=0.4),
        text.RandomSwap(alpha=0.4, seed=1),
        text.RandomDeletion(p=0.4),
    ]
    for layer in layers_:
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()
        assert run(clone) == run(layer)  # the same seed tensor: the same output
    # A .keras archive carries the table, so it loads where the TSV file is gone.
    inputs = keras.Input(shape=(), dtype="string")
    model = keras.Model(inputs, layers_[0](inputs))
    model.save(tmp_path / "eda.keras")
    config = layers_[0].get_config()
    moved = config["synonyms"] + ".moved"
    os.rename(config["synonyms"], moved)
    try:
        loaded = keras.saving.load_model(tmp_path / "eda.keras")
    finally:
        if not os.path.exists(config["synonyms"]):
            os.rename(moved, config["synonyms"])
    eda = loaded.layers[1]
    assert isinstance(eda, text.EDA)
    assert eda.synonym_table.synonyms("good") == ["fine", "nice"]
    assert run(eda) == run(layers_[0])


@pytest.mark.parametrize(
    "build, name",
    [
        (lambda: text.RandomSwap(alpha=1.5), "alpha"),
        (lambda: text.RandomDeletion(p=-0.1), "p"),
        (lambda: text.EDA(SYNONYMS, alpha_sr=2), "alpha_sr"),
        (lambda: text.EDA(SYNONYMS, p_rd="x"), "p_rd"),
        (lambda: text.EDA(SYNONYMS, 0, 0, 0, 0), "alpha_sr"),
        (lambda: text.RandomSwap(seed=-1), "seed"),
        (lambda: text.SynonymReplacement(SYNONYMS, stop_words="french"), "stop_words"),
        (lambda: text.SynonymReplacement(synonyms=42), "synonyms"),
        (lambda: text.seeded_map(tf.data.Dataset.range(1), text.RandomSwap(), num_aug=0), "num_aug"),
    ],
)
def test_constructor_errors_name_the_argument(build, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        build()


def test_missing_wordnet_gives_one_line_naming_the_package_and_the_option(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        text.EDA(synonyms=str(tmp_path))
    message = str(error.value)
    assert "\n" not in message
    assert "wordnet-base" in message and "synonyms=" in message
    assert isinstance(error.value, km.data.DatasetNotFoundError)
    # Swap and deletion alone need no table at all.
    assert text.EDA(synonyms=str(tmp_path), alpha_sr=0, alpha_ri=0).synonym_table is None


def test_wordnet_table_from_the_debian_files():
    table = text.SynonymTable.from_wordnet()
    assert len(table) > 40000  # single lower-case words with at least one synonym
    assert {"goodness", "beneficial"} <= set(table.synonyms("good"))
    assert "car" in table.words() and "auto" in table.synonyms("car")
    assert "Brown University" not in table.synonyms("brown")  # names are left out
    layer = text.SynonymReplacement(alpha=1.0)
    output = layer(tf.constant("the car was fast"), seed=SEED).numpy().decode()
    # "the" and "was" are stop words; "car" and "fast" are replaced (alpha=1), and a
    # synonym may be a phrase ("elevator car").
    assert output.startswith("the ") and " was " in output
    car, fast = output[len("the "):].split(" was ")
    assert car in table.synonyms("car") and fast in table.synonyms("fast")


def test_tsv_and_dict_tables_agree(tmp_path):
    path = tmp_path / "synonyms.tsv"
    path.write_text("# word\tsynonyms\nGood\tfine\tnice\n\nmoney\tcash\ngood\tfine\n", "utf-8")
    from_tsv = text.SynonymTable.from_tsv(path)
    from_dict = text.SynonymTable.from_dict({"good": ["fine", "nice"], "money": "cash"})
    assert from_tsv.path == from_dict.path  # canonical, content-addressed
    assert from_tsv.synonyms("GOOD!") == ["fine", "nice"]

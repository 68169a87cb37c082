"""SynonymTable's cached TSV files: checked against their manifest, rebuilt when damaged."""

import os

import pytest

from keras_margin.augment import text
from keras_margin.utils.disk_cache import CacheWarning

# WordNet 3.0's data-file format: offset, lexicographer file, type, word count (hex),
# then word / lex_id pairs; the licence header lines start with two spaces.
WORDNET = {
    "data.noun": ["  1 This software and database is being provided ...",
                  "02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 000 | a dog",
                  "02924116 06 n 02 car 0 auto 0 000 | a car",
                  "07929519 13 n 02 coffee 0 java 0 000 | a drink"],
    "data.verb": ["01168468 34 v 02 eat 0 consume 0 000 | take in food"],
    "data.adj": ["00978754 00 a 03 fast 0 quick(a) 0 speedy 0 000 | acting rapidly"],
    "data.adv": ["00085811 02 r 02 quickly 0 rapidly 0 000 | with speed"],
}


@pytest.fixture
def wordnet(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_MARGIN_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "wordnet"
    folder.mkdir()
    for name, lines in WORDNET.items():
        (folder / name).write_text("\n".join(lines) + "\n")
    return folder


@pytest.mark.parametrize("damage", [lambda content: content[: len(content) // 2],
                                    lambda content: b""], ids=["truncated", "emptied"])
def test_a_damaged_wordnet_cache_is_rebuilt_with_a_warning(wordnet, damage):
    table = text.SynonymTable.from_wordnet(wordnet)
    words = table.words()
    assert len(words) == 12 and table.synonyms("fast") == ["quick", "speedy"]
    with open(table.path, "rb") as file:
        content = file.read()
    with open(table.path, "wb") as file:
        file.write(damage(content))
    with pytest.warns(CacheWarning, match="wordnet-.*tsv"):
        again = text.SynonymTable.from_wordnet(wordnet)
    assert again.path == table.path and again.words() == words
    with open(again.path, "rb") as file:
        assert file.read() == content
    # A fresh reader of the rebuilt file (no mapping in memory) sees every word.
    assert text.SynonymTable(again.path).words() == words


def test_an_intact_wordnet_cache_is_read_not_parsed(wordnet, monkeypatch):
    table = text.SynonymTable.from_wordnet(wordnet)
    monkeypatch.setattr(text.SynonymTable, "_write",
                        classmethod(lambda cls, *args, **kwargs: pytest.fail("parsed again")))
    assert text.SynonymTable.from_wordnet(wordnet).path == table.path


def test_a_damaged_dict_table_is_written_again(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_MARGIN_CACHE_DIR", str(tmp_path))
    mapping = {"good": ["fine", "nice"], "money": ["cash"], "fast": ["quick"]}
    path = text.SynonymTable.from_dict(mapping).path
    with open(path, "w") as file:
        file.write("good\tfine\n")
    with pytest.warns(CacheWarning, match="synonyms-"):
        table = text.SynonymTable.from_dict(mapping)
    assert text.SynonymTable(table.path).words() == ["fast", "good", "money"]
    assert sorted(os.listdir(os.path.dirname(path))) == sorted(
        [os.path.basename(path), os.path.basename(path) + ".manifest.json"])

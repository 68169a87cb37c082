"""`SynonymTable`: synonyms for the EDA layers, from WordNet 3.0, a TSV file or a dict.

Whatever the source, the table is written once as a canonical TSV file (one line per
word: `word<TAB>synonym<TAB>synonym...`, keys lower case, sorted) in the keras_margin
cache folder, named by a digest of its content (WordNet's: of its files' sizes and
times), with a manifest of its checksum and line count beside it
(`keras_margin.utils.disk_cache.save_file`); a file that no longer matches its manifest
is written again. The layers read it with a
`tf.lookup.TextFileInitializer`, so the file becomes an asset of any SavedModel that
contains a layer: the export serves on a machine without WordNet.
"""

import hashlib
import os
import re
import string
import tempfile

import tensorflow as tf

from keras_margin.utils import disk_cache
from keras_margin.utils.errors import DatasetNotFoundError

WORDNET_DIR = "/usr/share/wordnet"
WORDNET_FILES = ("data.noun", "data.verb", "data.adj", "data.adv")
# Adjective position markers in data.adj: (a) attributive, (p) predicative,
# (ip) immediately postnominal.
_MARKER = re.compile(r"\((?:a|p|ip)\)$")
_WHITESPACE = re.compile(r"\s+")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# Part of the cache key of parsed WordNet tables: change it when parsing changes.
_FORMAT = "wordnet-lowercase-lemmas-1"



class SynonymTable:
    """A word -> synonyms table stored as a canonical TSV file.

    Build one with `from_wordnet`, `from_tsv` or `from_dict` (or pass any of their
    inputs to a layer's `synonyms` argument, which calls `SynonymTable.resolve`).

    Keys are single words in their lookup form (`lookup_form`: ASCII lower case,
    no surrounding ASCII punctuation), which is how the layers look words up. Synonyms may be phrases ("hot dog";
    WordNet's `_` becomes a space); a word is never its own synonym.

    Args:
        path: a canonical TSV file written by one of the constructors.

    Example:

    >>> table = SynonymTable.from_dict({"quick": ["fast", "speedy"], "dog": "hound"})
    >>> table.synonyms("Quick"), len(table)
    (['fast', 'speedy'], 2)

    References:
        Miller, "WordNet: a lexical database for English", CACM 38(11), 1995.
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        self._mapping = None

    # --- constructors -------------------------------------------------------------

    @classmethod
    def from_dict(cls, mapping):
        """A table from `{word: [synonym, ...]}` (a single string is one synonym)."""
        if not hasattr(mapping, "items"):
            raise ValueError(f"`synonyms` must be a dict of word -> synonyms; received {mapping!r}.")
        entries = {}
        for word, synonyms in mapping.items():
            if isinstance(synonyms, str):
                synonyms = [synonyms]
            _add(entries, word, synonyms)
        return cls._write(entries, name="dict")

    @classmethod
    def from_tsv(cls, path):
        """A table from a TSV file: `word<TAB>synonym<TAB>...` per line.

        Blank lines and lines starting with `#` are skipped; a word on several lines
        gets the union of their synonyms.
        """
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"synonyms: TSV file {path} does not exist.")
        entries = {}
        with open(path, encoding="utf-8", errors="replace") as file:
            for line in file:
                line = line.rstrip("\r\n")
                if not line.strip() or line.startswith("#"):
                    continue
                word, *synonyms = line.split("\t")
                _add(entries, word, synonyms)
        return cls._write(entries, name="tsv")

    @classmethod
    def from_wordnet(cls, directory=None):
        """A table from WordNet 3.0's `data.{noun,verb,adj,adv}` files.

        A word's synonyms are the other lemmas of every synset it belongs to, in any
        part of speech (as Wei & Zou's EDA takes them from `wordnet.synsets(word)`).
        Capitalised lemmas (names such as "Brown" the university or "OK" the state)
        are left out, as keys and as synonyms.
        The parsed table is cached on disk, keyed by the files' sizes and times.

        Args:
            directory: the folder holding the files; by default the Debian package
                `wordnet-base`'s `/usr/share/wordnet`.

        Raises:
            DatasetNotFoundError: (a `FileNotFoundError`) with a one-line message
                naming the Debian package and the `synonyms=` alternatives.
        """
        folder = os.fspath(directory) if directory is not None else WORDNET_DIR
        paths = [os.path.join(folder, name) for name in WORDNET_FILES]
        if not all(os.path.isfile(path) for path in paths):
            raise DatasetNotFoundError(
                f"WordNet 3.0 not found in {folder} (data.noun, data.verb, data.adj, "
                "data.adv); install the Debian package wordnet-base (apt-get install "
                "wordnet-base), or pass synonyms= a dict, a TSV file or a SynonymTable, "
                "or set alpha_sr=0 and alpha_ri=0"
            )
        stamp = [_FORMAT] + [
            (os.path.realpath(p), os.path.getsize(p), os.stat(p).st_mtime_ns) for p in paths
        ]
        cached = os.path.join(_folder(), f"wordnet-{disk_cache.key_of(stamp)}.tsv")
        # Checked against its manifest: a truncated or emptied table would silently
        # lose words.
        if disk_cache.is_intact(cached):
            return cls(cached)
        entries = {}
        for path in paths:
            with open(path, encoding="utf-8", errors="replace") as file:
                for line in file:
                    if line.startswith("  "):  # the licence header
                        continue
                    fields = line.split()
                    count = int(fields[3], 16)
                    lemmas = [_MARKER.sub("", word) for word in fields[4 : 4 + 2 * count : 2]]
                    # Capitalised lemmas are names ("Brown" the university, "OK" the
                    # state); the layers look words up lower-cased, so keeping them
                    # would turn "brown" into "Brown University" and "ok" into
                    # "Oklahoma".
                    lemmas = [lemma for lemma in lemmas if lemma == lemma.lower()]
                    for lemma in lemmas:
                        _add(entries, lemma, lemmas)
        return cls._write(entries, name="wordnet", target=cached)

    @classmethod
    def resolve(cls, synonyms):
        """The table for a layer's `synonyms` argument.

        `None` or `"wordnet"`: WordNet 3.0 from `/usr/share/wordnet`; a
        `SynonymTable`: itself; a dict: `from_dict`; a folder: `from_wordnet(folder)`;
        any other path: `from_tsv(path)`.
        """
        if isinstance(synonyms, SynonymTable):
            return synonyms
        if synonyms is None or (isinstance(synonyms, str) and synonyms.lower() == "wordnet"):
            return cls.from_wordnet()
        if hasattr(synonyms, "items"):
            return cls.from_dict(synonyms)
        if isinstance(synonyms, (str, os.PathLike)):
            if os.path.isdir(synonyms):
                return cls.from_wordnet(synonyms)
            return cls.from_tsv(synonyms)
        raise ValueError(
            "`synonyms` must be None or 'wordnet' (WordNet 3.0), a dict of word -> "
            f"synonyms, a TSV path, a WordNet folder or a SynonymTable; received {synonyms!r}."
        )

    # --- use ------------------------------------------------------------------------

    def lookup_tables(self):
        """Two `tf.lookup.StaticHashTable`s read from the TSV file: word -> line number
        (-1 for a word without synonyms), and line number -> the whole line. The file
        is tracked as a SavedModel asset of whatever holds the tables.

        Two tables rather than word -> line: every word of a batch is looked up, but
        only the few that get replaced need their line, and copying an int64 per word
        costs far less than copying a line of synonyms.
        """
        line_numbers = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(
                self.path,
                key_dtype=tf.string,
                key_index=0,
                value_dtype=tf.int64,
                value_index=tf.lookup.TextFileIndex.LINE_NUMBER,
                delimiter="\t",
            ),
            default_value=-1,
        )
        lines = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(
                self.path,
                key_dtype=tf.int64,
                key_index=tf.lookup.TextFileIndex.LINE_NUMBER,
                value_dtype=tf.string,
                value_index=tf.lookup.TextFileIndex.WHOLE_LINE,
                delimiter="\t",
            ),
            default_value="",
        )
        return line_numbers, lines

    def synonyms(self, word):
        """The synonyms of `word` as a list ([] if none), looked up as the layers do:
        ASCII letters lower-cased, surrounding ASCII punctuation removed."""
        return list(self._entries().get(lookup_form(word), ()))

    def words(self):
        """All words that have synonyms, sorted."""
        return sorted(self._entries())

    def __len__(self):
        return len(self._entries())

    def __repr__(self):
        return f"SynonymTable({self.path!r})"

    def _entries(self):
        if self._mapping is None:
            mapping = {}
            with open(self.path, encoding="utf-8") as file:
                for line in file:
                    word, *synonyms = line.rstrip("\n").split("\t")
                    mapping[word] = tuple(synonyms)
            self._mapping = mapping
        return self._mapping

    @classmethod
    def _write(cls, entries, name, target=None):
        lines = [
            "\t".join([word, *synonyms]) + "\n"
            for word, synonyms in sorted(entries.items())
            if synonyms
        ]
        content = "".join(lines).encode("utf-8")
        if target is None:
            digest = hashlib.sha256(content).hexdigest()[:16]
            target = os.path.join(_folder(), f"synonyms-{digest}.tsv")
            stored = disk_cache.is_intact(target)
        else:
            stored = False  # the caller found it missing or damaged
        if not stored:
            disk_cache.save_file(target, content)
        table = cls(target)
        table._mapping = {
            word: tuple(synonyms) for word, synonyms in entries.items() if synonyms
        }
        return table


def _clean(text):
    # Tabs and newlines would break the file format; `_` joins WordNet phrases.
    return _WHITESPACE.sub(" ", str(text).replace("_", " ")).strip()


def lookup_form(word):
    """`word` as the layers look it up: ASCII letters lower-cased (other letters are
    left alone, as `tf.strings.lower` does by default) and surrounding ASCII
    punctuation removed (all of it only if something else remains)."""
    word = str(word).translate(_ASCII_LOWER)
    stripped = word.strip(string.punctuation)
    if stripped:
        return stripped
    # The layers keep one character of an all-punctuation word.
    return word[:1]


def _add(entries, word, synonyms):
    key = lookup_form(_clean(word))
    if not key or " " in key:
        return  # the layers look up single words only
    known = entries.setdefault(key, [])
    for synonym in synonyms:
        synonym = _clean(synonym)
        if synonym and lookup_form(synonym) != key and synonym not in known:
            known.append(synonym)


def _folder():
    folder = os.path.join(disk_cache.cache_dir(), "synonyms")
    try:
        os.makedirs(folder, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    # A read-only home still works: the table only has to outlive this process's
    # exports, and a temporary folder does.
    folder = os.path.join(tempfile.gettempdir(), "keras_margin_synonyms")
    os.makedirs(folder, exist_ok=True)
    return folder


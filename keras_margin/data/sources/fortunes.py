"""`fortunes`: the 15 topic files of the Debian package `fortunes`, topic = label.

Each file in `/usr/share/games/fortunes/` holds entries separated by lines that
contain only `%`. Some entries underline or embolden text with the teletype
overstrike convention (`_` backspace `x`); the backspaces and the characters they
erase are removed.
"""

import functools
import os
import re

import numpy as np

from keras_margin.data import fixed_test_split
from keras_margin.data.text_source import TextSourceData
from keras_margin.utils.errors import DatasetNotFoundError

NAME = "fortunes"
DEFAULT_DIR = "/usr/share/games/fortunes"
# The topics of the `fortunes` package proper (not fortunes-min, -off or the others);
# sorted, so label i is TOPICS[i].
TOPICS = (
    "computers", "drugs", "education", "food", "law", "linux", "love", "medicine",
    "men-women", "politics", "science", "songs-poems", "sports", "startrek", "work",
)
# 20% of every topic (15 to 210 texts each) is the fixed test split.
TEST_FRACTION = 0.2
_SEPARATOR = re.compile(r"^%\s*$", re.MULTILINE)
_OVERSTRIKE = re.compile(r".\x08")


def read(data_dir=None):
    """Returns the fortunes as a `TextSourceData` (15 topics, ~6,060 texts).

    Args:
        data_dir: the folder holding the topic files; defaults to the Debian
            package's `/usr/share/games/fortunes`.

    Raises:
        DatasetNotFoundError: when a topic file is missing.
    """
    folder = os.fspath(data_dir) if data_dir is not None else DEFAULT_DIR
    paths = [os.path.join(folder, topic) for topic in TOPICS]
    missing = [topic for topic, path in zip(TOPICS, paths) if not os.path.isfile(path)]
    if missing:
        which = "" if len(missing) == len(TOPICS) else f" (missing {', '.join(missing)})"
        raise DatasetNotFoundError(
            f"{NAME}: topic files not found in {folder}{which}; install the Debian "
            "package fortunes (apt-get install fortunes) or pass data_dir=FOLDER "
            "holding the topic files"
        )
    stamps = tuple((path, os.stat(path).st_mtime_ns) for path in paths)
    return _read_cached(stamps)


def parse(text):
    """The entries of one fortune file's text, cleaned and without empty ones."""
    entries = []
    for entry in _SEPARATOR.split(text):
        entry = _OVERSTRIKE.sub("", entry).strip()
        if entry:
            entries.append(entry)
    return entries


@functools.lru_cache(maxsize=2)
def _read_cached(stamps):
    texts, labels = [], []
    for label, (path, _) in enumerate(stamps):
        with open(path, encoding="utf-8", errors="replace") as file:
            entries = parse(file.read())
        texts.extend(entries)
        labels.extend([label] * len(entries))
    texts = np.array(texts, dtype=object)
    labels = np.array(labels, dtype=np.int64)
    test_index, pool_index = fixed_test_split.by_fraction(labels, TEST_FRACTION)
    folder = os.path.dirname(stamps[0][0])
    source = f"fortune files in {folder}"
    if os.path.realpath(folder) == os.path.realpath(DEFAULT_DIR):
        source = f"Debian package fortunes ({source})"
    return TextSourceData(
        name=NAME,
        train_inputs=texts[pool_index],
        train_labels=labels[pool_index],
        test_inputs=texts[test_index],
        test_labels=labels[test_index],
        class_names=list(TOPICS),
        source=source,
    )

"""Text augmentation for text classification: the EDA family, graph-native.

Layers (Keras layers over `tf.string` input; see `TextAugmentation` for shapes, seeds
and UTF-8 handling):

- `SynonymReplacement(synonyms=None, alpha=0.1, stop_words="english", seed=None)`
- `RandomInsertion(synonyms=None, alpha=0.1, stop_words="english", seed=None)`
- `RandomSwap(alpha=0.1, seed=None)`
- `RandomDeletion(p=0.1, seed=None)`
- `EDA(synonyms=None, alpha_sr=0.1, alpha_ri=0.1, alpha_rs=0.1, p_rd=0.1, seed=None)`:
  one of the four per text.

`seeded_map(dataset, layer, seed, num_aug=None)` (the package's one
`keras_margin.augment.seeded_map`, re-exported) maps a layer over a `tf.data` dataset
with per-element seeds, so the output is a function of (seed, epoch, element) under
any parallelism; with `num_aug` it adds Wei & Zou's augmented copies.
`SynonymTable` builds the synonym table from WordNet 3.0, a TSV file or a dict.

`policy(name, num_train=None, seed=None)` ("none", "eda") returns a
`keras_margin.augment.Policy`: EDA with the paper's `alpha` and number of copies for
the training-set size (`eda_parameters`, `EDA_PARAMETERS`; see `policies`).

Example:

>>> import tensorflow as tf
>>> from keras_margin.augment import text
>>> swap = text.RandomSwap(alpha=0.1, seed=0)
>>> data = tf.data.Dataset.from_tensor_slices(["a b c d", "e f"]).batch(2)
>>> data = text.seeded_map(data, swap, seed=0)

References:
    Wei & Zou, "EDA: Easy Data Augmentation Techniques for Boosting Performance on
    Text Classification Tasks", EMNLP-IJCNLP 2019, arXiv:1901.11196.
"""

from keras_margin.augment.text import stop_words
from keras_margin.augment.text.base import SynonymAugmentation
from keras_margin.augment.text.base import TextAugmentation
from keras_margin.augment.text.eda import EDA
from keras_margin.augment.text.policies import EDA_PARAMETERS
from keras_margin.augment.text.policies import POLICIES
from keras_margin.augment.text.policies import describe
from keras_margin.augment.text.policies import eda_parameters
from keras_margin.augment.text.policies import policy
from keras_margin.augment.text.random_deletion import RandomDeletion
from keras_margin.augment.text.random_insertion import RandomInsertion
from keras_margin.augment.text.random_swap import RandomSwap
from keras_margin.augment.seeded_map import seeded_map
from keras_margin.augment.text.synonym_replacement import SynonymReplacement
from keras_margin.augment.text.synonyms import SynonymTable

__all__ = [
    "EDA",
    "EDA_PARAMETERS",
    "POLICIES",
    "RandomDeletion",
    "RandomInsertion",
    "RandomSwap",
    "SynonymAugmentation",
    "SynonymReplacement",
    "SynonymTable",
    "TextAugmentation",
    "describe",
    "eda_parameters",
    "policy",
    "seeded_map",
    "stop_words",
]

"""Losses: on logits for margin heads, and on embeddings (pair- and triplet-based).

On embeddings, `loss(labels, embeddings)`, each reproducing pytorch-metric-learning's
default behaviour (docs/losses.md): `ContrastiveLoss`, `TripletMarginLoss`,
`MultiSimilarityLoss`, `NTXentLoss`, `SupConLoss`.
"""

from keras_margin.losses.bootstrapping import Bootstrapping
from keras_margin.losses.contrastive import ContrastiveLoss
from keras_margin.losses.cross_entropy import CrossEntropy
from keras_margin.losses.multi_similarity import MultiSimilarityLoss
from keras_margin.losses.ntxent import NTXentLoss
from keras_margin.losses.supcon import SupConLoss
from keras_margin.losses.triplet_margin import TripletMarginLoss

__all__ = [
    "Bootstrapping",
    "ContrastiveLoss",
    "CrossEntropy",
    "MultiSimilarityLoss",
    "NTXentLoss",
    "SupConLoss",
    "TripletMarginLoss",
]

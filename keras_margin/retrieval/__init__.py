"""From embeddings to answers: a FAISS gallery to search, calibrated verification, and
identification metrics (rank-1, MAP@R) computed through the gallery.

NumPy and FAISS only: nothing here imports TensorFlow.
"""

from keras_margin.retrieval.gallery import Gallery, SearchResult
from keras_margin.retrieval.identification import identification_metrics, ranked_metrics
from keras_margin.retrieval.verification import Verification, calibrate, verify

__all__ = ["Gallery", "SearchResult", "Verification", "calibrate", "identification_metrics",
           "ranked_metrics", "verify"]

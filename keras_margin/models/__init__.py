"""Models: `MarginModel` (backbone + head), small reference backbones and `backbone` over
keras.applications."""

from keras_margin.models.audio_cnn import audio_cnn
from keras_margin.models.backbone import backbone
from keras_margin.models.decibels import Decibels
from keras_margin.models.embedding_model import EmbeddingModel
from keras_margin.models.margin_model import MarginModel
from keras_margin.models.recipe import fit_embedding_model
from keras_margin.models.recipe import fit_margin_model
from keras_margin.models.recipe import fit_small_cnn
from keras_margin.models.small_cnn import small_cnn
from keras_margin.models.text_cnn import text_cnn

__all__ = ["Decibels", "EmbeddingModel", "MarginModel", "audio_cnn", "backbone", "fit_embedding_model", "fit_margin_model", "fit_small_cnn", "small_cnn", "text_cnn"]

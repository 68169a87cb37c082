"""Margin-softmax heads: Keras layers mapping embeddings (and labels) to logits.

Every head is called as `head(embeddings, labels=None, training=None) -> logits`.
The margin is applied only in training and only when labels are given.
"""

from keras_margin.heads.adacos import AdaCos
from keras_margin.heads.adaface import AdaFace
from keras_margin.heads.arcface import ArcFace
from keras_margin.heads.scales import auto_scale
from keras_margin.heads.base import MarginHead
from keras_margin.heads.combined_margin import CombinedMargin
from keras_margin.heads.cosface import CosFace
from keras_margin.heads.cosine_margin_head import CosineMarginHead
from keras_margin.heads.curricularface import CurricularFace
from keras_margin.heads.elasticface import ElasticFace
from keras_margin.heads.large_margin_softmax import LargeMarginSoftmax
from keras_margin.heads.ldam import LDAM
from keras_margin.heads.magface import MagFace
from keras_margin.heads.margin_context import MarginContext
from keras_margin.heads.multiplicative_angular_margin import MultiplicativeAngularMargin
from keras_margin.heads.normface import NormFace
from keras_margin.heads.softmax import Softmax
from keras_margin.heads.sphereface import SphereFace
from keras_margin.heads.sub_center_arcface import SubCenterArcFace
from keras_margin.heads.registry import create, get, names

__all__ = [
    "AdaCos",
    "AdaFace",
    "ArcFace",
    "CombinedMargin",
    "CosFace",
    "CosineMarginHead",
    "CurricularFace",
    "ElasticFace",
    "LDAM",
    "LargeMarginSoftmax",
    "MagFace",
    "MarginContext",
    "MarginHead",
    "MultiplicativeAngularMargin",
    "NormFace",
    "Softmax",
    "SphereFace",
    "SubCenterArcFace",
    "auto_scale",
    "create",
    "get",
    "names",
]

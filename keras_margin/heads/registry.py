"""Head lookup by command-line name: the class name in lower case without punctuation."""

from keras_margin.heads.adacos import AdaCos
from keras_margin.heads.adaface import AdaFace
from keras_margin.heads.arcface import ArcFace
from keras_margin.heads.combined_margin import CombinedMargin
from keras_margin.heads.cosface import CosFace
from keras_margin.heads.curricularface import CurricularFace
from keras_margin.heads.elasticface import ElasticFace
from keras_margin.heads.large_margin_softmax import LargeMarginSoftmax
from keras_margin.heads.ldam import LDAM
from keras_margin.heads.magface import MagFace
from keras_margin.heads.normface import NormFace
from keras_margin.heads.softmax import Softmax
from keras_margin.heads.sphereface import SphereFace
from keras_margin.heads.sub_center_arcface import SubCenterArcFace

_HEADS = {
    cls.__name__.lower(): cls
    for cls in (
        Softmax, NormFace, LargeMarginSoftmax, SphereFace, CosFace, ArcFace, CombinedMargin,
        SubCenterArcFace, AdaFace, MagFace, CurricularFace, ElasticFace, LDAM, AdaCos,
    )
}
_ALIASES = {"lsoftmax": "largemarginsoftmax", "asoftmax": "sphereface", "amsoftmax": "cosface"}


def names():
    """The head names `get` accepts, aliases excluded, in a stable order."""
    return list(_HEADS)


def create(name, num_classes, /, class_counts=None, **kwargs):
    """Builds the head called `name` for a dataset: `LDAM` from `class_counts`, every
    other head from `num_classes`.

    Args:
        name: a name `get` accepts.
        num_classes: number of classes.
        class_counts: training examples per class (e.g. `DatasetInfo.train_class_counts`);
            needed by heads whose margins depend on class frequency.
        **kwargs: the head's own arguments (`scale`, `margin`, ...) and layer arguments,
            the layer's `name` included (`name` and `num_classes` are positional-only,
            so they do not collide with it).
    """
    head_class = get(name)
    if head_class is LDAM:
        if class_counts is None:
            raise ValueError("The ldam head needs `class_counts` (training examples per class).")
        if len(class_counts) != num_classes:
            raise ValueError(f"`class_counts` has {len(class_counts)} entries for {num_classes} classes.")
        return LDAM(class_counts, **kwargs)
    return head_class(num_classes, **kwargs)


def get(name):
    """Returns the head class called `name` (`"arcface"`, `"lsoftmax"`, ...).

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    key = "".join(ch for ch in str(name).lower() if ch.isalnum())
    key = _ALIASES.get(key, key)
    if key not in _HEADS:
        raise ValueError(f"Unknown head {name!r}; choose one of: {', '.join(names())}.")
    return _HEADS[key]

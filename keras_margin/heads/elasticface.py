"""ElasticFace: ArcFace or CosFace with a margin drawn from a normal distribution."""

import math

import keras
from keras import ops

from keras_margin.heads import _angles
from keras_margin.heads.cosine_margin_head import CosineMarginHead
from keras_margin.utils import validation

_KINDS = ("arc", "cos")


@keras.saving.register_keras_serializable(package="keras_margin")
class ElasticFace(CosineMarginHead):
    """ElasticFace head: a per-sample random margin, angular or cosine.

    At every training call with labels each sample draws its own margin
    `m_b ~ N(margin, margin_std)`. With `kind="arc"` (ElasticFace-Arc) the target logit
    is `s * cos(theta_y + m_b)`, with ArcFace's fallback `cos(theta_y) - m_b sin(m_b)`
    past `theta_y + m_b > pi` (the official code has none; this keeps the target
    monotone in the angle, as this library's ArcFace). With `kind="cos"`
    (ElasticFace-Cos) it is `s * (cos(theta_y) - m_b)`. Non-target and inference logits
    are `s * cos(theta_j)`. Draws are not clipped, as in the official code.

    With `plus=True` (ElasticFace+) the batch's margins are sorted and handed out by
    target cosine: the sample farthest from its class centre (lowest target cosine)
    gets the largest margin, the closest one the smallest. This is the rank matching
    the paper describes; the official code indexes the sorted margins with the sort
    permutation of the cosines (a gather where the matching needs a scatter), which
    is the same matching only for some batches. With a label matrix, a row's target
    cosine is its label-mass-weighted mean cosine.

    Draws come from a `keras.random.SeedGenerator` (`seed`), so a given seed gives the
    same sequence of margins. As for Keras' own random layers, its position in the
    sequence is not saved: a reloaded head starts the sequence of its seed again.

    Args:
        num_classes: number of classes, at least 2.
        scale: the scale `s` > 0, or `"auto"` (see `CosineMarginHead`) (default 64.0).
        margin: the mean margin: radians in [0, pi/2] for `"arc"`, in [0, 2) for
            `"cos"` (default 0.5; the paper uses 0.5 for Arc and 0.35 for Cos).
        margin_std: the standard deviation `sigma` >= 0 of the margins (default 0.05).
        kind: `"arc"` (default) or `"cos"`.
        plus: ElasticFace+, margins sorted by target cosine (default False).
        seed: optional integer seed of the margin draws (and of the class sampling,
            with `sample_rate`).
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.ElasticFace(num_classes=10, margin=0.35, margin_std=0.05,
    ...                             kind="cos", plus=True, seed=0)
    >>> logits = head(np.random.rand(4, 64).astype("float32"),
    ...               labels=np.array([0, 1, 2, 3]), training=True)

    References:
        - Boutros, Damer, Kirchbuchner, Kuijper. "ElasticFace: Elastic Margin Loss for
          Deep Face Recognition", CVPR Workshops 2022. https://arxiv.org/abs/2109.09416
    """

    def __init__(
        self,
        num_classes,
        scale=64.0,
        margin=0.5,
        margin_std=0.05,
        kind="arc",
        plus=False,
        seed=None,
        **kwargs,
    ):
        super().__init__(num_classes, scale=scale, seed=seed, **kwargs)
        if kind not in _KINDS:
            raise ValueError(f"`kind` must be one of {_KINDS}; received {kind!r}.")
        self.kind = kind
        if kind == "arc":
            self.margin = validation.number_in_range(margin, "margin", 0.0, math.pi / 2)
        else:
            self.margin = validation.number_in_range(margin, "margin", 0.0, 2.0, high_open=True)
        self.margin_std = validation.non_negative(margin_std, "margin_std")
        if not isinstance(plus, bool):
            raise ValueError(f"`plus` must be True or False; received {plus!r}.")
        self.plus = plus
        self.seed = validation.seed(seed, "seed")
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def draw_margins(self, target_cosines):
        """(batch, 1) margins for (batch, 1) target cosines; advances the seed."""
        margins = keras.random.normal(
            (ops.shape(target_cosines)[0], 1),
            mean=self.margin,
            stddev=self.margin_std,
            dtype=target_cosines.dtype,
            seed=self.seed_generator,
        )
        if not self.plus:
            return margins
        ascending = ops.sort(margins[:, 0])
        by_decreasing_cosine = ops.argsort(-ops.stop_gradient(target_cosines[:, 0]))
        # rank of each sample from the closest to its centre (0) to the farthest
        ranks = ops.argsort(by_decreasing_cosine)
        return ops.expand_dims(ops.take(ascending, ranks), -1)

    def target_cosine(self, cosine, context):
        margins = self.draw_margins(context.target_cosines)
        if self.kind == "arc":
            return _angles.add_angle(cosine, margins)
        return cosine - margins

    def get_config(self):
        config = super().get_config()
        config.update(
            margin=self.margin,
            margin_std=self.margin_std,
            kind=self.kind,
            plus=self.plus,
            seed=self.seed,
        )
        return config

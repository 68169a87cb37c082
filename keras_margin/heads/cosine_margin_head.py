"""`CosineMarginHead`: base class of the heads whose logits are `s * cos(theta)`."""

import keras
from keras import ops

from keras_margin.heads import _sampling
from keras_margin.heads.base import MarginHead
from keras_margin.heads.scales import auto_scale
from keras_margin.utils import validation

AUTO = "auto"


@keras.saving.register_keras_serializable(package="keras_margin")
class CosineMarginHead(MarginHead):
    """A head on unit embeddings and unit class centres with a fixed scale `s`.

    Logits are `s * cos(theta_bj)`; subclasses override `target_cosine` to add their
    margin to the target class. Without an override this is NormFace.

    **Class-centre sampling** (Partial FC, An et al. 2021/2022). With `sample_rate`, a
    training call with class-id labels computes logits only for a sample of the classes:
    every class present in the batch plus negatives drawn uniformly at random from the
    others, `max(ceil(sample_rate * C), batch)` classes in all (at least the batch size,
    so every class in the batch fits; at most C). The margin is applied exactly as in the
    full head, on the sampled set; the logits are the full head's logits with the
    unsampled columns removed, in class order. Such a call must ask for
    `return_labels=True` and receives each sample's position among the sampled classes
    as its label (`MarginModel` does this). Inference, evaluation, `class_centers` and
    export use all centres. Label matrices (MixUp, CutMix, label smoothing) are refused
    in training: they can give mass to every class. The centres are stored as rows,
    kernel (C*K, D), so that a step's gradient reaches only the sampled centres
    (`IndexedSlices` on TensorFlow; see docs/scaling.md for what optimizers do with it).
    `keras_margin.heads._sampling` owns all of it: the two arguments below, the seed and
    the draw.

    Args:
        num_classes: number of classes, at least 2.
        scale: the scale `s` > 0 applied to every cosine, or `"auto"`: chosen from
            `num_classes` by `keras_margin.heads.auto_scale` (the larger of AdaCos'
            `sqrt(2) ln(C - 1)` and the scale at which a target probability of 0.99 is
            reachable; docs/heads/README.md has the rule and its limits). The config
            keeps `"auto"`, so a reloaded head derives it again; `head.scale` is the
            number.
        sample_rate: fraction of classes in (0, 1] a training step computes logits for,
            or None (default) for all of them.
        seed: int seed of the class sampling, or None for a random one.
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.
    """

    def __init__(self, num_classes, scale=30.0, sample_rate=None, seed=None, **kwargs):
        super().__init__(num_classes, **kwargs)
        self._scale_setting = _scale_setting(scale)
        self._scale = auto_scale(self.num_classes) if self._scale_setting == AUTO else self._scale_setting
        _sampling.configure(self, sample_rate, seed)

    @property
    def scale(self):
        """The scale `s` as a Python float (the resolved number for `scale="auto"`)."""
        return self._scale

    def logit_scale(self, embedding_norms):
        return ops.ones_like(embedding_norms) * self.scale

    def get_config(self):
        config = super().get_config()
        config["scale"] = self._scale_setting
        config.update(_sampling.get_config(self))
        return config


def _scale_setting(scale):
    """`"auto"` (in any case) or the scale as a positive float; raises naming `scale`."""
    if isinstance(scale, str):
        if scale.strip().lower() == AUTO:
            return AUTO
        raise ValueError(f'`scale` must be a positive number or "auto"; received {scale!r}.')
    return validation.positive(scale, "scale")

"""`MarginWarmup`: start a margin head without its margin and grow it in over N steps."""

import math

import keras

from keras_margin.heads.base import MarginHead
from keras_margin.utils import validation

SCHEDULES = ("linear", "cosine")


class MarginWarmup(keras.callbacks.Callback):
    """Ramps a head's margin from `start` times its value to the full margin.

    Margin heads trained from scratch can fail to converge: with a large margin and
    scale the target logit is hard to raise while the embeddings are still random, and
    the loss stalls. Starting with a smaller margin, or none (plain normalised softmax
    for a few steps), and growing it is the usual fix.

    The callback writes the head's `margin_scale` variable (alpha, see `MarginHead`)
    before every training step, from the optimizer's step count (so a resumed run
    continues the ramp where it stopped):

    - steps `0 .. softmax_steps - 1`: alpha = 0, no margin ("softmax, then margin");
    - the next `steps` steps: alpha rises from `start` to 1, linearly or along a half
      cosine (`schedule`);
    - afterwards: alpha = 1, the head as defined.

    The head's margined target cosine is `alpha * margined + (1 - alpha) * cosine`,
    so for CosFace and LDAM alpha multiplies the margin itself; for ArcFace and the
    other angular margins it blends the two target curves.

    L-Softmax and SphereFace: their lambda schedule already is a warm-up (the target
    is `(lambda cos + psi) / (1 + lambda)` with lambda falling from 1000). The callback
    works with them too and composes with lambda: alpha blends to the same form with
    `lambda' = (1 + lambda) / alpha - 1`, i.e. it ramps lambda from infinity (plain
    softmax) down to the head's own schedule, which keeps running underneath. Use one
    of the two: the default lambda schedule alone is the papers' recipe.

    The variable is read inside the compiled train step, so the step is not rebuilt.
    This needs the TensorFlow backend; the callback raises on others.

    Args:
        steps: steps over which alpha rises from `start` to 1, an integer >= 0 (0 jumps
            straight to 1 after the softmax steps).
        start: alpha at the first ramp step, in [0, 1] (default 0).
        schedule: `"linear"` (default) or `"cosine"` (slow start and end).
        softmax_steps: steps at alpha = 0 before the ramp, an integer >= 0 (default 0).
        head: the `MarginHead` to warm up; None finds it in the model (`model.head`
            of a `MarginModel`, else the one margin head among the model's layers).

    Example:

    >>> import keras_margin as km
    >>> warmup = km.callbacks.MarginWarmup(steps=500, softmax_steps=200)
    >>> [warmup.margin_scale_at(step) for step in (0, 199, 200, 450, 700, 10_000)]
    [0.0, 0.0, 0.0, 0.5, 1.0, 1.0]
    >>> # model = km.MarginModel(backbone, km.heads.ArcFace(10)); model.compile()
    >>> # model.fit(train, epochs=10, callbacks=[warmup])

    References:
        - Liu, Wen, Yu, Yang. "Large-Margin Softmax Loss for Convolutional Neural
          Networks", ICML 2016 (the lambda annealing this generalises).
          https://arxiv.org/abs/1612.02295
        - Deng, Guo, Xue, Zafeiriou. "ArcFace: Additive Angular Margin Loss for Deep
          Face Recognition", CVPR 2019, section 4 (softmax pre-training for
          convergence on hard data). https://arxiv.org/abs/1801.07698
    """

    def __init__(self, steps, start=0.0, schedule="linear", softmax_steps=0, head=None):
        super().__init__()
        self.steps = validation.integer_at_least(steps, 0, "steps")
        self.start = validation.number_in_range(start, "start", 0.0, 1.0)
        if schedule not in SCHEDULES:
            raise ValueError(f"`schedule` must be one of {SCHEDULES}; received {schedule!r}.")
        self.schedule = schedule
        self.softmax_steps = validation.integer_at_least(softmax_steps, 0, "softmax_steps")
        if head is not None:
            _check_head(head)
        self.head = head
        self._assigned = None

    def margin_scale_at(self, step):
        """Alpha for the 0-based training step `step`."""
        if step < self.softmax_steps:
            return 0.0
        if self.steps == 0:
            return 1.0
        progress = min((step - self.softmax_steps) / self.steps, 1.0)
        if self.schedule == "cosine":
            progress = (1.0 - math.cos(math.pi * progress)) / 2.0
        return self.start + (1.0 - self.start) * progress

    def on_train_begin(self, logs=None):
        if keras.backend.backend() != "tensorflow":
            raise RuntimeError(
                "MarginWarmup changes the margin at every step through a variable the "
                "compiled step reads, which needs the TensorFlow backend; the "
                f"{keras.backend.backend()} backend passes variables as state into its "
                "compiled step."
            )
        if self.head is None:
            self.head = _find_head(self.model)
        self._assigned = None

    def on_train_batch_begin(self, batch, logs=None):
        value = self.margin_scale_at(int(self.model.optimizer.iterations.numpy()))
        if value != self._assigned:
            self.head.margin_scale.assign(value)
            self._assigned = value


def _check_head(head):
    if not isinstance(head, MarginHead):
        raise ValueError(f"`head` must be a keras_margin MarginHead; received {type(head).__name__}.")
    if not head.has_margin:
        raise ValueError(f"`head` {type(head).__name__} has no margin to warm up.")
    return head


def _find_head(model):
    head = getattr(model, "head", None)
    if isinstance(head, MarginHead):
        return _check_head(head)
    heads = [layer for layer in model._flatten_layers() if isinstance(layer, MarginHead)]
    if len(heads) != 1:
        raise ValueError(
            f"MarginWarmup found {len(heads)} margin heads in the model; pass the one to "
            "warm up as `head=`."
        )
    return _check_head(heads[0])

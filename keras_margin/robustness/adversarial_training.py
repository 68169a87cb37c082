"""`AdversarialTraining`: train on adversarial examples instead of the clean batch.

A `MarginModel(..., adversarial=AdversarialTraining(...))` (or
`fit_margin_model(..., adversarial=...)`) replaces every training batch by adversarial
examples crafted against the model's current weights, then takes its ordinary step on
them: the head still puts its margin on the labels, augmentation still runs in
`tf.data` before the attack, and the loss, metrics and distribution are Keras' own.

Two methods:

- `"pgd"`: PGD adversarial training (Madry et al. 2018): `steps` L-infinity (or L2)
  steps of `step_size` (default 2.5 * epsilon / steps) from a uniform random start in
  the epsilon-ball; default 7 steps, the paper's CIFAR-10 setting.
- `"fgsm-rs"`: FGSM with random start (Wong, Rice & Kolter 2020): one L-infinity step
  of `step_size` (default 1.25 * epsilon, the paper's alpha) from a uniform random
  start, projected back into the ball; about the cost of two plain steps.

The attack is `keras_margin.robustness.attacks.perturb`, the code of `pgd`, run inside
the compiled train step on the **inference** logits, `model(x, training=False)`: no
margin (the margin depends on the label and is not what decides a prediction), no
dropout, batch normalisation with its moving statistics, and no update of those
statistics by the attack's forward passes. Early in training the moving statistics
trail the weights, so the first steps' examples are crafted against a slightly
different function than the one trained; this is the price of an attack with no side
effects. The random start is stateless, seeded by `seed` and the optimizer's step, so a
run is reproducible.

The batch is replaced, not mixed with the clean one (both papers train on adversarial
examples only). With `epsilon=0` the crafted batch is the clean batch, clipped to
`value_range`, so training equals plain training for in-range inputs.

References:
    Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks",
    ICLR 2018.
    Wong, Rice & Kolter, "Fast is better than free: Revisiting adversarial training",
    ICLR 2020.
"""

import keras

from keras_margin.robustness import attacks
from keras_margin.utils import validation

__all__ = ["METHODS", "AdversarialTraining", "get"]

METHODS = ("pgd", "fgsm-rs")
# The defaults of the papers: Madry et al.'s CIFAR-10 PGD-AT took 7 steps; Wong et al.'s
# FGSM-RS steps by alpha = 1.25 epsilon.
DEFAULT_PGD_STEPS = 7
FGSM_RS_STEP_FACTOR = 1.25


@keras.saving.register_keras_serializable(package="keras_margin")
class AdversarialTraining:
    """How a `MarginModel` crafts the adversarial batch it trains on.

    Args:
        method: `"pgd"` (Madry et al. 2018) or `"fgsm-rs"` (Wong et al. 2020).
        epsilon: radius of the ball, in input units (0-255 pixels for the project's
            backbones), >= 0.
        steps: attack steps (>= 1): default 7 for `"pgd"`; `"fgsm-rs"` takes exactly 1.
        step_size: length of a step; default 2.5 * epsilon / steps (`"pgd"`) or
            1.25 * epsilon (`"fgsm-rs"`).
        norm: `"linf"` or `"l2"` (`"fgsm-rs"`: `"linf"` only).
        loss: the attack's loss, `"cross_entropy"` or `"margin"` (see
            `keras_margin.robustness.pgd`).
        value_range: (low, high) of valid inputs; crafted images are clipped to it.
        seed: int >= 0, seed of the random starts (combined with the optimizer step).

    Example:

    >>> import keras_margin as km
    >>> adversarial = km.robustness.AdversarialTraining("fgsm-rs", epsilon=8.0)
    >>> adversarial.spec
    'fgsm-rs:epsilon=8'
    >>> backbone = km.models.small_cnn(embedding_dim=16, input_shape=(28, 28, 1))
    >>> model = km.MarginModel(backbone, km.heads.ArcFace(10), adversarial=adversarial)
    >>> # model.compile(...); model.fit(train) trains on FGSM-RS examples

    References:
        Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks",
        ICLR 2018.
        Wong, Rice & Kolter, "Fast is better than free: Revisiting adversarial
        training", ICLR 2020.
    """

    def __init__(self, method="pgd", epsilon=None, steps=None, step_size=None, norm="linf",
                 loss="cross_entropy", value_range=(0, 255), seed=0):
        if method not in METHODS:
            raise ValueError(f"`method` must be one of {METHODS}; received {method!r}.")
        if epsilon is None:
            raise ValueError("`epsilon` is required: the radius of the ball, in input units "
                             "(e.g. 8.0 for 8/255 of a 0-255 image).")
        self.method = method
        self.epsilon = validation.number_in_range(epsilon, "epsilon", low=0.0)
        if method == "fgsm-rs":
            if steps not in (None, 1):
                raise ValueError(f"`steps` must be 1 (or None) for 'fgsm-rs'; received {steps!r}.")
            if norm != "linf":
                raise ValueError(f"`norm` must be 'linf' for 'fgsm-rs'; received {norm!r}.")
            steps = 1
        self.steps = validation.integer_at_least(
            DEFAULT_PGD_STEPS if steps is None else steps, 1, "steps")
        self._default_step_size = step_size is None
        if step_size is None:
            step_size = (FGSM_RS_STEP_FACTOR * self.epsilon if method == "fgsm-rs"
                         else 2.5 * self.epsilon / self.steps)
        self.step_size = validation.number_in_range(step_size, "step_size", low=0.0)
        if norm not in attacks.NORMS:
            raise ValueError(f"`norm` must be one of {attacks.NORMS}; received {norm!r}.")
        if loss not in attacks.LOSSES:
            raise ValueError(f"`loss` must be one of {attacks.LOSSES}; received {loss!r}.")
        self.norm, self.loss = norm, loss
        low, high = validation.number_pair(value_range, "value_range")
        if not low < high:
            raise ValueError(f"`value_range` must have low < high; received {value_range!r}.")
        self.value_range = (float(low), float(high))
        self.seed = validation.integer_at_least(seed, 0, "seed")

    def craft(self, logits_fn, images, labels, step=0):
        """The adversarial batch: graph ops, for use inside a compiled train step.

        Args:
            logits_fn: images -> logits (a `MarginModel`'s inference logits).
            images: the clean batch.
            labels: class ids (N,) or class probabilities (N, classes).
            step: int scalar (the optimizer's iteration), mixed into the seed so each
                step gets a new random start.

        Returns:
            float32 images within `epsilon` of `images` (in `norm`) and in `value_range`,
            with no gradient path back to `images`.
        """
        import tensorflow as tf

        images = tf.cast(images, tf.float32)
        labels = tf.convert_to_tensor(labels)
        if labels.shape.rank == 1 or not labels.dtype.is_floating:
            labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        seed = tf.stack([tf.constant(self.seed, tf.int64), tf.cast(step, tf.int64)])
        low, high = self.value_range
        adversarial = attacks.perturb(
            logits_fn, images, labels, tf.constant(self.epsilon, tf.float32),
            tf.constant(self.step_size, tf.float32), tf.constant(self.steps), seed,
            tf.constant(low, tf.float32), tf.constant(high, tf.float32),
            norm=self.norm, loss=self.loss, random_start=True)
        return tf.stop_gradient(adversarial)

    @property
    def spec(self):
        """A short canonical text, `"pgd:epsilon=32:steps=7"`: the method and every
        argument that differs from its default (`from_spec` reads it back)."""
        parts = [self.method, f"epsilon={self.epsilon:g}"]
        if self.method == "pgd" and self.steps != DEFAULT_PGD_STEPS:
            parts.append(f"steps={self.steps}")
        if not self._default_step_size:
            parts.append(f"step_size={self.step_size:g}")
        for name, default in (("norm", "linf"), ("loss", "cross_entropy"), ("seed", 0)):
            if getattr(self, name) != default:
                parts.append(f"{name}={getattr(self, name)}")
        if self.value_range != (0.0, 255.0):
            parts.append(f"value_range={self.value_range[0]:g}/{self.value_range[1]:g}")
        return ":".join(parts)

    @classmethod
    def from_spec(cls, text):
        """Reads `spec`: `"pgd:epsilon=32"`, `"fgsm-rs:epsilon=8:loss=margin"`, ..."""
        method, *options = str(text).strip().split(":")
        arguments = {}
        for option in options:
            name, equals, value = option.partition("=")
            if not equals or name not in ("epsilon", "steps", "step_size", "norm", "loss", "seed",
                                          "value_range"):
                raise ValueError(f"adversarial training spec {text!r}: option {option!r} must be "
                                 "name=value with name one of epsilon, steps, step_size, norm, loss, "
                                 "seed, value_range")
            if name in ("epsilon", "step_size"):
                value = _number(value, name, text)
            elif name in ("steps", "seed"):
                value = int(_number(value, name, text))
            elif name == "value_range":
                value = tuple(_number(part, name, text) for part in value.split("/"))
            arguments[name] = value
        return cls(method, **arguments)

    def get_config(self):
        return {"method": self.method, "epsilon": self.epsilon, "steps": self.steps,
                "step_size": None if self._default_step_size else self.step_size,
                "norm": self.norm, "loss": self.loss, "value_range": list(self.value_range),
                "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, AdversarialTraining) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash(self.spec)

    def __repr__(self):
        return f"AdversarialTraining({self.spec!r})"


def _number(value, name, text):
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"adversarial training spec {text!r}: `{name}` must be a number; "
                         f"received {value!r}") from None


def get(value):
    """`None`, or an `AdversarialTraining` from one, a config dict or a spec string.

    `None` and `"none"` mean plain training.

    Raises:
        ValueError: for anything else, naming `adversarial`.
    """
    if value is None or (isinstance(value, str) and value.strip() == "none"):
        return None
    if isinstance(value, AdversarialTraining):
        return value
    if isinstance(value, dict):
        return AdversarialTraining(**value)
    if isinstance(value, str):
        return AdversarialTraining.from_spec(value)
    raise ValueError("`adversarial` must be None, an AdversarialTraining, a dict of its arguments "
                     f"or a spec such as 'pgd:epsilon=32'; received {type(value).__name__}.")

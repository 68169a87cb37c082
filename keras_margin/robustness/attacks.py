"""FGSM and PGD attacks on the inference logits of a Keras model, in TensorFlow.

`pgd(model, images, labels, epsilon, ...)` returns adversarial images: projected
gradient ascent on a loss of the model's *inference* logits (for a `MarginModel`,
`model(x)` without labels, so no margin), inside the L-infinity or L2 ball of radius
`epsilon` around each image and inside `value_range`. `fgsm` is its one-step L-infinity
case without random start. `epsilon` is in the units of the model input: 0-255 pixels
for the project's backbones. `perturb` is the attack as graph ops, on any images ->
logits function: `pgd` compiles it per model, adversarial training
(`keras_margin.robustness.AdversarialTraining`) calls it inside the train step.

Two losses:

- `"cross_entropy"`: softmax cross-entropy of the true class (Madry et al. 2018).
- `"margin"`: the Carlini-Wagner margin max_{j != y} z_j - z_y. Margin heads multiply
  cosines by a large scale (ArcFace: s = 64), so the softmax saturates: the
  cross-entropy gradient of a confidently classified example is ~0 (in float32,
  often exactly 0, whose sign is 0), and an attack on it stalls although the model
  is not robust ("gradient masking", Athalye et al. 2018). The margin never
  saturates: its gradient is the difference of two logits' gradients. It is
  scale-free where it matters here: L-infinity steps take the gradient's sign and
  L2 steps its direction, both unchanged by dividing the logits by a positive scale,
  so it is computed on the logits as they are (on cosine logits, s times the cosine
  margin).

The attacks run as one `tf.function` (a `tf.GradientTape` per step inside a
`tf.while_loop`); they need the TensorFlow backend. They are written here rather than
taken from a library: the Adversarial Robustness Toolbox's `KerasClassifier` needs
eager execution switched off (tf.keras graphs) and its `TensorFlowV2Classifier` runs
eagerly, from NumPy arrays, one framework call per gradient (ART issues #238, #1151);
Foolbox 3 reaches TensorFlow through eagerpy and dropped its Keras wrapper (Foolbox
issue #611); cleverhans has had no release since 2021. None documents Keras 3 models
or attacks compiled as one `tf.function`, and none is a dependency of this package.

References:
    Goodfellow, Shlens & Szegedy, "Explaining and Harnessing Adversarial Examples",
    ICLR 2015 (FGSM).
    Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks",
    ICLR 2018 (PGD).
    Carlini & Wagner, "Towards Evaluating the Robustness of Neural Networks",
    IEEE S&P 2017 (margin loss).
"""

import weakref

import keras
import tensorflow as tf

from keras_margin.utils import validation

__all__ = ["LOSSES", "NORMS", "fgsm", "perturb", "pgd"]

NORMS = ("linf", "l2")
LOSSES = ("cross_entropy", "margin")


def fgsm(model, images, labels, epsilon, value_range=(0, 255), loss="cross_entropy"):
    """Fast gradient sign method: x + epsilon * sign(grad of the loss), clipped.

    Args:
        model: a Keras model from images to logits, or a `MarginModel`.
        images: float images, in `value_range`.
        labels: int class ids, shape (N,).
        epsilon: L-infinity radius, in input units (>= 0).
        value_range: (low, high) of valid inputs; the result is clipped to it.
        loss: "cross_entropy" or "margin" (see the module docstring).

    Returns:
        float32 adversarial images of the input's shape.

    Example:

    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> x = np.full((2, 4), 100.0, "float32")
    >>> adversarial = fgsm(model, x, np.array([0, 1]), epsilon=8.0)
    >>> float(np.max(np.abs(adversarial - x))) <= 8.0
    True
    """
    return pgd(model, images, labels, epsilon, steps=1, step_size=epsilon, norm="linf",
               random_start=False, loss=loss, value_range=value_range)


def pgd(model, images, labels, epsilon, steps=10, step_size=None, norm="linf",
        random_start=True, seed=0, loss="cross_entropy", value_range=(0, 255)):
    """Projected gradient descent (ascent on the loss) in an epsilon-ball.

    Args:
        model: a Keras model from images to logits, or a `MarginModel` (attacked
            through its inference logits, `model(x)`).
        images: float images, in `value_range`.
        labels: int class ids, shape (N,).
        epsilon: radius of the ball, in input units (>= 0).
        steps: number of gradient steps (>= 1).
        step_size: length of a step (L-infinity: per pixel; L2: of the whole step);
            default 2.5 * epsilon / steps (Madry et al.).
        norm: "linf" or "l2".
        random_start: start from a uniform point of the ball rather than the image.
        seed: int seed of the random start (stateless: same seed, same result).
        loss: "cross_entropy" or "margin" (see the module docstring).
        value_range: (low, high) of valid inputs; every iterate is clipped to it.

    Returns:
        float32 adversarial images of the input's shape, within `epsilon` of
        `images` in `norm` and inside `value_range`.

    Example:

    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> x = np.full((2, 4), 100.0, "float32")
    >>> adversarial = pgd(model, x, np.array([0, 1]), epsilon=50.0, norm="l2", steps=5)
    >>> bool(np.all(np.linalg.norm(adversarial - x, axis=1) <= 50.0 + 1e-3))
    True
    """
    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            "The attacks need the TensorFlow backend (KERAS_BACKEND=tensorflow); "
            f"the backend is {keras.backend.backend()!r}."
        )
    epsilon = validation.number_in_range(epsilon, "epsilon", low=0.0)
    steps = validation.integer_at_least(steps, 1, "steps")
    if step_size is None:
        step_size = 2.5 * epsilon / steps
    step_size = validation.number_in_range(step_size, "step_size", low=0.0)
    if norm not in NORMS:
        raise ValueError(f"`norm` must be one of {NORMS}; received {norm!r}.")
    if loss not in LOSSES:
        raise ValueError(f"`loss` must be one of {LOSSES}; received {loss!r}.")
    low, high = validation.number_pair(value_range, "value_range")
    if not low < high:
        raise ValueError(f"`value_range` must have low < high; received {value_range!r}.")
    seed = validation.integer_at_least(seed, 0, "seed")

    images = tf.cast(tf.convert_to_tensor(images), tf.float32)
    labels = tf.convert_to_tensor(labels)
    if labels.shape.rank != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(
            "`labels` must be class ids of shape (N,), one per image; received shape "
            f"{labels.shape} for images of shape {images.shape}."
        )
    labels = tf.cast(labels, tf.int32)
    attack = _compiled_attack(model, norm, loss, random_start)
    return attack(images, labels, tf.constant(epsilon), tf.constant(step_size),
                  tf.constant(steps), tf.constant([seed, 0], tf.int64),
                  tf.constant(low), tf.constant(high))


def _loss(logits, labels, loss):
    """Per-example loss to maximise, on float32 logits (N, classes); `labels` are class
    ids (N,) or class probabilities (N, classes)."""
    if labels.shape.rank == 2:
        if loss == "cross_entropy":
            return tf.nn.softmax_cross_entropy_with_logits(
                labels=tf.cast(labels, tf.float32), logits=logits)
        labels = tf.argmax(labels, axis=-1, output_type=tf.int32)
    if loss == "cross_entropy":
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    true = tf.gather(logits, labels, batch_dims=1)
    others = tf.where(tf.one_hot(labels, tf.shape(logits)[-1]) > 0, -float("inf"), logits)
    return tf.reduce_max(others, axis=-1) - true


def _l2_norm(values):
    """Per-example L2 norm over all but the batch axis, shaped to broadcast on `values`."""
    axes = list(range(1, values.shape.rank))
    return tf.sqrt(tf.reduce_sum(tf.square(values), axis=axes, keepdims=True))


def _project(adversarial, images, epsilon, norm, low, high):
    delta = adversarial - images
    if norm == "linf":
        delta = tf.clip_by_value(delta, -epsilon, epsilon)
    else:
        delta = delta * tf.minimum(1.0, epsilon / tf.maximum(_l2_norm(delta), 1e-12))
    # Clipping towards the valid range only shortens delta: images are in range.
    return tf.clip_by_value(images + delta, low, high)


def _random_start(images, epsilon, norm, seed):
    shape = tf.shape(images)
    if norm == "linf":
        return images + tf.random.stateless_uniform(shape, seed, -epsilon, epsilon)
    direction_seed, radius_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
    direction = tf.random.stateless_normal(shape, direction_seed)
    direction /= tf.maximum(_l2_norm(direction), 1e-12)
    # Uniform in the ball: radius epsilon * U^(1/d).
    dimension = tf.cast(tf.reduce_prod(shape[1:]), tf.float32)
    radius_shape = tf.concat([shape[:1], tf.ones_like(shape[1:])], 0)
    radius = epsilon * tf.random.stateless_uniform(radius_shape, radius_seed) ** (1.0 / dimension)
    return images + direction * radius


# One compiled attack per model and static configuration, dropped with the model: the
# attacks reach their model through a weak reference, else the cache's values would
# keep its keys alive.
_ATTACKS = weakref.WeakKeyDictionary()


def _compiled_attack(model, norm, loss, random_start):
    try:
        per_model = _ATTACKS.setdefault(model, {})
        model_ref = weakref.ref(model)
    except TypeError:  # not weakly referenceable: compile for this call only
        per_model = {}

        def model_ref():
            return model

    key = (norm, loss, bool(random_start))
    if key not in per_model:
        per_model[key] = _build_attack(model_ref, norm, loss, bool(random_start))
    return per_model[key]


def _build_attack(model_ref, norm, loss, random_start):
    @tf.function(reduce_retracing=True)
    def attack(images, labels, epsilon, step_size, steps, seed, low, high):
        return perturb(lambda x: model_ref()(x, training=False), images, labels, epsilon,
                       step_size, steps, seed, low, high, norm=norm, loss=loss,
                       random_start=random_start)

    return attack


def perturb(logits_fn, images, labels, epsilon, step_size, steps, seed, low, high, norm="linf",
            loss="cross_entropy", random_start=True):
    """The attack itself, as graph ops: for `pgd`, and for adversarial training, which
    calls it inside a compiled train step. Arguments are not checked here (`pgd` and
    `keras_margin.robustness.AdversarialTraining` check them).

    Args:
        logits_fn: images -> logits, differentiable in the images.
        images: float32 images, in [low, high].
        labels: int32 class ids (N,), or float class probabilities (N, classes) (soft
            labels of MixUp / CutMix: the cross-entropy is taken against them, the
            margin loss against their most probable class).
        epsilon, step_size, steps: scalars (tensors or numbers); `steps` may be a tensor.
        seed: int64 pair, the stateless seed of the random start.
        low, high: the valid input range.
        norm, loss, random_start: Python values (they choose the graph).

    Returns:
        The adversarial images, float32.
    """
    adversarial = images
    if random_start:
        adversarial = _project(
            _random_start(images, epsilon, norm, seed), images, epsilon, norm, low, high
        )

    def step(i, adversarial):
        with tf.GradientTape() as tape:
            tape.watch(adversarial)
            logits = tf.cast(logits_fn(adversarial), tf.float32)
            objective = tf.reduce_sum(_loss(logits, labels, loss))
        gradient = tape.gradient(objective, adversarial)
        if norm == "linf":
            update = tf.sign(gradient)
        else:
            update = gradient / tf.maximum(_l2_norm(gradient), 1e-12)
        moved = adversarial + step_size * update
        return i + 1, _project(moved, images, epsilon, norm, low, high)

    _, adversarial = tf.while_loop(
        lambda i, _: i < steps, step, (tf.constant(0), adversarial)
    )
    return adversarial

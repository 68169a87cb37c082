"""`Policy`: what an augmentation policy of any modality is, and how a pipeline applies it.

`keras_margin.augment.image.policy`, `audio.policy` and `text.policy` all return a
`Policy`; `keras_margin.data.load`, `load_audio` and `load_text` (and the studies) apply
it with `policy.apply(dataset, seed)`, the one place where a policy meets `tf.data`.
"""

import dataclasses

import keras
import tensorflow as tf

from keras_margin.augment.augmentation_layer import AugmentationLayer
from keras_margin.augment.seeded_map import _check_augmentation
from keras_margin.augment.seeded_map import apply_all
from keras_margin.augment.seeded_map import apply_layer
from keras_margin.augment.seeded_map import seeded_map
from keras_margin.augment.seeded_map import takes_seed
from keras_margin.utils import validation

__all__ = ["MODALITIES", "Policy"]

MODALITIES = ("image", "audio", "text")

# After `copies`, the copies of one example sit side by side in one batch; a buffer
# this size mixes them across batches (the EDA study's setting, which it reproduces).
COPIES_SHUFFLE_BUFFER = 20_000


@dataclasses.dataclass(frozen=True, repr=False)
class Policy:
    """An augmentation policy: pipeline layers, an optional in-model layer, soft labels.

    A policy has up to three parts, because augmentation happens in up to three places:

    - `layers`, applied to every *batched* training element inside `tf.data`, in order,
      by `apply` (or by calling the policy on one batch);
    - `mixer`, applied after them: a batch-level augmentation that mixes pairs of
      examples and so turns class ids into soft labels (`soft_labels` is then True);
    - `model_layer`, a Keras layer that belongs inside the model because what it
      augments exists only there (audio's SpecAugment works on the spectrogram the
      backbone computes). keras_margin layers follow the model's `training` flag, so it
      does nothing in `predict` or in an export.

    With `copies`, `apply` keeps every example and adds that many augmented copies of
    it (Wei & Zou's EDA `num_aug`), then reshuffles them into batches of `batch_size`.

    Args:
        name: the policy's name, such as `"standard"`.
        modality: `"image"`, `"audio"` or `"text"`.
        layers: the pipeline augmentations, in order (a tuple; a list is converted):
            keras_margin augmentation layers, or pipeline-level callables
            `augment(inputs, labels, seed=None) -> (inputs, labels)`.
        model_layer: None, or a Keras layer to put inside the model (training only).
        mixer: None, or a batch-level augmentation that takes and returns labels
            (`augment(inputs, labels, seed=None)`, or a layer with `mixes_labels`).
        copies: None (every example is replaced by its augmented self), or an integer
            >= 1: the originals are kept and `copies` augmented copies are added. Not
            with a `mixer`.

    Attributes:
        soft_labels: True when the policy returns soft labels (it has a `mixer`).

    Raises:
        ValueError: naming the argument, for a bad `name`, `modality`, `layers`,
            `model_layer`, `mixer` or `copies`.

    Example:

    >>> import numpy as np, tensorflow as tf
    >>> from keras_margin.augment import Policy, text
    >>> policy = Policy("swap", "text", layers=[text.RandomSwap(alpha=0.5, seed=0)], copies=2)
    >>> policy
    <Policy 'swap' (text): RandomSwap; 2 copies>
    >>> texts = tf.constant(["one two three", "four five six"])
    >>> data = tf.data.Dataset.from_tensor_slices((texts, np.arange(2))).batch(2)
    >>> [tuple(t.shape) for t, _ in policy.apply(data, seed=0)]
    [(6,)]
    >>> [tuple(t.shape) for t, _ in policy.apply(data, seed=0, batch_size=4)]
    [(4,), (2,)]

    Notes:
        Randomness follows the package's one rule (`keras_margin.augment.seeded_map`).
        `apply(dataset, seed)` maps the policy with `seeded_map`: the `k`-th entry of
        `layers` (then the `mixer`) draws from `stateless_fold_in(element_seed, k)`, so
        the augmented dataset is a function of `seed` under any parallelism, and
        `policy(inputs, labels, seed=element_seed)` gives the same batch. An image
        policy casts and clips around all its steps, so it is mapped as one
        pipeline-level step instead (`seeded_map(dataset, policy, seed)`, as before
        this type existed): its `k`-th step draws from
        `stateless_fold_in(stateless_fold_in(element_seed, 0), k)`.

        With `seed=None` (and no `copies`), `apply` is `dataset.map(policy)`: each layer
        draws from its own state, seeded from its `seed` argument, which is
        reproducible only under a sequential map.
    """

    name: str
    modality: str
    layers: tuple = ()
    model_layer: object = None
    mixer: object = None
    copies: object = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"`name` must be a non-empty string; received {self.name!r}.")
        if self.modality not in MODALITIES:
            raise ValueError(
                f"`modality` must be one of {', '.join(repr(m) for m in MODALITIES)}; "
                f"received {self.modality!r}."
            )
        if not isinstance(self.layers, (list, tuple)):
            raise ValueError(
                "`layers` must be a list or tuple of augmentations; received "
                f"{type(self.layers).__name__}."
            )
        object.__setattr__(self, "layers", tuple(self.layers))
        self._check_layers()
        if self.model_layer is not None and not isinstance(self.model_layer, keras.layers.Layer):
            raise ValueError(
                "`model_layer` must be None or a Keras layer; received "
                f"{type(self.model_layer).__name__}."
            )
        if self.mixer is not None and not (
            isinstance(self.mixer, AugmentationLayer) or (callable(self.mixer) and takes_seed(self.mixer))
        ):
            raise ValueError(
                "`mixer` must be None or a batch-level augmentation "
                "`augment(inputs, labels, seed=None)`; received "
                f"{type(self.mixer).__name__}."
            )
        if self.copies is not None:
            object.__setattr__(self, "copies", validation.integer_at_least(self.copies, 1, "copies"))
            if self.mixer is not None:
                raise ValueError(
                    "`copies` keep their labels, so they cannot be made with a `mixer`; "
                    f"received copies={self.copies} and a {type(self.mixer).__name__}."
                )

    def _check_layers(self):
        for layer in self.layers:
            _check_augmentation(layer)

    @property
    def soft_labels(self):
        """True when the policy mixes examples and returns soft labels."""
        return self.mixer is not None

    def apply(self, dataset, seed=None, batch_size=None):
        """The policy's pipeline part (`layers`, `mixer`, `copies`) on a batched dataset.

        Args:
            dataset: a batched `tf.data.Dataset` of `(inputs, labels)` (training data).
            seed: an integer >= 0: mapped with `seeded_map`, reproducible under any
                parallelism and different every epoch; or None (see the class notes).
            batch_size: with `copies`, the size of the reshuffled batches; None keeps
                each batch with its copies (`batch * (copies + 1)` examples). Ignored
                without `copies`.

        Returns:
            The augmented `tf.data.Dataset`; `dataset` itself for a policy that does
            nothing.

        Raises:
            ValueError: naming the argument, for a `dataset` that is not a
                `tf.data.Dataset`, or a bad `seed` or `batch_size`.
        """
        if not isinstance(dataset, tf.data.Dataset):
            raise ValueError(
                f"`dataset` must be a tf.data.Dataset; received {type(dataset).__name__}."
            )
        if seed is not None:
            seed = validation.integer_at_least(seed, 0, "seed")
        if batch_size is not None:
            batch_size = validation.integer_at_least(batch_size, 1, "batch_size")
        if self._does_nothing():
            return dataset
        if seed is None and self.copies is None:
            return dataset.map(self, num_parallel_calls=tf.data.AUTOTUNE)
        augmented = seeded_map(dataset, self._mapped(), seed=seed, num_aug=self.copies)
        if self.copies is not None and batch_size is not None:
            augmented = augmented.unbatch().shuffle(COPIES_SHUFFLE_BUFFER, seed=seed).batch(batch_size)
        return augmented

    def __call__(self, inputs, labels, seed=None):
        """Augments one batch: `layers` in order, then `mixer` (no `copies`).

        With a (2,) `seed` tensor, the `k`-th step draws from
        `stateless_fold_in(seed, k)`, as in `seeded_map`; without one, from its own
        state.
        """
        element = (inputs, labels)
        if seed is not None:
            return apply_all(self._steps(), element, seed)
        for step in self._steps():
            element = apply_layer(step, element, None)
        return element

    def _steps(self):
        return (*self.layers, self.mixer) if self.mixer is not None else self.layers

    def _mapped(self):
        """What `apply` hands to `seeded_map`: the steps themselves."""
        return list(self._steps())

    def _does_nothing(self):
        return not self.layers and self.mixer is None and self.copies is None

    def __repr__(self):
        parts = [", ".join(type(layer).__name__ for layer in self.layers)] if self.layers else []
        if self.mixer is not None:
            mixer_layers = getattr(self.mixer, "layers", None)
            mixer = (" or ".join(type(layer).__name__ for layer in mixer_layers) if mixer_layers
                     else type(self.mixer).__name__)
            parts.append(f"then {mixer} (soft labels)")
        if self.copies is not None:
            parts.append(f"{self.copies} {'copy' if self.copies == 1 else 'copies'}")
        if self.model_layer is not None:
            parts.append(f"in the model: {type(self.model_layer).__name__}")
        return f"<Policy {self.name!r} ({self.modality}): {'; '.join(parts) or 'no augmentation'}>"

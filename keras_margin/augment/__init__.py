"""Augmentation for training pipelines: `image`, `text` and `audio`.

Everything here runs inside `tf.data`, never inside the model, so an exported model
contains nothing random. The one exception is opt-in: an audio policy's spectrogram
layer goes inside the audio backbone (the spectrogram is computed there), and it
follows the model's training flag, so it does nothing in `predict` or an export.

Every modality's `policy(...)` returns the one `Policy` type: the layers that run in
`tf.data`, an optional layer for inside the model (audio's SpecAugment), and whether it
makes soft labels. `data.load`, `load_audio` and `load_text` take it as `augment=` and
apply it with `policy.apply(dataset, seed)`.

Example:

>>> from keras_margin.augment import image
>>> augment = image.policy("standard")
>>> augment.modality, augment.soft_labels
('image', False)

Randomness: every layer draws statelessly from a per-call seed tensor, and
`seeded_map(dataset, layers, seed)` hands each dataset element its own seed, so an
augmented dataset is a function of the seed under any `tf.data` parallelism (see
`keras_margin.augment.seeded_map`).
"""

from keras_margin.utils.quiet import import_tensorflow_quietly

import_tensorflow_quietly()  # first, on any Keras backend: this package is built on TensorFlow

from keras_margin.augment import audio
from keras_margin.augment import image
from keras_margin.augment import magnitude
from keras_margin.augment import text
from keras_margin.augment.policy import Policy  # noqa: E402
# The function, not its module: `keras_margin.augment.seeded_map(dataset, layers, seed)`.
from keras_margin.augment.seeded_map import seeded_map  # noqa: E402

__all__ = ["Policy", "audio", "image", "magnitude", "seeded_map", "text"]

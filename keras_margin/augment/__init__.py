"""Augmentation for training pipelines: `image` and `text`; `audio` to come.

Everything here runs inside `tf.data`, never inside the model, so an exported model
contains nothing random.

Example:

>>> from keras_margin.augment import image
>>> augment = image.policy("standard")
"""

from keras_margin.augment import image
from keras_margin.augment import magnitude
from keras_margin.augment import text

__all__ = ["image", "magnitude", "text"]

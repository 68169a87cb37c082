"""Robustness: common corruptions, adversarial attacks and adversarial training.

Built on TensorFlow ops (the corruptions run in `tf.data`, the attacks under
`tf.function`), so this package needs TensorFlow whatever the Keras backend. It sits
above `models`: nothing below imports it.

Example:

>>> import keras_margin as km
>>> sorted(km.robustness.FAMILIES)
['blur', 'digital', 'geometric', 'noise']
"""

from keras_margin.utils.quiet import import_tensorflow_quietly

import_tensorflow_quietly()  # first, on any Keras backend: this package is built on TensorFlow

from keras_margin.robustness.adversarial_training import AdversarialTraining  # noqa: E402
from keras_margin.robustness.attacks import fgsm  # noqa: E402
from keras_margin.robustness.attacks import pgd  # noqa: E402
from keras_margin.robustness.corruptions import CORRUPTIONS  # noqa: E402
from keras_margin.robustness.corruptions import FAMILIES  # noqa: E402
from keras_margin.robustness.corruptions import PARAMETERS  # noqa: E402
from keras_margin.robustness.corruptions import corrupt  # noqa: E402

__all__ = ["AdversarialTraining", "CORRUPTIONS", "FAMILIES", "PARAMETERS", "corrupt", "fgsm", "pgd"]

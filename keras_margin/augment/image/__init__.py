"""Image augmentation: policies for `tf.data` and the random layers they are made of.

`policy(name, ...)` returns a ready-made augmentation callable (see `policies`). The
layers run inside `tf.data` on batches, draw every image's randomness on its own, and
are the identity (or a fixed resize) with `training=False`:

- `RandAugment`, `TrivialAugment`: per-image operation policies, fast on uint8.
- `RandomAffine`: rotation, translation, zoom and shear in one resample.
- `RandomResizedCrop`: Inception-style crops; a central crop at inference.
- `RandomApply`, `RandomChoice`: per-image probability / choice of layers.
- `GridMask`, `FourierMix` (FMix), `RandomJPEGQuality`, `GaussianNoise`.

`seeded_map(dataset, layers, seed)` maps layers over a dataset with randomness that is
a function of the seed, the epoch and the element index, under any parallelism.
"""

from keras_margin.augment.image.policies import POLICIES
from keras_margin.augment.image.policies import describe
from keras_margin.augment.image.policies import policy
from keras_margin.augment.image.rand_augment import RandAugment
from keras_margin.augment.image.seeded_map import seeded_map
from keras_margin.augment.random_affine import RandomAffine

__all__ = [
    "POLICIES",
    "RandAugment",
    "RandomAffine",
    "describe",
    "policy",
    "seeded_map",
]

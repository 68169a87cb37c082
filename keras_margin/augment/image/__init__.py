"""Image augmentation: policies for `tf.data` and the random layers they are made of.

`policy(name, ...)` returns a ready-made augmentation callable (see `policies`). The
layers run inside `tf.data` on batches, draw every image's randomness on its own, and
are the identity (or, for `RandomResizedCrop`, a fixed central crop) with
`training=False`:

- `RandAugment`, `TrivialAugment`: per-image operation policies, fast on uint8.
- `RandomAffine`: rotation, translation, zoom and shear in one resample.
- `RandomResizedCrop`: Inception-style crops; a central crop at inference.
- `RandomApply`, `RandomChoice`: per-image probability / choice of layers.
- `GridMask`, `FourierMix` (FMix, soft labels), `RandomJPEGQuality`, `GaussianNoise`.

`seeded_map(dataset, layers, seed)` maps the layers over a dataset with randomness that
is a function of the seed, the epoch and the element index, under any parallelism.
"""

from keras_margin.augment.image.fourier_mix import FourierMix
from keras_margin.augment.image.gaussian_noise import GaussianNoise
from keras_margin.augment.image.grid_mask import GridMask
from keras_margin.augment.image.policies import POLICIES
from keras_margin.augment.image.policies import describe
from keras_margin.augment.image.policies import policy
from keras_margin.augment.image.rand_augment import RandAugment
from keras_margin.augment.image.random_affine import RandomAffine
from keras_margin.augment.image.random_apply import RandomApply
from keras_margin.augment.image.random_choice import RandomChoice
from keras_margin.augment.image.random_jpeg_quality import RandomJPEGQuality
from keras_margin.augment.image.random_resized_crop import RandomResizedCrop
from keras_margin.augment.image.trivial_augment import TrivialAugment
from keras_margin.augment.seeded_map import seeded_map

__all__ = [
    "POLICIES",
    "FourierMix",
    "GaussianNoise",
    "GridMask",
    "RandAugment",
    "RandomAffine",
    "RandomApply",
    "RandomChoice",
    "RandomJPEGQuality",
    "RandomResizedCrop",
    "TrivialAugment",
    "describe",
    "policy",
    "seeded_map",
]

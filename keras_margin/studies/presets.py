"""The grids of `keras-margin compare`: a `Preset` of grid values, and the named presets."""

import dataclasses
import itertools

from keras_margin.studies.run_spec import STUDIES
from keras_margin.studies.run_spec import RunSpec


@dataclasses.dataclass(frozen=True)
class Preset:
    """The values a comparison grid is the product of, for its three studies.

    - closed set: `closed_set_dataset` x `samples_per_class` x `augments` x `heads` x `seeds`;
    - open set: each of `open_set_datasets` x `augments` x `heads` x `seeds`, trained with
      `open_set_samples_per_class` per seen identity;
    - embedding picture: `picture_heads` with `embedding_dim=2` on the closed-set
      dataset, no augmentation, seed 0.

    An empty tuple switches a study off, and so does leaving it out of `studies`.
    """

    heads: tuple
    augments: tuple
    samples_per_class: tuple
    seeds: tuple
    steps: int
    closed_set_dataset: str = "mnist-5k"
    open_set_datasets: tuple = ("mnist-5k-open",)
    open_set_samples_per_class: object = 100
    picture_heads: tuple = ("softmax", "arcface")
    studies: tuple = STUDIES

    def specs(self):
        """The `RunSpec`s of the grid, in the order they run."""
        closed = grid("closed-set", [self.closed_set_dataset], self.heads, self.augments,
                      self.samples_per_class, self.seeds, self.steps)
        opened = grid("open-set", self.open_set_datasets, self.heads, self.augments,
                      [self.open_set_samples_per_class], self.seeds, self.steps)
        picture = grid("embedding-picture", [self.closed_set_dataset], self.picture_heads, ["none"],
                       [100], [0], self.steps, embedding_dim=2)
        chosen = {"closed-set": closed, "open-set": opened, "embedding-picture": picture}
        return [spec for study in STUDIES if study in self.studies for spec in chosen[study]]


def grid(study, datasets, heads, augments, samples_per_class, seeds, steps, **fields):
    """All `RunSpec`s of the product datasets x sizes x augments x heads x seeds."""
    return [
        RunSpec(study, dataset, head, augment, samples, seed, steps, **fields)
        for dataset, samples, augment, head, seed in itertools.product(
            datasets, samples_per_class, augments, heads, seeds
        )
    ]


PRESETS = {
    # 12 closed-set + 6 open-set + 2 picture runs: about 4 minutes on 2 CPU cores.
    "quick": Preset(
        heads=("softmax", "cosface", "arcface"), augments=("none", "standard"),
        samples_per_class=(10, 50), seeds=(0,), steps=150,
    ),
    # 72 closed-set + 24 open-set + 4 picture runs: about 25 minutes on 2 CPU cores.
    # NormFace is the control: normalised like the margin heads, but without a margin.
    "default": Preset(
        heads=("softmax", "normface", "cosface", "arcface"),
        augments=("none", "standard"), samples_per_class=(10, 30, 100), seeds=(0, 1, 2), steps=250,
        picture_heads=("softmax", "normface", "cosface", "arcface"),
    ),
}

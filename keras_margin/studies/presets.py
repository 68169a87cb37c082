"""The grids of `keras-margin compare`: a `Preset` of grid values, and the named presets."""

import dataclasses
import itertools

from keras_margin.studies.head_spec import parse_head_spec
from keras_margin.studies.run_spec import STUDIES
from keras_margin.studies.run_spec import RunSpec

# Grids that `--studies` names besides the studies of `RunSpec`: closed-set (and, for
# pair losses, open-set) runs that vary how the backbone starts or what trains it.
GRID_STUDIES = STUDIES + ("ssl", "transfer", "pair-losses")
# The transfer source of `"transfer"` for each closed-set dataset: the other one of the
# two the pre-training study is about (the same channels, resized to each other's size).
TRANSFER_SOURCES = {"mnist-5k": "glyphs", "glyphs": "mnist-5k"}
# The loss on embeddings that `"pair-losses"` adds to the heads.
PAIR_LOSS_HEADS = ("triplet",)


@dataclasses.dataclass(frozen=True)
class Preset:
    """The values a comparison grid is the product of, for its three studies.

    - closed set: `closed_set_dataset` x `samples_per_class` x `augments` x `heads` x `seeds`;
    - open set: each of `open_set_datasets` x `augments` x `heads` x `seeds`, trained with
      `open_set_samples_per_class` per seen identity;
    - embedding picture: `picture_heads` with `embedding_dim=2` on the closed-set
      dataset, no augmentation, seed 0;
    - the training difficulties, on the closed-set dataset with `difficulty_augment`
      and `difficulty_samples_per_class`: `long_tailed` (head, remedy) pairs on a split
      with `imbalance_ratio`; `label_noise` pairs at each of `label_noise_rates`;
      `convergence` pairs. Only in the `studies` that name them;
    - robustness: each of `robustness_datasets` x `samples_per_class` x `augments` x
      `heads` x `adversarial` (adversarial-training specs, `"none"` for plain training)
      x `seeds`, each run measured under corruptions and PGD (`corruptions`,
      `attack_epsilons`, `robustness_test_size`; see `RunSpec`). Only in `studies`
      that name it;
    - `"ssl"`, `"transfer"`: the closed-set grid once from scratch and once pre-trained,
      by SimCLR on the unlabelled pool or on the other dataset of `TRANSFER_SOURCES`
      (`RunSpec.pretraining`); `"pair-losses"`: the closed-set and open-set grids with
      `PAIR_LOSS_HEADS` added to `heads`. A run that two of them share runs once.

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
    studies: tuple = ("closed-set", "open-set", "embedding-picture")
    difficulty_augment: str = "standard"
    difficulty_samples_per_class: int = 100
    imbalance_ratio: float = 100
    # None: the largest class keeps its whole pool (mnist-5k: 360), so the rarest keeps 4
    # at ratio 100 rather than 1.
    long_tailed_samples_per_class: object = None
    long_tailed: tuple = (("softmax", "none"), ("softmax", "class-weights"), ("cosface", "none"),
                          ("ldam", "drw"))
    label_noise_rates: tuple = (0.2, 0.4)
    label_noise: tuple = (("softmax", "none"), ("arcface", "none"), ("softmax", "bootstrapping"),
                          ("subcenterarcface", "sub-center-cleaning"))
    convergence: tuple = (("arcface", "none"), ("arcface", "margin-warmup"))
    robustness_datasets: tuple = ("mnist-5k", "fashion-mnist")
    adversarial: tuple = ("none", "pgd:epsilon=32")
    corruptions: tuple = ()
    attack_epsilons: tuple = ()
    robustness_test_size: int = 1000

    def specs(self):
        """The `RunSpec`s of the grid, in the order they run."""
        # Built only for the studies chosen: a spec checks itself (a loss on embeddings
        # refuses adversarial training), so an unchosen study must not be built.
        chosen = {
            "closed-set": self._closed_set,
            "open-set": lambda: grid("open-set", self.open_set_datasets, self.heads, self.augments,
                                     [self.open_set_samples_per_class], self.seeds, self.steps),
            "embedding-picture": lambda: grid("embedding-picture", [self.closed_set_dataset],
                                              self.picture_heads, ["none"], [100], [0], self.steps,
                                              embedding_dim=2),
            "long-tailed": lambda: self._difficulty("long-tailed", self.long_tailed,
                                                    imbalance_ratio=self.imbalance_ratio,
                                                    samples=self.long_tailed_samples_per_class),
            "label-noise": lambda: [spec for rate in self.label_noise_rates for spec in
                                    self._difficulty("label-noise", self.label_noise, label_noise=rate)],
            "convergence": lambda: self._difficulty("convergence", self.convergence),
            "robustness": self._robustness,
        }
        chosen.update(ssl=lambda: self._pretrained("simclr"),
                      transfer=lambda: self._pretrained(f"transfer:{self._transfer_source()}"),
                      **{"pair-losses": self._pair_losses})
        specs = [spec for study in GRID_STUDIES if study in self.studies for spec in chosen[study]()]
        return list({spec.key: spec for spec in specs}.values())

    def _closed_set(self, heads=None):
        return grid("closed-set", [self.closed_set_dataset], heads or self.heads, self.augments,
                    self.samples_per_class, self.seeds, self.steps)

    def _pretrained(self, pretraining):
        return [dataclasses.replace(spec, pretraining=choice) for spec in self._closed_set()
                for choice in ("none", pretraining)]

    def _transfer_source(self):
        if self.closed_set_dataset not in TRANSFER_SOURCES:
            raise ValueError(f"the transfer study pre-trains {', '.join(TRANSFER_SOURCES)} on each "
                             f"other; for {self.closed_set_dataset!r} give the source with "
                             "--studies closed-set --pretraining none,transfer:DATASET")
        return TRANSFER_SOURCES[self.closed_set_dataset]

    def _pair_losses(self):
        heads = self.heads + tuple(head for head in PAIR_LOSS_HEADS if head not in self.heads)
        return self._closed_set(heads) + grid("open-set", self.open_set_datasets, heads, self.augments,
                                              [self.open_set_samples_per_class], self.seeds, self.steps)

    def _robustness(self):
        evaluation = dict(corruptions=self.corruptions, attack_epsilons=self.attack_epsilons,
                          robustness_test_size=self.robustness_test_size)
        return [spec for adversarial in self.adversarial
                for spec in grid("robustness", self.robustness_datasets, self.heads, self.augments,
                                 self.samples_per_class, self.seeds, self.steps,
                                 adversarial=adversarial, **evaluation)]

    def _difficulty(self, study, pairs, samples="preset", **fields):
        samples = self.difficulty_samples_per_class if samples == "preset" else samples
        return _difficulty_specs(self, study, pairs, samples, **fields)


def _difficulty_specs(preset, study, pairs, samples, **fields):
    return [
        RunSpec(study, preset.closed_set_dataset, head, preset.difficulty_augment, samples, seed,
                preset.steps, remedy=remedy, **fields)
        for head, remedy in pairs for seed in preset.seeds
    ]


def grid(study, datasets, heads, augments, samples_per_class, seeds, steps, **fields):
    """All `RunSpec`s of the product datasets x sizes x augments x heads x seeds.

    `heads` are head specs: a name, or a name with options such as `"arcface:scale=16"`
    (see `head_spec`)."""
    return [
        RunSpec(study, dataset, name, augment, samples, seed, steps, head_options=options, **fields)
        for dataset, samples, augment, (name, options), seed in itertools.product(
            datasets, samples_per_class, augments, [parse_head_spec(head) for head in heads], seeds
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
    # The training difficulties of docs/training_difficulties.md on mnist-5k, 100 per
    # class (long-tailed: 360 down to 4), standard augmentation, 3 seeds: 12 long-tailed + 24 label-noise
    # (20% and 40%) + 6 convergence runs.
    "difficulties": Preset(
        heads=(), augments=(), samples_per_class=(), seeds=(0, 1, 2), steps=250,
        studies=("long-tailed", "label-noise", "convergence"),
    ),
    # docs/robustness.md: the four heads of issue 17, with and without augmentation and
    # PGD adversarial training, on mnist-5k and Fashion-MNIST at 100 per class, 3 seeds:
    # 2 x 4 x 2 x 2 x 3 = 96 runs, each measured under 15 corruptions x 5 severities and
    # PGD at 5 radii on 1,000 test images. Add --patience for the converged recipe.
    "robustness": Preset(
        heads=("softmax", "cosface", "arcface", "softmax+arcface"), augments=("none", "standard"),
        samples_per_class=(100,), seeds=(0, 1, 2), steps=2000, studies=("robustness",),
    ),
}


@dataclasses.dataclass(frozen=True)
class TextPreset:
    """The grid of `keras-margin compare --task text`: the EDA paper's limited-data
    setting, `datasets` x `num_train` x `augments` (`"none"`, `"eda"`) x `heads` x `seeds`,
    with the `text_cnn` backbone and the paper's recommended EDA parameters per size."""

    datasets: tuple
    num_train: tuple
    heads: tuple
    seeds: tuple
    steps: int
    augments: tuple = ("none", "eda")

    def specs(self):
        return [
            RunSpec("text", dataset, name, augment, None, seed, self.steps, num_train=size,
                    head_options=options)
            for dataset, size, augment, (name, options), seed in itertools.product(
                self.datasets, self.num_train, self.augments,
                [parse_head_spec(head) for head in self.heads], self.seeds)
        ]


TEXT_PRESETS = {
    # 6 runs: about 2 minutes on 2 CPU cores.
    "quick": TextPreset(datasets=("fortunes",), num_train=(500,), heads=("softmax", "cosface", "arcface"),
                        seeds=(0,), steps=150),
    # 72 runs on the Debian fortunes topics and the food reviews, N = 500 and 2,000.
    "default": TextPreset(datasets=("fortunes", "food-reviews"), num_train=(500, 2000),
                          heads=("softmax", "cosface", "arcface"), seeds=(0, 1, 2), steps=300),
}


@dataclasses.dataclass(frozen=True)
class AudioPreset:
    """The grid of `keras-margin compare --task audio`: margin heads with and without
    audio augmentation on little data, with the `audio_cnn` backbone.

    - closed set: each of `datasets` (`keras_margin.data.load_audio` names) x
      `samples_per_class` x `augments` x `heads` x `seeds`;
    - open set: each of `open_set_datasets` (`"instruments-open"`) x `augments` x
      `heads` x `seeds`, trained with `open_set_samples_per_class` notes per seen
      instrument and verified on unseen instruments.

    `augments` are `keras_margin.augment.audio` policy names. Runs are ordinary
    `"closed-set"` and `"open-set"` `RunSpec`s whose dataset is an audio dataset, so
    their keys are those of the image grid's fields and the report is the same.
    """

    datasets: tuple
    heads: tuple
    samples_per_class: tuple
    seeds: tuple
    steps: int
    augments: tuple = ("none", "standard")
    open_set_datasets: tuple = ("instruments-open",)
    open_set_samples_per_class: object = 20
    studies: tuple = ("closed-set", "open-set")

    def specs(self):
        closed = grid("closed-set", self.datasets, self.heads, self.augments,
                      self.samples_per_class, self.seeds, self.steps)
        opened = grid("open-set", self.open_set_datasets, self.heads, self.augments,
                      [self.open_set_samples_per_class], self.seeds, self.steps)
        chosen = {"closed-set": closed, "open-set": opened}
        return [spec for study in ("closed-set", "open-set") if study in self.studies
                for spec in chosen[study]]


AUDIO_PRESETS = {
    # 12 closed-set + 6 open-set runs on the rendered instrument notes.
    "quick": AudioPreset(datasets=("instruments",), heads=("softmax", "cosface", "arcface"),
                         samples_per_class=(10, 50), seeds=(0,), steps=150),
    # 24 instrument + 24 spoken-digit closed-set runs + 12 open-set runs.
    "default": AudioPreset(
        datasets=("instruments", "spoken-digits"), heads=("softmax", "cosface", "arcface"),
        samples_per_class=(10, 50), seeds=(0, 1), steps=200,
    ),
}

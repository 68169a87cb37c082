"""`RunSpec`: one training run of a study, and the key that makes studies resumable."""

import dataclasses
import hashlib
import json

STUDIES = ("closed-set", "open-set", "embedding-picture")


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """Everything that decides the outcome of one run of `keras-margin compare`.

    Two runs with equal fields give the same result up to the non-determinism of
    parallel CPU kernels, so `key` identifies a finished run in `results.jsonl`.

    Attributes:
        study: `"closed-set"` (train and test on the same classes), `"open-set"`
            (train on some identities, verify pairs of identities never seen), or
            `"embedding-picture"` (a 2-D embedding, kept for plotting).
        dataset: the dataset name given to `keras_margin.data`.
        head: a head name of `keras_margin.heads.get`.
        augment: an augmentation policy name of `keras_margin.augment.image`.
        samples_per_class: training examples per class, or None for the whole pool.
        seed: seed of the data split, the subsample, the augmentation and the weights.
        steps: optimizer steps. Every run of a grid gets the same number, whatever
            its training-set size: with a fixed number of epochs instead, the smallest
            sets would get a handful of steps and never leave chance accuracy.
        embedding_dim: size of the embedding.
        batch_size: examples per batch.
        learning_rate: initial Adam learning rate (cosine-decayed to 0).
    """

    study: str
    dataset: str
    head: str
    augment: str
    samples_per_class: object
    seed: int
    steps: int
    embedding_dim: int = 64
    batch_size: int = 64
    learning_rate: float = 2e-3

    def __post_init__(self):
        if self.study not in STUDIES:
            raise ValueError(f"`study` must be one of {', '.join(STUDIES)}; received {self.study!r}.")

    @property
    def key(self):
        """A short stable id: the same fields give the same key in every process."""
        text = json.dumps(dataclasses.asdict(self), sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    def label(self):
        """A readable one-line description for progress output."""
        samples = "all" if self.samples_per_class is None else self.samples_per_class
        return (f"{self.study} {self.dataset} {self.head} augment={self.augment} "
                f"per-class={samples} seed={self.seed}")

    def as_dict(self):
        return dataclasses.asdict(self)

"""`RunSpec`: one training run of a study, and the key that makes studies resumable."""

import dataclasses
import hashlib
import json

from keras_margin.studies.head_spec import head_label

STUDIES = ("closed-set", "open-set", "embedding-picture", "long-tailed", "label-noise",
           "convergence", "text", "robustness")
# What a run may add to the plain recipe against a training difficulty.
REMEDIES = ("none", "class-weights", "drw", "bootstrapping", "sub-center-cleaning",
            "margin-warmup")
# The PGD radii of a "robustness" run, L-infinity in 0-255 pixels (1/64 to 1/4 of the
# range; Madry et al. train MNIST at 0.3 = 76.5), and its attack's steps.
DEFAULT_ATTACK_EPSILONS = (4.0, 8.0, 16.0, 32.0, 64.0)
ATTACK_STEPS = 10
# How a run's backbone starts: from scratch, from SimCLR on the unlabelled pool, or from
# supervised training on another dataset ("transfer:glyphs").
PRETRAININGS = ("none", "simclr", "transfer")
# Fields of the first release are always hashed into the key; later fields only when
# they differ from their default, so earlier results.jsonl files still resume.
_ALWAYS_KEYED = ("study", "dataset", "head", "augment", "samples_per_class", "seed", "steps",
                 "embedding_dim", "batch_size", "learning_rate")


# Joins the head names of a jointly trained model in `RunSpec.head`: "softmax+arcface".
JOINT_SEPARATOR = "+"


def head_names(head):
    """The heads of a `RunSpec.head`: `["arcface"]`, or `["softmax", "arcface"]` for the
    joint model `"softmax+arcface"`.

    Raises:
        ValueError: for an empty or repeated name.
    """
    names = [name.strip() for name in str(head).split(JOINT_SEPARATOR)]
    if not all(names) or len(set(names)) != len(names):
        raise ValueError(f"head {head!r} must be a head name or distinct names joined by "
                         f"{JOINT_SEPARATOR!r}, e.g. softmax{JOINT_SEPARATOR}arcface")
    return names


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """Everything that decides the outcome of one run of `keras-margin compare`.

    Two runs with equal fields give the same result up to the non-determinism of
    parallel CPU kernels, so `key` identifies a finished run in `results.jsonl`.

    Attributes:
        study: `"closed-set"` (train and test on the same classes), `"open-set"`
            (train on some identities, verify pairs of identities never seen),
            `"embedding-picture"` (a 2-D embedding, kept for plotting), or a closed-set
            run under a training difficulty: `"long-tailed"` (with `imbalance_ratio`),
            `"label-noise"` (with `label_noise`) or `"convergence"`; or `"text"`: a text
            dataset of `keras_margin.data.load_text`, `num_train` training texts, the
            `text_cnn` backbone and `augment` `"none"` or `"eda"`.
        dataset: the dataset name given to `keras_margin.data`.
        head: a head name of `keras_margin.heads.get`, or several joined by `+`
            (e.g. `"softmax+arcface"`): one `MarginModel` with those heads trained
            jointly on the same embedding, loss weights 1, the first head classifying;
            `head_options` then go to every head except `softmax`.
        augment: an augmentation policy name of `keras_margin.augment.image`.
        samples_per_class: training examples per class, or None for the whole pool.
        seed: seed of the data split, the subsample, the augmentation and the weights.
        steps: optimizer steps; with `patience`, the most steps. Every run of a grid
            gets the same number, whatever its training-set size: with a fixed number
            of epochs instead, the smallest sets would get a handful of steps and never
            leave chance accuracy.
        embedding_dim: size of the embedding.
        batch_size: examples per batch.
        learning_rate: initial Adam learning rate (cosine-decayed to 0 over `steps`,
            or lowered on plateaus; see `learning_rate_schedule`).
        imbalance_ratio: largest over smallest class count of an exponentially
            long-tailed training split, or None for a balanced one.
        label_noise: fraction of training labels flipped to another class (symmetric).
        remedy: one of `REMEDIES`: `"class-weights"` (inverse-frequency loss weights),
            `"drw"` (deferred re-weighting over the last fifth of training),
            `"bootstrapping"` (hard bootstrapping loss), `"sub-center-cleaning"` (train
            the Sub-center ArcFace head, drop samples beyond 75 degrees from their
            dominant sub-centre, train again on the rest), `"margin-warmup"` (margin
            ramped in over the first 30% of the steps).
        num_train: training texts of a `"text"` run (None: all).
        head_options: the head's own arguments other than its defaults, a sorted tuple
            of `(name, number)` pairs, e.g. `(("scale", 16),)`; given to
            `keras_margin.heads.create`. Empty (the papers' defaults) is not keyed, so
            results written before this field existed still resume.
        patience: early stopping, the same rule for every head: validations without
            a rise of validation accuracy before training stops, keeping the best
            validation's weights (`keras_margin.models.fit_margin_model`). None (the
            first release's recipe) trains all `steps` and keeps the last weights.
        validation_every: steps between validations (None: `steps / 10`, the ten
            points of the learning curves).
        learning_rate_schedule: `"cosine"` (decay to 0 over `steps`) or `"plateau"`
            (see `fit_margin_model`).
        adversarial: adversarial training, `"none"` or a spec of
            `keras_margin.robustness.AdversarialTraining` such as `"pgd:epsilon=32"` or
            `"fgsm-rs:epsilon=32"` (any study).
        corruptions: `"robustness"` runs: the corruption names measured, each at
            severities 1-5 (empty: all of `keras_margin.robustness.CORRUPTIONS`).
        attack_epsilons: `"robustness"` runs: the L-infinity radii (0-255 pixels) of
            the PGD evaluation (empty: `DEFAULT_ATTACK_EPSILONS`).
        robustness_test_size: `"robustness"` runs: test images measured under
            corruption and attack (a seeded sample of the test split).
        pretraining: how the backbone starts (closed-set image runs): `"none"` (from
            scratch), `"simclr"` (SimCLR on the images of the training pool that the
            run neither trains nor validates on, `keras_margin.data.unlabelled_pool`)
            or `"transfer:DATASET"` (softmax on all of another image dataset, resized
            to this one's image size); then trained with `head` like any run
            (`keras_margin.studies.pretraining`).
        pretraining_steps: optimizer steps of the pre-training (None: `steps`); a
            transfer run stops early on its own validation split by `patience`.
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
    imbalance_ratio: object = None
    label_noise: float = 0.0
    remedy: str = "none"
    num_train: object = None
    head_options: tuple = ()
    patience: object = None
    validation_every: object = None
    learning_rate_schedule: str = "cosine"
    adversarial: str = "none"
    corruptions: tuple = ()
    attack_epsilons: tuple = ()
    robustness_test_size: int = 1000
    pretraining: str = "none"
    pretraining_steps: object = None

    def __post_init__(self):
        # A canonical sorted tuple, so equal options give equal keys however they came.
        object.__setattr__(self, "head_options",
                           tuple(sorted((str(name), value) for name, value in self.head_options)))
        # Tuples, whether given as tuples or read back from JSON lists.
        object.__setattr__(self, "corruptions", tuple(str(name) for name in self.corruptions))
        object.__setattr__(self, "attack_epsilons",
                           tuple(float(epsilon) for epsilon in self.attack_epsilons))
        if not isinstance(self.adversarial, str) or not self.adversarial:
            raise ValueError("`adversarial` must be 'none' or a spec such as 'pgd:epsilon=32'; "
                             f"received {self.adversarial!r}.")
        if any(epsilon < 0 for epsilon in self.attack_epsilons):
            raise ValueError(f"`attack_epsilons` must be >= 0; received {self.attack_epsilons!r}.")
        if (isinstance(self.robustness_test_size, bool) or not isinstance(self.robustness_test_size, int)
                or self.robustness_test_size < 1):
            raise ValueError("`robustness_test_size` must be an integer >= 1; received "
                             f"{self.robustness_test_size!r}.")
        if self.study not in STUDIES:
            raise ValueError(f"`study` must be one of {', '.join(STUDIES)}; received {self.study!r}.")
        if self.remedy not in REMEDIES:
            raise ValueError(f"`remedy` must be one of {', '.join(REMEDIES)}; received {self.remedy!r}.")
        if self.learning_rate_schedule not in ("cosine", "plateau"):
            raise ValueError("`learning_rate_schedule` must be 'cosine' or 'plateau'; "
                             f"received {self.learning_rate_schedule!r}.")
        if self.learning_rate_schedule == "plateau" and self.patience is None:
            raise ValueError("`learning_rate_schedule` 'plateau' needs `patience`.")
        for name in ("patience", "validation_every"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"`{name}` must be None or an integer >= 1; received {value!r}.")
        check_pretraining(self.pretraining)
        # Imported here: `pair_losses` reads `head_names` from this module.
        from keras_margin.studies import pair_losses

        if pair_losses.is_pair_loss(self.head):
            pair_losses.check(self)
        if self.pretraining != "none" and self.study != "closed-set":
            raise ValueError(f"`pretraining` applies to closed-set runs; received study {self.study!r} "
                             f"with pretraining {self.pretraining!r}.")
        if self.pretraining_steps is not None and (
                isinstance(self.pretraining_steps, bool) or not isinstance(self.pretraining_steps, int)
                or self.pretraining_steps < 1):
            raise ValueError("`pretraining_steps` must be None or an integer >= 1; received "
                             f"{self.pretraining_steps!r}.")
        if self.remedy == "sub-center-cleaning" and self.head != "subcenterarcface":
            raise ValueError("`remedy` 'sub-center-cleaning' needs the subcenterarcface head; "
                             f"received head {self.head!r}.")

    @property
    def key(self):
        """A short stable id: the same fields give the same key in every process."""
        defaults = {field.name: field.default for field in dataclasses.fields(self)}
        fields = {name: value for name, value in dataclasses.asdict(self).items()
                  if name in _ALWAYS_KEYED or value != defaults[name]}
        text = json.dumps(fields, sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    def label(self):
        """A readable one-line description for progress output."""
        samples = "all" if self.samples_per_class is None else self.samples_per_class
        extras = "".join(
            f" {name}={value}" for name, value in (("imbalance", self.imbalance_ratio),
                                                   ("noise", self.label_noise),
                                                   ("remedy", self.remedy))
            if value not in (None, 0.0, "none"))
        if self.num_train is not None:
            extras += f" texts={self.num_train}"
        if self.patience is not None:
            extras += f" patience={self.patience}"
        if self.adversarial != "none":
            extras += f" adversarial={self.adversarial}"
        if self.pretraining != "none":
            extras += f" pretraining={self.pretraining}"
        head = head_label(self.head, self.head_options)
        return (f"{self.study} {self.dataset} {head} augment={self.augment} "
                f"per-class={samples}{extras} seed={self.seed}")

    def as_dict(self):
        return dataclasses.asdict(self)


def check_pretraining(pretraining):
    """`pretraining` as given, if it is one of `PRETRAININGS` (`"transfer:DATASET"` for a
    transfer); raises ValueError naming the argument otherwise."""
    kind, _, dataset = str(pretraining).partition(":")
    if (not isinstance(pretraining, str) or kind not in PRETRAININGS
            or (kind == "transfer") != bool(dataset.strip())):
        raise ValueError("`pretraining` must be 'none', 'simclr' or 'transfer:DATASET' (e.g. "
                         f"'transfer:glyphs'); received {pretraining!r}.")
    return pretraining

"""Losses on embeddings as "heads" of a study: `--heads triplet,supcon,...`.

A run whose head is one of `PAIR_LOSSES` trains `EmbeddingModel(backbone)` with that
loss on P x K batches (`keras_margin.data.pk_batches`: P classes of `K` examples,
`P = min(num_classes, batch_size // K)`) of the run's training split, by the recipe's
rules (`keras_margin.models.fit_embedding_model`: the same schedule, the same early
stopping on validation accuracy, here that of the nearest class mean). It is then
measured like every run through `EmbeddingModel.classifier`: a `MarginModel` whose
centres are the class means of the training embeddings, so closed-set accuracy,
calibration (with temperature scaling), angles and the open-set metrics all apply.

Each loss has pytorch-metric-learning's defaults unless `--heads` gives options
(`triplet:margin=0.2`); the triplet and contrastive losses mine batch-hard pairs.
"""

from keras_margin.studies.run_spec import head_names

# K, examples per class in a batch: the K = 4 of Hermans et al.'s P x K batches ("In
# Defense of the Triplet Loss", 2017).
EXAMPLES_PER_CLASS = 4

# name -> (loss class name in keras_margin.losses, fixed arguments).
PAIR_LOSSES = {
    "triplet": ("TripletMarginLoss", {"miner": "batch_hard"}),
    "contrastive": ("ContrastiveLoss", {"miner": "batch_hard"}),
    "multisimilarity": ("MultiSimilarityLoss", {}),
    "supcon": ("SupConLoss", {}),
}


# Image policies a loss on embeddings cannot train with: "strong" ends in MixUp or
# CutMix, whose mixed images have soft labels and no class to pair them by.
REFUSED_POLICIES = ("strong",)


def is_pair_loss(head):
    """Whether the study head `head` is, or jointly holds, a loss on embeddings."""
    return any(name in PAIR_LOSSES for name in head_names(head))


def create(km, name, **options):
    """The loss `name` with `options` (e.g. `margin=0.2`) over its fixed arguments."""
    class_name, fixed = PAIR_LOSSES[name]
    return getattr(km.losses, class_name)(**{**fixed, **options})


def classes_per_batch(num_classes, batch_size):
    """P of the P x K batches: as many classes as `batch_size` holds, at least 2."""
    return max(2, min(num_classes, batch_size // EXAMPLES_PER_CLASS))


def train(km, spec, backbone, augment, train_batches, validation, info, epochs, steps_per_epoch,
          callbacks, verbose):
    """Trains `spec`'s pair loss on P x K batches of the examples of `train_batches` (the
    loader's training pipeline, before augmentation), augmented by `augment` (dataset ->
    dataset, the run's policy). Returns `(classifier, history)`: the nearest-class-mean
    `MarginModel` and the `History` with `training_steps`."""
    import numpy as np

    images, labels = [], []
    for batch_images, batch_labels in train_batches:
        images.append(np.asarray(batch_images))
        labels.append(np.asarray(batch_labels))
    images, labels = np.concatenate(images), np.concatenate(labels)
    batches = augment(km.data.pk_batches(
        images, labels, classes_per_batch(info.num_classes, spec.batch_size), EXAMPLES_PER_CLASS,
        seed=spec.seed))
    loss = create(km, spec.head, **dict(spec.head_options))
    model, history = km.models.fit_embedding_model(
        backbone, loss, batches, validation, train_batches, info.num_classes, epochs=epochs,
        steps_per_epoch=steps_per_epoch, learning_rate=spec.learning_rate, verbose=verbose,
        callbacks=callbacks, patience=spec.patience, learning_rate_schedule=spec.learning_rate_schedule)
    classifier = model.classifier(train_batches, info.num_classes)
    return classifier, history


def check(spec):
    """Raises ValueError for what a pair-loss run cannot do, naming the field."""
    if len(head_names(spec.head)) > 1:
        raise ValueError(f"head {spec.head!r}: a loss on embeddings trains alone, not in a joint "
                         "model.")
    if spec.study == "text":
        raise ValueError(f"head {spec.head!r} is a loss on embeddings, which the text study does not "
                         "train (EDA's copies would break the P x K batches).")
    if spec.remedy != "none" or spec.adversarial != "none":
        raise ValueError(f"head {spec.head!r} is a loss on embeddings: `remedy` and `adversarial` "
                         f"must be 'none'; received {spec.remedy!r} and {spec.adversarial!r}.")
    if spec.augment in REFUSED_POLICIES:
        raise ValueError(f"head {spec.head!r} is a loss on embeddings: the 'strong' policy mixes "
                         "images and labels (MixUp, CutMix), which pair losses cannot train on.")

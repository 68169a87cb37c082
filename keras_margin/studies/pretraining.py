"""How a study run's backbone starts: SimCLR on the unlabelled pool, or another dataset.

`RunSpec.pretraining` (closed-set image runs):

- `"none"`: from scratch, as every study before this field.
- `"simclr"`: SimCLR (`keras_margin.ssl.SimCLR`, NT-Xent) on the images of the training
  pool that the run neither trains nor validates on (`keras_margin.data.unlabelled_pool`
  with the run's `samples_per_class` and seed), two views of each by the `"standard"`
  image policy, for `pretraining_steps` steps at a fixed budget: without labels there
  is no validation accuracy to stop on, so the fine-tuning that follows is what
  early stopping judges.
- `"transfer:DATASET"`: supervised pre-training with a softmax head on all of another
  image dataset of `keras_margin.data.load` (its own validation split, early stopping by
  the run's `patience`), its images resized to the run's image size (glyphs are
  32 x 32, MNIST 28 x 28); the run's augmentation policy applies there too.

Then the pre-trained backbone (the projection head or the source's softmax head is
dropped) trains with the run's head and recipe like any run; nothing is frozen. The
test split of the run's dataset is never seen; the transfer source's test split is not
used either.

Built on `keras_margin.ssl` and `keras_margin.models.fit_margin_model`; nothing here
is specific to one head.
"""

import math

# SimCLR's settings in the studies: those of docs/ssl.md's example (projection 64,
# temperature 0.2, Adam 1e-3), at 128 images (256 views) per batch.
SIMCLR_POLICY = "standard"
SIMCLR_PROJECTION_DIM = 64
SIMCLR_TEMPERATURE = 0.2
SIMCLR_LEARNING_RATE = 1e-3
SIMCLR_BATCH_SIZE = 128
# Validation points of a transfer run when the spec does not fix them.
_TRANSFER_VALIDATIONS = 10


def pretrain(km, spec, backbone, info):
    """Pre-trains `backbone` in place as `spec.pretraining` says.

    Args:
        km: the `keras_margin` package (the runner imports it lazily).
        spec: the run's `RunSpec`.
        backbone: the run's freshly built backbone (from inputs of `info.input_shape`).
        info: the `DatasetInfo` of the run's dataset.

    Returns:
        A JSON-serialisable dict of what the pre-training did (`kind`, `steps`, ...),
        or None for `"none"`.

    Raises:
        ValueError: for an audio or text run, or a transfer source whose images have
            another number of channels.
    """
    kind, _, source = spec.pretraining.partition(":")
    if kind == "none":
        return None
    if spec.study != "closed-set" or km.data.is_audio_dataset(spec.dataset):
        raise ValueError(f"`pretraining` {spec.pretraining!r} applies to closed-set image runs; "
                         f"received study {spec.study!r} on {spec.dataset!r}.")
    steps = spec.pretraining_steps or spec.steps
    if kind == "simclr":
        return _simclr(km, spec, backbone, steps)
    return _transfer(km, spec, backbone, info, source, steps)


def _simclr(km, spec, backbone, steps):
    import keras

    pool = km.data.unlabelled_pool(spec.dataset, spec.samples_per_class, seed=spec.seed,
                                   batch_size=SIMCLR_BATCH_SIZE)
    policy = km.augment.image.policy(SIMCLR_POLICY, seed=spec.seed)
    views = km.ssl.two_views(pool, policy, seed=spec.seed)
    model = km.ssl.SimCLR(backbone, projection_dim=SIMCLR_PROJECTION_DIM,
                          temperature=SIMCLR_TEMPERATURE)
    model.compile(optimizer=keras.optimizers.Adam(SIMCLR_LEARNING_RATE))
    history = model.fit(views.repeat(), epochs=1, steps_per_epoch=steps, verbose=0)
    return {"kind": "simclr", "steps": steps, "final_loss": float(history.history["loss"][-1]),
            "pool_batches": int(pool.cardinality()), "batch_size": SIMCLR_BATCH_SIZE,
            "policy": SIMCLR_POLICY}


def transfer_source(km, spec, info, source):
    """`(train, validation, source_info)` of the transfer source `source`, loaded as
    `spec` trains on it; checked against the run's `info` (the same number of channels).

    Raises:
        ValueError: for another number of channels; the loaders' errors for an unknown
            or missing dataset.
    """
    train, validation, _, source_info = km.data.load(
        source, seed=spec.seed, batch_size=spec.batch_size, with_info=True)
    if source_info.input_shape[-1] != info.input_shape[-1]:
        raise ValueError(f"`pretraining` 'transfer:{source}': its images have "
                         f"{source_info.input_shape[-1]} channels and {spec.dataset}'s "
                         f"{info.input_shape[-1]}.")
    return train, validation, source_info


def _transfer(km, spec, backbone, info, source, steps):
    import tensorflow as tf

    train, validation, source_info = transfer_source(km, spec, info, source)
    size = tuple(info.input_shape[:2])
    if tuple(source_info.input_shape[:2]) != size:
        def resize(images, labels):
            return tf.image.resize(images, size), labels

        train = train.map(resize, num_parallel_calls=tf.data.AUTOTUNE)
        validation = validation.map(resize, num_parallel_calls=tf.data.AUTOTUNE)
    policy = km.augment.image.policy(spec.augment, num_classes=source_info.num_classes,
                                     seed=spec.seed)
    train = policy.apply(train, seed=None, batch_size=spec.batch_size)
    steps_per_epoch = spec.validation_every or math.ceil(steps / _TRANSFER_VALIDATIONS)
    _, history = km.models.fit_margin_model(
        backbone, km.heads.Softmax(source_info.num_classes), train, validation,
        epochs=max(1, math.ceil(steps / steps_per_epoch)), steps_per_epoch=steps_per_epoch,
        learning_rate=spec.learning_rate, patience=spec.patience)
    return {"kind": "transfer", "source": source_info.name, "steps": steps,
            "source_num_classes": source_info.num_classes,
            "source_validation_accuracy": float(max(history.history["val_accuracy"])),
            **{name: history.training_steps[name] for name in ("steps_used", "stopped_early")}}

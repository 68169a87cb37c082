"""`run`: trains and evaluates one `RunSpec`, returning the row for `results.jsonl`."""

import math
import time

import numpy as np

from keras_margin.studies import pair_losses
from keras_margin.studies import pretraining
from keras_margin.studies.run_spec import ATTACK_STEPS
from keras_margin.studies.run_spec import DEFAULT_ATTACK_EPSILONS
from keras_margin.studies.run_spec import head_names

# Angle histograms use fixed 2-degree bins so that runs can be summed and compared.
ANGLE_BIN_EDGES = np.arange(0.0, 182.0, 2.0)
# ROC curves are stored at fixed false-accept rates, log-spaced, to keep rows small;
# 3,000 impostor pairs resolve a FAR down to 1/3000, so the grid starts at 1e-3.
ROC_FALSE_ACCEPT_RATES = np.logspace(-3, 0, 61)
# Points kept per class for the embedding picture.
PICTURE_POINTS_PER_CLASS = 150
# Genuine and impostor pairs each, for the open-set metrics.
VERIFICATION_PAIRS = 3000
# Validation points of the learning curves: the step budget is cut into this many epochs.
CURVE_POINTS = 10


def run(spec, verbose=0):
    """Trains `spec`'s model on its data and measures it on the untouched test split.

    Returns:
        A JSON-serialisable dict: `key`, `spec`, `dataset` facts, `metrics` (closed set
        on the test split; open set on unseen identities for `"open-set"`), `history`
        (per-epoch training and validation curves), `angle_histogram` of test embeddings
        to their class centres, `roc` (open set) or `points` (embedding picture), timings
        and versions.
    """
    from keras_margin.utils.quiet import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    import keras

    import keras_margin as km

    keras.utils.set_random_seed(spec.seed)
    started = time.perf_counter()
    data = _load(km, spec)
    model, history = _train(km, spec, data.train, data.validation, data.info, verbose)
    cleaning = None
    if spec.remedy == "sub-center-cleaning":
        model, history, cleaning = _clean_and_train_again(km, spec, model, data, verbose)
    head = model.head
    train_seconds = time.perf_counter() - started
    # Temperature scaling on the validation split (never the test split).
    temperature = model.calibrate_temperature(data.validation)

    images, labels = _as_arrays(data.test)
    embeddings, (probabilities, calibrated) = _embed_and_classify(model, images, (1.0, temperature))
    class_centers = np.asarray(head.class_centers)
    angles = km.metrics.angles_to_class_centers(embeddings, labels, class_centers)
    metrics = km.metrics.closed_set_metrics(labels, probabilities)
    metrics.update(km.metrics.angle_metrics(embeddings, labels, class_centers))
    metrics.update(temperature=temperature, calibrated_expected_calibration_error=float(
        km.metrics.expected_calibration_error(labels, calibrated)))
    predictions = np.argmax(probabilities, axis=-1)
    row = {
        "key": spec.key,
        "spec": spec.as_dict(),
        "dataset": _dataset_facts(data.info),
        "metrics": metrics,
        "history": {name: [float(v) for v in values] for name, values in history.history.items()},
        # What the early-stopping rule left of the step budget (`spec.steps`).
        **{name: history.training_steps[name] for name in ("steps_used", "best_step", "stopped_early")},
        "per_class_accuracy": [float(np.mean(predictions[labels == label] == label))
                               for label in range(data.info.num_classes)],
        "angle_histogram": {
            "bin_edges_degrees": ANGLE_BIN_EDGES.tolist(),
            "counts": np.histogram(angles, bins=ANGLE_BIN_EDGES)[0].tolist(),
        },
    }
    if spec.study == "open-set":
        unseen_embeddings, _ = _embed_and_classify(model, data.unseen_images)
        open_metrics, roc = km.metrics.open_set_metrics(
            unseen_embeddings, data.unseen_labels, num_pairs=_num_pairs(data.unseen_labels),
            seed=spec.seed,
            return_roc=True,
        )
        from keras_margin.retrieval import identification_metrics  # rank-1, MAP@R via the gallery

        open_metrics.update(identification_metrics(unseen_embeddings, data.unseen_labels))
        row["open_set_metrics"] = open_metrics
        # The full curve has a point per distinct score; fixed FARs keep rows small.
        row["roc"] = {
            "false_accept_rate": ROC_FALSE_ACCEPT_RATES.tolist(),
            "true_accept_rate": np.interp(
                ROC_FALSE_ACCEPT_RATES, roc["false_accept_rate"], roc["true_accept_rate"]).tolist(),
        }
    if cleaning is not None:
        row["cleaning"] = cleaning
    if getattr(history, "pretraining", None) is not None:
        row["pretraining"] = history.pretraining
    if spec.study == "robustness":
        row["robustness"], row["robustness_metrics"] = _robustness(km, model, images, labels, spec)
    if spec.study == "embedding-picture":
        row["points"] = _picture_points(model, images, labels, class_centers, spec.seed)
    row.update(
        train_seconds=round(train_seconds, 2),
        total_seconds=round(time.perf_counter() - started, 2),
        versions={"keras_margin": km.__version__, "keras": keras.__version__,
                  "tensorflow": tf.__version__},
    )
    return row


def _load(km, spec):
    if spec.study == "text":
        train, validation, test, info = km.data.load_text(
            spec.dataset, num_train=spec.num_train, seed=spec.seed, batch_size=spec.batch_size,
            with_info=True)
        return _ClosedSetData(train, validation, test, info)
    common = dict(samples_per_class=spec.samples_per_class, seed=spec.seed, batch_size=spec.batch_size)
    if spec.study == "open-set":
        return km.data.load_open_set(spec.dataset, **common)
    if km.data.is_audio_dataset(spec.dataset):
        train, validation, test, info = km.data.load_audio(spec.dataset, with_info=True, **common)
        return _ClosedSetData(train, validation, test, info)
    train, validation, test, info = km.data.load(
        spec.dataset, with_info=True, imbalance_ratio=spec.imbalance_ratio,
        label_noise=spec.label_noise or None, **common)
    return _ClosedSetData(train, validation, test, info)


def _train(km, spec, train, validation, info, verbose, extra_callbacks=()):
    """The reference recipe with `spec`'s pre-training, head, augmentation and remedy;
    `extra_callbacks` watch the training (`keras-margin tune` reports and prunes with
    one). What the pre-training did is `history.pretraining`."""
    backbone, policy = _backbone_and_policy(km, spec, train, info)
    pretrained = pretraining.pretrain(km, spec, backbone, info)
    steps_per_epoch = spec.validation_every or math.ceil(spec.steps / min(CURVE_POINTS, spec.steps))
    epochs = max(1, math.ceil(spec.steps / steps_per_epoch))
    fit = pair_losses.train if pair_losses.is_pair_loss(spec.head) else _fit_heads
    model, history = fit(km, spec, backbone, lambda batches: _augmented(batches, policy, spec), train,
                         validation, info, epochs, steps_per_epoch, list(extra_callbacks), verbose)
    history.pretraining = pretrained
    return model, history


def _fit_heads(km, spec, backbone, augment, train, validation, info, epochs, steps_per_epoch,
               callbacks, verbose):
    """`fit_margin_model` with `spec`'s heads and remedy on `augment(train)` (the
    counterpart of `pair_losses.train` for a loss on embeddings)."""
    train = augment(train)
    head = _heads(km, spec, info)
    loss, remedy_callbacks = "auto", []
    if spec.remedy == "class-weights":
        weights = km.data.class_weights(info.train_class_counts, kind="inverse_frequency")
        loss = km.losses.CrossEntropy(class_weights=weights)
    elif spec.remedy == "drw":
        # As in the LDAM paper: plain loss first, re-weighted for the last fifth.
        reweighting = km.callbacks.DeferredReweighting(info.train_class_counts,
                                                       start_epoch=epochs - max(1, epochs // 5))
        loss, remedy_callbacks = km.losses.CrossEntropy(class_weights=reweighting.class_weights), [reweighting]
    elif spec.remedy == "bootstrapping":
        loss = km.losses.Bootstrapping("hard")
    elif spec.remedy == "margin-warmup":
        remedy_callbacks = [km.callbacks.MarginWarmup(steps=max(1, int(0.3 * spec.steps)))]
    adversarial = {} if spec.adversarial == "none" else {"adversarial": spec.adversarial}
    return km.models.fit_margin_model(
        backbone, head, train, validation, epochs=epochs, steps_per_epoch=steps_per_epoch, loss=loss,
        learning_rate=spec.learning_rate, verbose=verbose, callbacks=remedy_callbacks + callbacks,
        patience=spec.patience, learning_rate_schedule=spec.learning_rate_schedule, **adversarial,
    )


def _augmented(batches, policy, spec):
    import tensorflow as tf

    # The image studies have always mapped their policy without a seed (each layer draws
    # from its own seeded state); a per-element seed would change their draws.
    seed = None if policy.modality == "image" else spec.seed
    return policy.apply(batches, seed=seed, batch_size=spec.batch_size).prefetch(tf.data.AUTOTUNE)


def _heads(km, spec, info):
    """`spec`'s head, or for `"a+b"` a dict of heads for a jointly trained `MarginModel`
    (the first classifies); options go to every head but softmax, which has none."""
    names = head_names(spec.head)
    if len(names) == 1:
        return km.heads.create(spec.head, info.num_classes, info.train_class_counts,
                               **dict(spec.head_options))
    return {name: km.heads.create(name, info.num_classes, info.train_class_counts,
                                  **joint_head_options(km, name, spec.head_options))
            for name in names}


def joint_head_options(km, name, options):
    """The options a head of a joint model gets: all of them, or none for softmax."""
    return {} if km.heads.get(name) is km.heads.Softmax else dict(options)


def _backbone_and_policy(km, spec, train, info):
    """The backbone for `spec`'s modality and its augmentation `Policy`, made in the
    order the studies have always made them (layers without a seed draw theirs from
    Python's `random`)."""
    if spec.study == "text":
        # Built first, from the texts as they are: `text_cnn` adapts its vocabulary.
        backbone = km.models.text_cnn(train, embedding_dim=spec.embedding_dim)
        # EDA without a seed of its own, as in every text study so far.
        return backbone, km.augment.text.policy(spec.augment, num_train=spec.num_train)
    if km.data.is_audio_dataset(spec.dataset):
        policy = km.augment.audio.policy(spec.augment, seed=spec.seed)
        backbone = km.models.audio_cnn(
            embedding_dim=spec.embedding_dim, num_samples=info.input_shape[0],
            sample_rate=info.details.get("sample_rate", 16000),
            spectrogram_augmentation=policy.model_layer)
        return backbone, policy
    backbone = km.models.small_cnn(embedding_dim=spec.embedding_dim, input_shape=info.input_shape)
    return backbone, km.augment.image.policy(spec.augment, num_classes=info.num_classes, seed=spec.seed)


def _clean_and_train_again(km, spec, model, data, verbose):
    """Sub-center ArcFace's recipe: drop the samples far from their class's dominant
    sub-centre, then train a fresh model on the rest. Returns the second model, its
    history, and how well the dropped samples match the corrupted ones."""
    split = km.data.load_training_split(
        spec.dataset, samples_per_class=spec.samples_per_class, seed=spec.seed,
        imbalance_ratio=spec.imbalance_ratio, label_noise=spec.label_noise or None)
    cleaned = km.data.clean_with_sub_centers(model, split.images, split.labels)
    dropped, corrupted = cleaned.outliers, np.asarray(split.corrupted, bool)
    caught = int(np.sum(dropped & corrupted))
    cleaning = {"dropped": int(dropped.sum()), "corrupted": int(corrupted.sum()),
                "dropped_that_were_corrupted": caught,
                "precision": caught / max(int(dropped.sum()), 1),
                "recall": caught / max(int(corrupted.sum()), 1)}
    train = km.data.make_pipeline(cleaned.images, cleaned.labels, spec.batch_size, training=True,
                                  seed=spec.seed)
    model, history = _train(km, spec, train, data.validation, data.info, verbose)
    return model, history, cleaning


def _robustness(km, model, images, labels, spec, batch_size=500):
    """Accuracy of `model` on a seeded sample of the test split under each corruption and
    severity, and under L-infinity PGD at each radius.

    PGD takes `ATTACK_STEPS` steps from a random start with the cross-entropy and, apart,
    with the margin loss (a margin head's scale can mask the cross-entropy's gradients);
    an image counts as robust only if it survives both, so `accuracy` is the worst case.

    Returns:
        `(detail, metrics)`: the curves, and flat summaries for the paired comparisons
        (`mean_corruption_accuracy`, `mean_pgd_accuracy` over the radii).
    """
    rng = np.random.default_rng(spec.seed)
    chosen = np.sort(rng.permutation(len(labels))[:spec.robustness_test_size])
    images, labels = images[chosen], labels[chosen]

    def correct(batch_images, start):
        logits = model(batch_images, training=False)
        return np.argmax(np.asarray(logits), axis=-1) == labels[start:start + len(batch_images)]

    def batches():
        return range(0, len(labels), batch_size)

    clean = np.concatenate([correct(images[start:start + batch_size], start) for start in batches()])
    corruption_accuracy = {}
    for name in spec.corruptions or km.robustness.CORRUPTIONS:
        corruption_accuracy[name] = [
            float(np.mean(np.concatenate([
                correct(km.robustness.corrupt(images[start:start + batch_size], name, severity,
                                              seed=(spec.seed, start)), start)
                for start in batches()])))
            for severity in range(1, 6)]
    epsilons = list(spec.attack_epsilons or DEFAULT_ATTACK_EPSILONS)
    per_loss = {"cross_entropy": [], "margin": []}
    worst = []
    for epsilon in epsilons:
        survived = np.ones(len(labels), bool)
        for loss, accuracies in per_loss.items():
            hits = np.concatenate([
                correct(km.robustness.pgd(model, images[start:start + batch_size],
                                          labels[start:start + batch_size], epsilon,
                                          steps=ATTACK_STEPS, seed=spec.seed, loss=loss), start)
                for start in batches()])
            accuracies.append(float(np.mean(hits)))
            survived &= hits
        worst.append(float(np.mean(survived)))
    detail = {
        "test_images": int(len(labels)),
        "clean_accuracy": float(np.mean(clean)),
        "severities": [1, 2, 3, 4, 5],
        "corruption_accuracy": corruption_accuracy,
        "families": {family: [name for name in names if name in corruption_accuracy]
                     for family, names in km.robustness.FAMILIES.items()},
        "pgd": {"epsilons": epsilons, "steps": ATTACK_STEPS, "norm": "linf", "accuracy": worst,
                "accuracy_cross_entropy": per_loss["cross_entropy"],
                "accuracy_margin": per_loss["margin"]},
    }
    metrics = {
        "clean_accuracy": detail["clean_accuracy"],
        "mean_corruption_accuracy": float(np.mean([np.mean(v) for v in corruption_accuracy.values()])),
        "mean_pgd_accuracy": float(np.mean(worst)),
        **{f"pgd_accuracy_at_{epsilon:g}": accuracy for epsilon, accuracy in zip(epsilons, worst)},
    }
    return detail, metrics


def _num_pairs(labels):
    """`VERIFICATION_PAIRS`, or fewer when the unseen set has fewer distinct genuine
    pairs (instruments-open: 32 instruments x 8 notes give 896)."""
    counts = np.bincount(np.asarray(labels))
    return int(min(VERIFICATION_PAIRS, np.sum(counts * (counts - 1) // 2)))


class _ClosedSetData:
    def __init__(self, train, validation, test, info):
        self.train, self.validation, self.test, self.info = train, validation, test, info


def _as_arrays(dataset):
    images, labels = [], []
    for batch_images, batch_labels in dataset:
        images.append(np.asarray(batch_images))
        labels.append(np.asarray(batch_labels))
    return np.concatenate(images), np.concatenate(labels)


def _embed_and_classify(model, images, temperatures=None):
    """L2-normalised embeddings and softmax probabilities from one backbone pass; with
    `temperatures`, a tuple of the probabilities of `logits / T` for each T."""
    from keras import ops

    raw = _backbone_outputs(model, images)
    logits = ops.cast(model.head(ops.convert_to_tensor(raw), training=False), "float32")
    probabilities = tuple(np.asarray(ops.softmax(logits / temperature, axis=-1), dtype=np.float64)
                          for temperature in (temperatures or (1.0,)))
    if temperatures is None:
        probabilities = probabilities[0]
    raw = np.asarray(raw, dtype=np.float64)
    norms = np.maximum(np.linalg.norm(raw, axis=-1, keepdims=True), 1e-12)
    return raw / norms, probabilities


def _backbone_outputs(model, images, batch_size=256):
    # Direct calls, not `predict`: `predict` traces a new function for every model of a
    # study, and TensorFlow then warns about retracing.
    return np.concatenate([
        np.asarray(model.backbone(images[start:start + batch_size], training=False))
        for start in range(0, len(images), batch_size)
    ])


def _picture_points(model, images, labels, class_centers, seed):
    """Raw (not normalised) 2-D embeddings of a per-class subsample, and the centres."""
    rng = np.random.default_rng(seed)
    chosen = np.concatenate([
        rng.permutation(np.flatnonzero(labels == label))[:PICTURE_POINTS_PER_CLASS]
        for label in np.unique(labels)
    ])
    raw = _backbone_outputs(model, images[chosen])
    return {"embeddings": raw.round(4).tolist(), "labels": labels[chosen].tolist(),
            "class_centers": np.asarray(class_centers).round(5).tolist()}


def _dataset_facts(info):
    facts = {"name": info.name, "source": info.source, "num_classes": info.num_classes,
             "num_train": info.num_train, "num_validation": info.num_validation,
             "num_test": info.num_test, "train_class_counts": [int(n) for n in info.train_class_counts]}
    if getattr(info, "unseen_class_names", None):
        facts["unseen_class_names"] = list(info.unseen_class_names)
    fonts = getattr(info, "details", {}).get("fonts")
    if fonts:
        # The glyph set's typefaces, so a result names the fonts it was measured on.
        facts["fonts"] = [f"{font['family']} {font['style']} ({font['split']})" for font in fonts]
    return facts

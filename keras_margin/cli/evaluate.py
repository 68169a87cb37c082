"""Evaluate an exported SavedModel on a dataset's test split with the metrics of
`keras-margin compare`: accuracy, macro precision / recall / F1, one-vs-rest ROC AUC,
expected calibration error, and verification metrics (TAR@FAR, EER, ROC AUC, 10-fold
accuracy) on pairs of test images. Prints the metrics as JSON; --output also writes them.

Images of another height and width than the model's (a model trained with `train
--image-size`) are resized to its input as train resizes them; their channels must match.
"""

import json

from keras_margin.cli._datasets import load_labelled_images
from keras_margin.cli._resize import resized
from keras_margin.cli.argument_types import integer_at_least
from keras_margin.cli.errors import usage_errors


def add_arguments(parser):
    parser.add_argument("model_dir", metavar="MODEL_DIR",
                        help="SavedModel folder, or a `keras-margin train` output folder")
    parser.add_argument("--dataset", default="mnist-5k",
                        help="mnist-5k, digits, fashion-mnist, glyphs, or folder (default: %(default)s)")
    parser.add_argument("--data-dir", help="dataset files (fashion-mnist), or the class-folder root "
                        "when --dataset folder")
    parser.add_argument("--color-mode", choices=("rgb", "grayscale"), default="rgb",
                        help="--dataset folder: decode images as (default: %(default)s)")
    parser.add_argument("--pairs", type=integer_at_least(1), default=3000,
                        help="genuine and impostor pairs each for verification (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the pair sampling (default: 0)")
    parser.add_argument("--output", help="also write the metrics to this JSON file")


def run(args, usage_error):
    import numpy as np

    import keras_margin as km
    from keras_margin.cli.serving import ServingModel
    from keras_margin.utils.files import check_writable_file
    from keras_margin.utils.atomic_write import write_atomically

    with usage_errors():
        if args.output:
            check_writable_file(args.output, "--output")
        model = ServingModel(args.model_dir)
        # A folder's images are resized to the model's input while they are decoded.
        image_size = model.input_shape[:2] if args.dataset == "folder" else None
        _, _, test, info = load_labelled_images(km, args, image_size=image_size, validation_split=0.0)
        shape = tuple(info.input_shape)
        if shape[-1] != model.input_shape[-1]:
            raise ValueError(f"the model takes images of shape {model.input_shape}, but {info.name} has "
                             f"{shape}: evaluate resizes images to the model's height and width, "
                             "but does not change their channels")
        if shape[:2] != model.input_shape[:2] and None not in model.input_shape[:2]:
            # A model trained with `train --image-size`: its test images, resized as train did.
            test = resized(test, model.input_shape[:2])

    images, labels = [], []
    for batch_images, batch_labels in test:
        images.append(np.asarray(batch_images))
        labels.append(np.asarray(batch_labels))
    images, labels = np.concatenate(images), np.concatenate(labels)
    outputs = model(images)
    if outputs["probabilities"].shape[1] != info.num_classes:
        raise usage_error(f"the model predicts {outputs['probabilities'].shape[1]} classes, but "
                          f"{info.name} has {info.num_classes}")
    metrics = {"model": model.path, "dataset": info.name, "num_test": int(len(labels))}
    metrics["closed_set"] = km.metrics.closed_set_metrics(labels, outputs["probabilities"])
    metrics["verification"] = km.metrics.open_set_metrics(
        outputs["embedding"], labels, num_pairs=args.pairs, seed=args.seed)
    text = json.dumps(metrics, indent=2)
    print(text)
    if args.output:
        write_atomically(args.output, text + "\n")
    return 0

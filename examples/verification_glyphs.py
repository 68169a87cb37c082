"""Verification and search on the glyph open set, end to end (docs/retrieval.md).

Trains the small CNN with ArcFace on the seen characters, splits the 32 unseen
characters into 16 calibration identities and 16 evaluation identities, calibrates
thresholds on all pairs of the calibration identities, exports the model with them in
TensorFlow Serving's layout, and writes the evaluation identities as PNG files: half of
each character's images to enroll, the rest as queries. It prints what it measured:
the FAR and TAR the thresholds give on the evaluation identities (never seen in
training or calibration), and rank-1 / MAP@R of the queries searched in the gallery.

Usage:
    python examples/verification_glyphs.py OUTPUT [--epochs 10] [--samples-per-class 20]
"""

import keras_margin as km  # noqa: I001  (first: imports TensorFlow quietly)

import argparse
import json
import os

import keras
import numpy as np
import tensorflow as tf

from keras_margin.retrieval import calibrate, identification_metrics

FARS = (1e-3, 1e-2, 1e-1)


def all_pairs(embeddings, labels):
    first, second = np.triu_indices(len(labels), k=1)
    scores = np.sum(embeddings[first] * embeddings[second], axis=1)
    return scores, labels[first] == labels[second]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--samples-per-class", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    keras.utils.set_random_seed(args.seed)

    data = km.data.load_open_set("glyphs", samples_per_class=args.samples_per_class, seed=args.seed)
    backbone = km.models.small_cnn(embedding_dim=64, input_shape=data.info.input_shape, width=32)
    model, _ = km.models.fit_margin_model(backbone, km.heads.ArcFace(data.info.num_classes, scale=30.0),
                                          data.train, data.validation, epochs=args.epochs)

    identities = np.unique(data.unseen_labels)
    calibration = np.isin(data.unseen_labels, identities[: len(identities) // 2])
    embeddings = model.embed(data.unseen_images)
    scores, same = all_pairs(embeddings[calibration], data.unseen_labels[calibration])
    thresholds = {f"{far:g}": threshold for far, threshold in zip(FARS, calibrate(scores, same, FARS))}
    model.export(os.path.join(args.output, "models", "glyphs"), verbose=False, thresholds=thresholds, version=1)

    # Evaluation identities: even-numbered samples of each character enrolled, odd ones queried.
    evaluation = np.flatnonzero(~calibration)
    labels = data.unseen_labels[evaluation]
    rank = np.array([np.sum(labels[:i] == labels[i]) for i in range(len(labels))])
    enrolled, queried = evaluation[rank % 2 == 0], evaluation[rank % 2 == 1]
    for index in evaluation:
        character = f"char{data.unseen_labels[index]:02d}"
        folder = os.path.join(args.output, "enroll" if index in enrolled else "queries", character)
        os.makedirs(folder, exist_ok=True)
        png = tf.io.encode_png(tf.cast(tf.round(data.unseen_images[index]), tf.uint8))
        tf.io.write_file(os.path.join(folder, f"{index:04d}.png"), png)

    held_out_scores, held_out_same = all_pairs(embeddings[evaluation], labels)
    report = {"thresholds": thresholds, "calibration_pairs": {"genuine": int(same.sum()),
                                                              "impostor": int((~same).sum())},
              "evaluation_pairs": {"genuine": int(held_out_same.sum()), "impostor": int((~held_out_same).sum())}}
    for far, threshold in thresholds.items():
        accepted = held_out_scores >= threshold
        report[f"at_far_{far}"] = {"far_on_evaluation": float(np.mean(accepted[~held_out_same])),
                                   "tar_on_evaluation": float(np.mean(accepted[held_out_same]))}
    report["identification"] = identification_metrics(embeddings[enrolled], data.unseen_labels[enrolled],
                                                       embeddings[queried], data.unseen_labels[queried])
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
